-- Release health. Ingest stores session items raw in a queue (a cheap insert in the same
-- group commit as events); the worker folds them into the tables below and deletes them.
CREATE TABLE session_queue (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    received_at  timestamptz NOT NULL DEFAULT now(),
    item_type    text NOT NULL,   -- 'session' (one update) or 'sessions' (aggregates)
    payload      bytea NOT NULL   -- the item's JSON as sent
);

-- The worst state each session reached (0 healthy, 1 errored, 2 abnormal, 3 crashed), so a
-- session's several updates count once and move the hourly counts only on a change.
CREATE TABLE session_states (
    project_id   bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    sid          text NOT NULL,
    release_id   bigint NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    environment  text NOT NULL,
    hour         timestamptz NOT NULL,
    did          text,
    state        smallint NOT NULL,
    PRIMARY KEY (project_id, sid)
);

-- Hourly aggregates per release and environment; errored excludes abnormal and crashed.
CREATE TABLE release_sessions (
    release_id   bigint NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    environment  text NOT NULL,
    hour         timestamptz NOT NULL,
    sessions     bigint NOT NULL DEFAULT 0,
    errored      bigint NOT NULL DEFAULT 0,
    abnormal     bigint NOT NULL DEFAULT 0,
    crashed      bigint NOT NULL DEFAULT 0,
    users        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (release_id, environment, hour)
);

-- Distinct users per release, environment and hour, and whether they had a crash.
CREATE TABLE release_session_users (
    release_id   bigint NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    environment  text NOT NULL,
    hour         timestamptz NOT NULL,
    did          text NOT NULL,
    crashed      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (release_id, environment, hour, did)
);
