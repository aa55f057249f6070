-- An entity's activity and usage read its events by (kind, id) and time.
CREATE INDEX events_by_resource ON events (account_id, resource_kind, resource_id, event_time DESC);
