-- search_top returns at most its ``n`` best matches (30 for a search, 100 for the lookup's candidates),
-- but a set-returning function is estimated at 1,000 rows: server.db.search then joined its ids to
-- search_documents by scanning the whole kind's partition with a hash join (3.8 ms of an article
-- search's 4.7 at 10,000 articles; more for 100,000 clusters or tickets). Told the truth, the planner
-- reads the winners by primary key. Same rows, same order.
ALTER FUNCTION search_top(bigint, text, tsquery, tsquery, tsquery, int, int) ROWS 50;
