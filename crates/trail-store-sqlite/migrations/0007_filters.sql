-- Filters that pick few events out of many must not walk the whole account:
-- a person's events and an event type's, newest first straight off the index;
-- a session's events (a handful) by the session.
CREATE INDEX events_by_user ON events (account_id, user_id, event_time, seq);
CREATE INDEX events_by_type ON events (account_id, event_type_id, event_time, seq);
CREATE INDEX events_by_session ON events (account_id, session_id);

-- The benchmark's baseline keeps the same indexes.
CREATE INDEX bench_raw_events_by_user ON bench_raw_events (account_id, user_id, event_time, seq);
CREATE INDEX bench_raw_events_by_type ON bench_raw_events (account_id, event_type_id, event_time, seq);
CREATE INDEX bench_raw_events_by_session ON bench_raw_events (account_id, session_id);
