-- The cluster list (web/pages/clusters.py) at 100,000 clusters a project (bench/cluster_pages.py):
-- its sort by users affected sorted every row, and its text filter read every row (~0.3 s).
CREATE INDEX clusters_project_users ON clusters (project_id, user_count DESC);

-- The text filter is a substring of title and culprit, any case; trigrams answer it from an index.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, but a server without it
-- must still start: then the filter scans, as before.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX clusters_text_trgm ON clusters
        USING gin ((lower(title || ' ' || coalesce(culprit, ''))) gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'no trigram index for the cluster text filter (%); it scans instead', SQLERRM;
END $$;
