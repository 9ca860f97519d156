-- The lookup shows with each candidate cluster the articles agents sent as the answer to its tickets
-- (server.db.ticket_facts.articles), counted from the tickets of the cluster and of those merged into
-- it that have an article_id. tickets_cluster holds every ticket of a cluster: at 100,000 tickets the
-- count read each of a busy cluster's thousands (40 ms of a lookup). Only tickets with an answer are
-- indexed here, so the count reads those alone. An index only: old rows need nothing.
CREATE INDEX tickets_cluster_article ON tickets (cluster_id, article_id) WHERE article_id IS NOT NULL;
