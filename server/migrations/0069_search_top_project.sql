-- The lookup's candidates of one project: ``search_top`` with the scope read from the columns
-- instead of the vector. Its match asked '$o<org>' & '$p<project>' & (rare words): the two
-- scope terms are in every document of the project, the largest posting lists of the GIN index,
-- walked for each of the few hundred rows the rare words match. Here the GIN index answers the
-- words alone and the organization and project columns (written from the same document as the
-- '$'-terms by server.services.search, so they select the same rows) filter its matches.
-- The rank queries are the callers' as before: same rows, same ranks, same order.
CREATE FUNCTION search_top_project(org bigint, doc_kind text, project bigint, q tsquery, rank_q tsquery,
                                   head_q tsquery, n int, pre int)
RETURNS TABLE (top_id bigint, rank real) LANGUAGE plpgsql STABLE ROWS 100
SET enable_seqscan = off SET plan_cache_mode = force_custom_plan AS $$
BEGIN
    RETURN QUERY SELECT c.ref_id, ts_rank('{0.2, 0.2, 0.4, 1.0}', c.terms, rank_q, 1)
    FROM (SELECT s.ref_id, s.terms FROM search_documents s
          WHERE s.organization_id = org AND s.kind = doc_kind AND s.project_id = project AND s.terms @@ q
          ORDER BY ts_rank('{0.2, 0.2, 0.4, 1.0}', s.head, head_q) DESC, s.ref_id DESC LIMIT pre) c
    ORDER BY 2 DESC, 1 DESC LIMIT n;
END
$$;
