-- Facts about this installation that every command should agree on (e.g. the URL that
-- `crashdesk serve` last announced, so `createproject` prints DSNs with the right port).
CREATE TABLE instance_settings (
    key         text PRIMARY KEY,
    value       text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
