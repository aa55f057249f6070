-- Per-account settings, one JSON document per name: `redaction` (the rules
-- applied before events are stored), `visibility` (what only owners see),
-- `logging` (what is recorded for which users and groups).
CREATE TABLE account_settings (
    account_id  uuid NOT NULL REFERENCES accounts(id),
    name        text NOT NULL,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (account_id, name)
);
