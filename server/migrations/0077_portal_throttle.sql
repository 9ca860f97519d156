-- Self-help portal: tickets sent through the public form are counted per key (organization and
-- address) in a fixed window, so a script cannot flood an organization's support desk.
CREATE TABLE portal_throttle (
    key           text PRIMARY KEY,
    hits          integer NOT NULL,
    window_start  timestamptz NOT NULL
);
