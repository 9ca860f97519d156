-- Releases as first-class rows: one per project and version string, with the parsed
-- form (kb_link.versions) so the database orders them by version, not by name or date.
CREATE TABLE releases (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id     bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    version        text NOT NULL,
    package        text NOT NULL DEFAULT '',
    number         text NOT NULL,
    build          text,
    scheme         text NOT NULL,
    -- '1' + precedence key for parsed versions, '0' for unparsed ones; byte order is version
    -- order, so (package, sort_key DESC, id DESC) is "newest version first" within a package.
    sort_key       text COLLATE "C" NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    first_event    timestamptz,
    last_event     timestamptz,
    released_at    timestamptz,
    environments   text[] NOT NULL DEFAULT '{}',
    event_count    bigint NOT NULL DEFAULT 0,
    user_count     bigint NOT NULL DEFAULT 0,
    cluster_count  bigint NOT NULL DEFAULT 0,
    UNIQUE (project_id, version)
);
CREATE INDEX releases_order ON releases (project_id, package, sort_key DESC, id DESC);

-- Distinct users per release (for user_count), written by the worker.
CREATE TABLE release_users (
    release_id  bigint NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    user_key    text NOT NULL,
    PRIMARY KEY (release_id, user_key)
);

-- Which clusters a release saw, and how often: the per-release view reads it by release,
-- the per-cluster release list by cluster.
CREATE TABLE release_clusters (
    release_id  bigint NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    cluster_id  bigint NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    events      bigint NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (release_id, cluster_id)
);
CREATE INDEX release_clusters_recent ON release_clusters (release_id, last_seen DESC, cluster_id DESC);
CREATE INDEX release_clusters_cluster ON release_clusters (cluster_id);

-- Deploys of a release to an environment (sentry-cli `releases deploys new`).
CREATE TABLE release_deploys (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id     bigint NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    environment    text NOT NULL,
    name           text,
    url            text,
    date_started   timestamptz,
    date_finished  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX release_deploys_release ON release_deploys (release_id, date_finished DESC);
