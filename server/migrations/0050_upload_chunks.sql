-- Chunks of files uploaded by Sentry's tools (sentry-cli, bundler plugins), named by
-- their sha1 and owned by one organization, until an assemble request joins them.
CREATE TABLE upload_chunks (
    organization_id  bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    checksum         text NOT NULL,  -- sha1 of data, hex
    data             bytea NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, checksum)
);
ALTER TABLE upload_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX upload_chunks_created ON upload_chunks (created_at);
