-- Web accounts: server-side sessions, one-time links (invites, password resets), sign-in throttle.
ALTER TABLE users ADD COLUMN name text NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();

-- Only a hash of the cookie value is stored: a leaked table does not sign anyone in.
CREATE TABLE web_sessions (
    token_hash    bytea PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- An invite (organization + role, for an e-mail) or a password reset (for a user), used once.
CREATE TABLE account_links (
    token_hash       bytea PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('invite', 'reset')),
    organization_id  bigint REFERENCES organizations(id) ON DELETE CASCADE,
    email            text NOT NULL,
    role             text CHECK (role IN ('admin', 'engineer', 'agent')),
    created_by       bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    used_at          timestamptz,
    CHECK (kind <> 'invite' OR (organization_id IS NOT NULL AND role IS NOT NULL))
);
CREATE INDEX account_links_org ON account_links (organization_id, created_at DESC);

-- Failed attempts per key ('email:<address>' and 'ip:<address>') in a sliding window.
CREATE TABLE sign_in_failures (
    key           text PRIMARY KEY,
    failures      integer NOT NULL,
    window_start  timestamptz NOT NULL
);
