-- Free-text search: each event's search document (what
-- trail_store::search::search_document builds: who, action, type, resource kind
-- and name, package, message, error, address and parameter values, lowercased,
-- one per line) under a trigram index, so `search_text LIKE '%…%'` is an index
-- lookup whenever the planner expects few matches.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE events ADD COLUMN search_text text;
UPDATE events e SET search_text = lower(concat_ws(E'\n', e.actor_id, e.actor_name, e.action, t.name,
    e.resource_kind, e.resource_name, e.package, e.description, e.error_message, e.ip,
    (SELECT string_agg(v.value, E'\n') FROM event_parameter_values v
     WHERE v.account_id = e.account_id AND v.event_id = e.id AND v.value_uuid IS NULL)))
FROM event_types t WHERE t.account_id = e.account_id AND t.id = e.event_type_id;
CREATE INDEX events_text ON events USING gin (search_text gin_trgm_ops);

-- `ip:` searches: one address newest first straight off the index, or a prefix
-- as a range of it. The planner's statistics of the column tell it how common
-- an address is, so a common prefix is read off the time index instead.
CREATE INDEX events_by_ip ON events (account_id, (ip COLLATE "C"), event_time DESC, seq DESC);

-- The benchmark's baseline keeps the same columns and indexes.
ALTER TABLE bench_raw_events ADD COLUMN search_text text;
CREATE INDEX bench_raw_events_text ON bench_raw_events USING gin (search_text gin_trgm_ops);
CREATE INDEX bench_raw_events_by_ip ON bench_raw_events (account_id, (ip COLLATE "C"), event_time DESC, seq DESC);
