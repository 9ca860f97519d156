-- Symbolication artifacts: source maps, minified sources, ProGuard/R8 mappings and
-- native debug files, per project and release (and dist), or by debug id alone.
CREATE TABLE artifacts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    release     text NOT NULL DEFAULT '',  -- '' = not tied to a release (found by debug id only)
    dist        text NOT NULL DEFAULT '',
    kind        text NOT NULL CHECK (kind IN ('source_map', 'minified_source', 'proguard', 'native_debug')),
    name        text NOT NULL,             -- the file name or URL it answers to ('~/app.min.js')
    debug_id    text,                      -- JS debug id or ProGuard uuid (native: see artifact_objects)
    checksum    text NOT NULL,             -- sha1 of data, hex
    size        bigint NOT NULL,
    data        bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- Bytes arrive compressed or incompressible often enough; large files stay out of line.
ALTER TABLE artifacts ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX artifacts_release_name ON artifacts (project_id, release, name, dist);
CREATE INDEX artifacts_debug_id ON artifacts (project_id, debug_id) WHERE debug_id IS NOT NULL;
CREATE INDEX artifacts_checksum ON artifacts (project_id, checksum);

-- One row per object of a native debug file (a fat Mach-O holds several), with the
-- SymCache built at upload so a cold event reads a compact cache, not the big file.
CREATE TABLE artifact_objects (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    artifact_id  bigint NOT NULL REFERENCES artifacts(id) ON DELETE CASCADE,
    project_id   bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    debug_id     text NOT NULL,
    code_id      text,
    arch         text,
    file_format  text,
    features     text[] NOT NULL DEFAULT '{}',
    symcache     bytea NOT NULL
);
ALTER TABLE artifact_objects ALTER COLUMN symcache SET STORAGE EXTERNAL;
CREATE INDEX artifact_objects_debug_id ON artifact_objects (project_id, debug_id);
CREATE INDEX artifact_objects_artifact ON artifact_objects (artifact_id);

-- What symbolication of an event lacked ('id:<debug id>' or 'release:<release>'), so an
-- upload can send exactly those events back to the queue. NULL when nothing was missing.
ALTER TABLE events ADD COLUMN missing_artifacts text[];
CREATE INDEX events_missing_artifacts ON events (project_id) WHERE missing_artifacts IS NOT NULL;
