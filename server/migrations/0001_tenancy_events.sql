-- Tenancy, users, tokens, and the durable event queue.
CREATE TABLE organizations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id  bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    slug             text NOT NULL,
    name             text NOT NULL,
    platform         text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, slug)
);

CREATE TABLE project_keys (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id         bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    public_key         text NOT NULL UNIQUE,
    label              text NOT NULL DEFAULT 'Default',
    enabled            boolean NOT NULL DEFAULT true,
    rate_limit_count   integer CHECK (rate_limit_count > 0),
    rate_limit_window  integer NOT NULL DEFAULT 60 CHECK (rate_limit_window > 0),
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX project_keys_project ON project_keys (project_id);

CREATE TABLE users (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email          text NOT NULL UNIQUE,
    password_hash  text NOT NULL,
    is_superuser   boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    organization_id  bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    user_id          bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role             text NOT NULL CHECK (role IN ('admin', 'engineer', 'agent')),
    PRIMARY KEY (organization_id, user_id)
);

-- Only a hash of each token is kept: a leaked database does not leak API access.
CREATE TABLE api_tokens (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id  bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    token_hash       bytea NOT NULL UNIQUE,
    label            text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_used_at     timestamptz
);

-- One row per accepted event. The payload is the event JSON, zstd-compressed by the
-- ingest process (PostgreSQL's own compression of a 10 KB row costs more CPU than the
-- whole HTTP request), so storage is EXTERNAL: no second compression.
CREATE TABLE events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id    bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    event_id      uuid NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed', 'failed')),
    payload       bytea NOT NULL,
    attempts      integer NOT NULL DEFAULT 0,
    processed_at  timestamptz,
    failure       text,
    normalized    jsonb,
    platform      text,
    level         text,
    release       text,
    environment   text,
    title         text,
    occurred_at   timestamptz,
    UNIQUE (project_id, event_id)
);
ALTER TABLE events ALTER COLUMN payload SET STORAGE EXTERNAL;
CREATE INDEX events_project_received ON events (project_id, received_at DESC, id DESC);
-- The work queue: tiny, because processed rows leave it.
CREATE INDEX events_pending ON events (id) WHERE status = 'pending';

CREATE TABLE attachments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id    bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    event_id      uuid NOT NULL,
    name          text NOT NULL,
    content_type  text,
    attachment_type text,
    size          integer NOT NULL,
    data          bytea NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX attachments_event ON attachments (project_id, event_id, name);

-- Items that are accepted but not stored (sessions, client reports, transactions, ...).
CREATE TABLE item_counts (
    project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    day         date NOT NULL,
    item_type   text NOT NULL,
    count       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day, item_type)
);
