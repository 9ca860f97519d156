-- One text index for every searchable kind (articles, clusters, tickets, ...), keyed by
-- (organization, kind, ref id). Terms come pre-tokenised from dedupe.text (Chinese
-- segmented, English stemmed, code names kept), so only core full-text search is used:
-- a GIN index on a tsvector built in Python, queried with a tsquery built in Python.
-- Filters (organization, project, visibility, language) are also stored as '$'-terms
-- inside the vector, so one GIN scan answers "these words, in this scope".
-- Partitioned by kind: an article search never reads the (much larger) cluster index.
CREATE TABLE search_documents (
    organization_id  bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    kind             text NOT NULL,
    ref_id           bigint NOT NULL,
    project_id       bigint,
    visibility       text,
    language         text,
    title            text NOT NULL,
    body             text NOT NULL DEFAULT '',   -- a prefix of the text, for re-ranking and snippets
    terms            tsvector NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, kind, ref_id)
) PARTITION BY LIST (kind);
CREATE TABLE search_documents_article PARTITION OF search_documents FOR VALUES IN ('article');
CREATE TABLE search_documents_cluster PARTITION OF search_documents FOR VALUES IN ('cluster');
CREATE TABLE search_documents_ticket PARTITION OF search_documents FOR VALUES IN ('ticket');
CREATE TABLE search_documents_other PARTITION OF search_documents DEFAULT;
CREATE INDEX search_documents_terms ON search_documents USING gin (terms);
