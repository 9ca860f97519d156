-- API tokens get scopes (read < write < admin), an optional expiry and revocation.
-- Existing tokens keep full access, as they had.
ALTER TABLE api_tokens
    ADD COLUMN scopes      text[] NOT NULL DEFAULT '{read,write,admin}'
        CHECK (scopes <@ '{read,write,admin}'::text[] AND cardinality(scopes) > 0),
    ADD COLUMN expires_at  timestamptz,
    ADD COLUMN revoked_at  timestamptz;
CREATE INDEX api_tokens_organization ON api_tokens (organization_id, id);
