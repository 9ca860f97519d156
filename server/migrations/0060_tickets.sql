-- Support tickets: a customer's words, matched to the crash cluster they describe.
-- A ticket matching nothing starts its own cluster (clusters.platform = 'ticket'), so a
-- later duplicate finds it. The match is the system's until an agent confirms or corrects
-- it (match_source 'confirmed' / 'corrected'); regrouping never moves such a ticket.
CREATE TABLE tickets (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id  bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    project_id       bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    external_ref     text,
    subject          text NOT NULL,
    body             text NOT NULL DEFAULT '',
    customer         text,
    version          text,
    language         text NOT NULL,
    cluster_id       bigint REFERENCES clusters(id) ON DELETE SET NULL,
    status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'fix_available', 'closed')),
    match            jsonb,                       -- the candidate it joined by, as the API shows it
    match_source     text NOT NULL DEFAULT 'auto' CHECK (match_source IN ('auto', 'new', 'confirmed', 'corrected')),
    trace_kind       text,                        -- 'trace' / 'last_line' / NULL: what was found in the text
    article_id       bigint,                      -- the article an agent sent as the answer
    fix_version      text,                        -- the release that made the fix available
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tickets_external_ref ON tickets (project_id, external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX tickets_project_id ON tickets (project_id, id DESC);
CREATE INDEX tickets_cluster ON tickets (cluster_id, id DESC);
CREATE INDEX tickets_project_customer ON tickets (project_id, customer, id DESC) WHERE customer IS NOT NULL;
CREATE INDEX tickets_confirmed ON tickets (project_id, cluster_id) WHERE match_source IN ('confirmed', 'corrected');

-- Which clusters the search index holds, so new clusters are indexed on the next lookup
-- without touching the grouping worker's hot path.
CREATE TABLE ticket_search_state (
    project_id        bigint PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    cluster_watermark bigint NOT NULL DEFAULT 0,
    synced_at         timestamptz NOT NULL DEFAULT 'epoch'
);
-- How many events a cluster had when its search document was written: it is rewritten
-- (with the words of its newer events: routes, jobs, messages) once that count doubles.
CREATE TABLE ticket_cluster_index (
    cluster_id  bigint PRIMARY KEY REFERENCES clusters(id) ON DELETE CASCADE,
    events      bigint NOT NULL,
    extra       text NOT NULL DEFAULT ''   -- the document's words beside the title, for re-ranking
);
