-- Clusters (groups of events that are one problem), how events reach them, and their counters.
CREATE TABLE clusters (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id           bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title                text NOT NULL,
    culprit              text,
    level                text,
    platform             text,
    status               text NOT NULL DEFAULT 'unresolved' CHECK (status IN ('unresolved', 'resolved', 'ignored')),
    regressed_in_release text,
    merged_into          bigint REFERENCES clusters(id) ON DELETE SET NULL,
    event_count          bigint NOT NULL DEFAULT 0,
    user_count           bigint NOT NULL DEFAULT 0,
    first_seen           timestamptz NOT NULL,
    last_seen            timestamptz NOT NULL,
    first_release        text,
    last_release         text,
    config_id            text NOT NULL,
    signature            bytea NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clusters_project_last_seen ON clusters (project_id, last_seen DESC);
CREATE INDEX clusters_project_first_seen ON clusters (project_id, first_seen DESC);
CREATE INDEX clusters_project_count ON clusters (project_id, event_count DESC);
CREATE INDEX clusters_merged_into ON clusters (merged_into) WHERE merged_into IS NOT NULL;

-- Exact hashes. A hash stays with the cluster that first owned it; a merge redirects
-- through clusters.merged_into, so an unmerge restores the original owner.
CREATE TABLE cluster_fingerprints (
    project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    hash        text NOT NULL,
    cluster_id  bigint NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    config_id   text NOT NULL,
    origin      text NOT NULL CHECK (origin IN ('new', 'exact', 'fuzzy')),
    score       real,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, hash)
);
CREATE INDEX cluster_fingerprints_cluster ON cluster_fingerprints (cluster_id);

-- Blocking keys for fuzzy matching: an event with a new hash reads the few newest
-- clusters per key through this index, never a scan of all clusters.
CREATE TABLE cluster_candidate_keys (
    project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    key         text NOT NULL,
    cluster_id  bigint NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    PRIMARY KEY (project_id, key, cluster_id)
);
CREATE INDEX cluster_candidate_keys_cluster ON cluster_candidate_keys (cluster_id);

CREATE TABLE cluster_release_stats (
    cluster_id  bigint NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    release     text NOT NULL,
    count       bigint NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (cluster_id, release)
);

CREATE TABLE cluster_environment_stats (
    cluster_id   bigint NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    environment  text NOT NULL,
    count        bigint NOT NULL,
    PRIMARY KEY (cluster_id, environment)
);

CREATE TABLE cluster_users (
    cluster_id  bigint NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    user_key    text NOT NULL,
    PRIMARY KEY (cluster_id, user_key)
);

-- Per-project grouping configuration (fingerprint rules, in-app rules), a GroupingConfig.
CREATE TABLE grouping_configs (
    project_id  bigint PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    config      jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE events
    ADD COLUMN cluster_id bigint REFERENCES clusters(id) ON DELETE SET NULL,
    ADD COLUMN grouping_cluster_id bigint REFERENCES clusters(id) ON DELETE SET NULL,
    ADD COLUMN grouping jsonb,
    ADD COLUMN user_key text,
    ADD COLUMN notes text[] NOT NULL DEFAULT '{}';
CREATE INDEX events_cluster ON events (cluster_id, id DESC) WHERE cluster_id IS NOT NULL;
CREATE INDEX events_grouping_cluster ON events (grouping_cluster_id) WHERE grouping_cluster_id IS NOT NULL;
