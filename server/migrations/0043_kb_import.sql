-- The id a help-centre export gave an article: a re-import updates it, never duplicates it.
ALTER TABLE kb_articles ADD COLUMN import_key text;
CREATE UNIQUE INDEX kb_articles_import_key ON kb_articles (organization_id, import_key) WHERE import_key IS NOT NULL;
