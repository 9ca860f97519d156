-- Document frequencies kept as documents are written, so a lookup reads them by key instead
-- of counting matches (a count of a common word visited up to 5,000 rows per word, and the
-- corpus size and mean length scanned every document of the kind).
-- One row per (organization, kind, project, term): in how many documents the term occurs.
-- Two rows per scope carry the totals: '$documents' (how many documents) and '$lengths'
-- (their distinct terms, summed). '$' never starts a real term (dedupe.text), and the
-- '$'-filter terms of the vectors are not counted.
-- Kept by statement triggers on search_documents: one aggregated upsert per statement,
-- in key order (so concurrent writers lock rows in one order), whatever the batch size.
CREATE TABLE search_term_counts (
    organization_id  bigint NOT NULL,
    kind             text NOT NULL,
    project_id       bigint NOT NULL,  -- 0 for documents of no project
    term             text NOT NULL,
    documents        bigint NOT NULL,
    -- term before project: one key answers a project's count and the sum over the organization's projects
    PRIMARY KEY (organization_id, kind, term, project_id)
);

-- The one upsert, over a "changes" relation of (organization_id, kind, project_id, terms, d):
-- d = 1 for a document written, -1 for one replaced or removed.
CREATE FUNCTION search_term_upsert_sql(changes text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT 'INSERT INTO search_term_counts AS c (organization_id, kind, project_id, term, documents)'
        || ' SELECT o, k, p, t, sum(d) FROM ('
        || '   SELECT x.organization_id AS o, x.kind AS k, COALESCE(x.project_id, 0) AS p, w AS t, x.d'
        || '   FROM (' || changes || ') x, unnest(tsvector_to_array(x.terms)) w WHERE left(w, 1) <> ''$'''
        || '   UNION ALL SELECT x.organization_id, x.kind, COALESCE(x.project_id, 0), ''$documents'', x.d'
        || '   FROM (' || changes || ') x'
        || '   UNION ALL SELECT x.organization_id, x.kind, COALESCE(x.project_id, 0), ''$lengths'', x.d * length(x.terms)'
        || '   FROM (' || changes || ') x'
        || ' ) deltas GROUP BY o, k, t, p HAVING sum(d) <> 0 ORDER BY o, k, t, p'
        || ' ON CONFLICT (organization_id, kind, term, project_id) DO UPDATE SET documents = c.documents + EXCLUDED.documents'
$$;

CREATE FUNCTION search_terms_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    cols constant text := 'organization_id, kind, project_id, terms';
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE search_term_upsert_sql('SELECT ' || cols || ', 1 AS d FROM new_docs');
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE search_term_upsert_sql('SELECT ' || cols || ', 1 AS d FROM new_docs UNION ALL SELECT ' || cols
                                       || ', -1 FROM old_docs');
    ELSE
        EXECUTE search_term_upsert_sql('SELECT ' || cols || ', -1 AS d FROM old_docs');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER search_terms_inserted AFTER INSERT ON search_documents
    REFERENCING NEW TABLE AS new_docs FOR EACH STATEMENT EXECUTE FUNCTION search_terms_changed();
CREATE TRIGGER search_terms_updated AFTER UPDATE ON search_documents
    REFERENCING OLD TABLE AS old_docs NEW TABLE AS new_docs FOR EACH STATEMENT EXECUTE FUNCTION search_terms_changed();
CREATE TRIGGER search_terms_deleted AFTER DELETE ON search_documents
    REFERENCING OLD TABLE AS old_docs FOR EACH STATEMENT EXECUTE FUNCTION search_terms_changed();

-- what is already indexed
DO $$ BEGIN
    EXECUTE search_term_upsert_sql('SELECT organization_id, kind, project_id, terms, 1 AS d FROM search_documents');
END $$;
