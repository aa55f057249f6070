-- Free-text search: a trigram index over each event's search document (what
-- trail_store::search::search_document builds: who, action, type, resource kind
-- and name, package, message, error, address and parameter values, lowercased,
-- one per line), keyed by the events' rowid. Contentless: the text is not stored
-- a second time, only its index.
CREATE VIRTUAL TABLE events_text USING fts5(document, content='', contentless_delete=1, tokenize='trigram');
INSERT INTO events_text (rowid, document)
SELECT e.rowid, lower(concat_ws(char(10), e.actor_id, e.actor_name, e.action, t.name, e.resource_kind,
    e.resource_name, e.package, e.description, e.error_message, e.ip,
    (SELECT group_concat(v.value, char(10)) FROM event_parameter_values v
     WHERE v.account_id = e.account_id AND v.event_id = e.id AND v.value_uuid IS NULL)))
FROM events e JOIN event_types t ON t.id = e.event_type_id;

-- `ip:` searches: an address, or a prefix as a range, newest first.
CREATE INDEX events_by_ip ON events (account_id, ip, event_time, seq);

-- The benchmark's baseline keeps the same indexes.
CREATE VIRTUAL TABLE bench_raw_text USING fts5(document, content='', contentless_delete=1, tokenize='trigram');
CREATE INDEX bench_raw_events_by_ip ON bench_raw_events (account_id, ip, event_time, seq);
