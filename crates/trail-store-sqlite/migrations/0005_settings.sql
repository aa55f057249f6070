-- Per-account settings, one JSON document per name: `redaction` (the rules
-- applied before events are stored), `visibility` (what only owners see),
-- `logging` (what is recorded for which users and groups).
CREATE TABLE account_settings (
    account_id  BLOB NOT NULL REFERENCES accounts(id),
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;
