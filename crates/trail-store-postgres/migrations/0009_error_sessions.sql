-- The sessions each error cell hit (trail_core::rollup::Sessions: each
-- session's id and its person's number), so that the Errors view counts the
-- sessions an error hit without reading its events. Accounts with errors are
-- rolled up again when the store opens, to fill them.
ALTER TABLE usage_errors ADD COLUMN sessions bytea NOT NULL DEFAULT '';
INSERT INTO usage_backfill
    SELECT DISTINCT account_id FROM events WHERE error_signature IS NOT NULL
    ON CONFLICT DO NOTHING;
