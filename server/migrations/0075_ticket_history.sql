-- What happened to a ticket, for its page: filed (and how it was matched), an agent's
-- confirmation or correction, the article sent, the fix becoming available. One row per step,
-- written by the tickets service beside the change itself.
CREATE TABLE ticket_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text NOT NULL CHECK (kind IN ('auto', 'new', 'confirmed', 'corrected', 'article', 'fix_available')),
    cluster_id  bigint,              -- the cluster the step put the ticket in (auto/new/confirmed/corrected)
    article_id  bigint,              -- the article sent (article)
    version     text,                -- the version to upgrade to (fix_available)
    actor       text                 -- who did it, when a person did
);
CREATE INDEX ticket_history_ticket ON ticket_history (ticket_id, id);
-- The organization's tickets page lists across its projects, newest first.
CREATE INDEX tickets_organization ON tickets (organization_id, id DESC);
