-- Knowledge base articles: one article, several language versions, each an append-only
-- chain of revisions; links to clusters; usage counters and knowledge gaps.
CREATE TABLE kb_articles (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id  bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    owner_id         bigint REFERENCES users(id) ON DELETE SET NULL,
    status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    visibility       text NOT NULL DEFAULT 'internal' CHECK (visibility IN ('internal', 'public')),
    tags             text[] NOT NULL DEFAULT '{}',
    stale            boolean NOT NULL DEFAULT false,
    stale_reason     text,
    stale_at         timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kb_articles_org ON kb_articles (organization_id, id DESC);
CREATE INDEX kb_articles_tags ON kb_articles USING gin (tags);

-- The current text of each language version; ``revision`` is its newest revision number.
CREATE TABLE kb_translations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,   -- the search index's ref id
    article_id  bigint NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    language    text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    revision    integer NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (article_id, language)
);

-- Append-only: rows are inserted, never updated or deleted (a restore is a new revision).
CREATE TABLE kb_revisions (
    article_id     bigint NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    language       text NOT NULL,
    revision       integer NOT NULL,
    title          text NOT NULL,
    body           text NOT NULL,
    summary        text NOT NULL DEFAULT '',
    author         text NOT NULL,
    restored_from  integer,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, language, revision)
);

CREATE TABLE kb_article_clusters (
    article_id  bigint NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    cluster_id  bigint NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    affected    text,          -- a version range, e.g. '>=2.1.0 <2.4.1'
    fixed_in    text,
    workaround  text,
    linked_by   text NOT NULL,
    linked_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, cluster_id)
);
CREATE INDEX kb_article_clusters_cluster ON kb_article_clusters (cluster_id);

-- Usage per article and day: views, searches that returned it, votes.
CREATE TABLE kb_usage (
    article_id   bigint NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    day          date NOT NULL,
    views        bigint NOT NULL DEFAULT 0,
    search_hits  bigint NOT NULL DEFAULT 0,
    helpful      bigint NOT NULL DEFAULT 0,
    not_helpful  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, day)
);

-- Searches that found nothing: the knowledge base's gaps, in the searchers' own words.
CREATE TABLE kb_search_gaps (
    organization_id  bigint NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    query            text NOT NULL,
    count            bigint NOT NULL DEFAULT 1,
    first_at         timestamptz NOT NULL DEFAULT now(),
    last_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, query)
);
