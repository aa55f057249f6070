-- Free-text search: a trigram index over each event's search document (what
-- trail_store::search::search_document builds: who, action, type, resource kind
-- and name, package, message, error, address and parameter values, lowercased,
-- one per line), keyed by the events' rowid. Contentless and without positions
-- (detail=none): the index only says which events hold all trigrams of a text,
-- and the search confirms the substring on those few rows; that halves the cost
-- of indexing an event.
CREATE VIRTUAL TABLE events_text USING fts5(document, content='', contentless_delete=1, detail=none, tokenize='trigram');
-- Every group commit adds a small segment; merging them in larger steps (16
-- segments instead of 4) costs a third less per event and keeps reads fast.
INSERT INTO events_text (events_text, rank) VALUES ('automerge', 16);
INSERT INTO events_text (rowid, document)
SELECT e.rowid, lower(concat_ws(char(10), e.actor_id, e.actor_name, e.action, t.name, e.resource_kind,
    e.resource_name, e.package, e.description, e.error_message, e.ip,
    (SELECT group_concat(v.value, char(10)) FROM event_parameter_values v
     WHERE v.account_id = e.account_id AND v.event_id = e.id AND v.value_uuid IS NULL)))
FROM events e JOIN event_types t ON t.id = e.event_type_id;

-- `ip:` searches: one address newest first straight off the index, or a prefix
-- as a range of it.
CREATE INDEX events_by_ip ON events (account_id, ip, event_time, seq);

-- The benchmark's baseline keeps the same indexes.
CREATE VIRTUAL TABLE bench_raw_text USING fts5(document, content='', contentless_delete=1, detail=none, tokenize='trigram');
CREATE INDEX bench_raw_events_by_ip ON bench_raw_events (account_id, ip, event_time, seq);
