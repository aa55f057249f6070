-- Searches list events newest first by (event_time, seq); the index covers both
-- so a page is read straight off it, without sorting.
DROP INDEX events_by_time;
CREATE INDEX events_by_time ON events (account_id, event_time DESC, seq DESC);
-- The benchmark's baseline table keeps the same indexes.
DROP INDEX IF EXISTS bench_raw_events_account_id_event_time_idx;
CREATE INDEX bench_raw_events_by_time ON bench_raw_events (account_id, event_time DESC, seq DESC);
