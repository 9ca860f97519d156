-- The resolution workflow on clusters: resolved in a release (the one source of "fixed in"),
-- in the next release, ignored until a threshold; regressions with release and time; and
-- an activity log of every change of status.
ALTER TABLE clusters
    ADD COLUMN resolved_in_release_id bigint REFERENCES releases(id) ON DELETE SET NULL,
    ADD COLUMN resolved_at            timestamptz,
    -- "resolve in the next release", pending until that release exists: the project's newest
    -- release id and the package's highest version key at the time of the action.
    ADD COLUMN resolved_in_next       boolean NOT NULL DEFAULT false,
    ADD COLUMN next_after_release_id  bigint NOT NULL DEFAULT 0,
    ADD COLUMN next_after_key         text COLLATE "C",
    ADD COLUMN next_package           text,
    ADD COLUMN ignore_until_events    bigint,  -- absolute: unignore when event_count reaches it
    ADD COLUMN ignore_until_users     bigint,
    ADD COLUMN ignore_until_date      timestamptz,
    ADD COLUMN regressed_at           timestamptz,
    ADD COLUMN older_release_events   bigint NOT NULL DEFAULT 0,  -- "seen in an older release"
    ADD COLUMN older_release_last     text;
CREATE INDEX clusters_resolved_in ON clusters (resolved_in_release_id, id) WHERE resolved_in_release_id IS NOT NULL;
CREATE INDEX clusters_waiting_next ON clusters (project_id) WHERE resolved_in_next;
CREATE INDEX clusters_project_first_release ON clusters (project_id, first_release, id) WHERE merged_into IS NULL;
CREATE INDEX clusters_project_regressed ON clusters (project_id, regressed_in_release, id) WHERE regressed_in_release IS NOT NULL;

CREATE TABLE cluster_activity (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id   bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    cluster_id   bigint NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,        -- 'token:<id>', 'user:<email>', 'system'
    kind         text NOT NULL,        -- 'status', 'regression', 'resolved_in_next_release', 'unignored'
    from_status  text,
    to_status    text,
    release      text,
    detail       jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX cluster_activity_cluster ON cluster_activity (cluster_id, id DESC);
