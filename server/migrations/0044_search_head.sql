-- Ranking is what made a query of common words slow ("app crash" matches half the articles):
-- the planner expects most rows to match, so it scans the table and, to test each row, reads
-- its whole vector out of TOAST storage (bodies make vectors large), then ts_rank reads
-- thousands of them again. Two fixes, both used by server.db.search.query:
-- * ``head``: the title and extra terms alone (weights A and B), small enough to stay inline
--   and uncompressed, a cheap pre-rank that bounds how many matches get the full rank;
-- * ``search_top``: the match + bounded rank (plpgsql; custom plans so the kind partition is pruned
--   at plan time), run with seq scans off (a function-level
--   setting, so nothing leaks to the caller's session): the GIN index answers ``@@`` without
--   reading any vector, however many rows match.
ALTER TABLE search_documents ADD COLUMN head tsvector GENERATED ALWAYS AS (ts_filter(terms, '{a,b}')) STORED;

CREATE FUNCTION search_top(org bigint, doc_kind text, q tsquery, rank_q tsquery, head_q tsquery, n int, pre int)
RETURNS TABLE (top_id bigint, rank real) LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    RETURN QUERY SELECT c.ref_id, ts_rank('{0.2, 0.2, 0.4, 1.0}', c.terms, rank_q, 1)
    FROM (SELECT s.ref_id, s.terms FROM search_documents s
          WHERE s.organization_id = org AND s.kind = doc_kind AND s.terms @@ q
          ORDER BY ts_rank('{0.2, 0.2, 0.4, 1.0}', s.head, head_q) DESC, s.ref_id DESC LIMIT pre) c
    ORDER BY 2 DESC, 1 DESC LIMIT n;
END
$$;
