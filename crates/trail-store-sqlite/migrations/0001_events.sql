-- Trail's embedded schema: the same logical model as PostgreSQL's
-- (crates/trail-store-postgres/migrations), in SQLite's types: ids are 16-byte
-- UUID blobs, timestamps are INTEGER microseconds since the Unix epoch
-- (datetime(event_time / 1e6, 'unixepoch') reads them), JSON is TEXT.

CREATE TABLE accounts (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    next_seq    INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE users (
    account_id     BLOB NOT NULL REFERENCES accounts(id),
    id             BLOB NOT NULL,
    login          TEXT NOT NULL,
    friendly_name  TEXT,
    email          TEXT,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'auditor')),
    password_hash  TEXT,
    joined         INTEGER NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, login)
) WITHOUT ROWID;

CREATE TABLE groups (
    account_id  BLOB NOT NULL REFERENCES accounts(id),
    id          BLOB NOT NULL,
    name        TEXT NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, name)
) WITHOUT ROWID;

CREATE TABLE groups_relations (
    account_id  BLOB NOT NULL,
    parent_id   BLOB NOT NULL,
    child_id    BLOB NOT NULL,
    PRIMARY KEY (account_id, parent_id, child_id),
    FOREIGN KEY (account_id, parent_id) REFERENCES groups(account_id, id),
    FOREIGN KEY (account_id, child_id) REFERENCES groups(account_id, id)
) WITHOUT ROWID;

CREATE TABLE group_members (
    account_id  BLOB NOT NULL,
    group_id    BLOB NOT NULL,
    user_id     BLOB NOT NULL,
    PRIMARY KEY (account_id, group_id, user_id),
    FOREIGN KEY (account_id, group_id) REFERENCES groups(account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id)
) WITHOUT ROWID;

CREATE TABLE api_keys (
    account_id    BLOB NOT NULL REFERENCES accounts(id),
    id            BLOB NOT NULL,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    scope         TEXT NOT NULL CHECK (scope IN ('ingest', 'read', 'admin')),
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    last_used_at  INTEGER,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;

CREATE TABLE users_sessions (
    account_id  BLOB NOT NULL,
    id          BLOB NOT NULL,
    user_id     BLOB NOT NULL,
    started     INTEGER NOT NULL,
    ended       INTEGER,
    ip          TEXT,
    user_agent  TEXT,
    client      TEXT,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id)
) WITHOUT ROWID;
CREATE INDEX users_sessions_by_user ON users_sessions (account_id, user_id, started DESC);

CREATE TABLE event_types (
    id             INTEGER PRIMARY KEY,
    account_id     BLOB NOT NULL REFERENCES accounts(id),
    name           TEXT NOT NULL,
    friendly_name  TEXT,
    resource_kind  TEXT,
    action         TEXT NOT NULL,
    level          TEXT NOT NULL,
    builtin        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (account_id, name)
);

CREATE TABLE event_parameters (
    id             INTEGER PRIMARY KEY,
    account_id     BLOB NOT NULL,
    event_type_id  INTEGER NOT NULL REFERENCES event_types(id),
    name           TEXT NOT NULL,
    type           TEXT NOT NULL CHECK (type IN ('string', 'number', 'bool', 'entity_id', 'json')),
    UNIQUE (account_id, event_type_id, name)
);

CREATE TABLE events (
    account_id         BLOB NOT NULL,
    id                 BLOB NOT NULL,
    seq                INTEGER NOT NULL,
    event_type_id      INTEGER NOT NULL,
    event_time         INTEGER NOT NULL,
    received_at        INTEGER NOT NULL,
    session_id         BLOB,
    user_id            BLOB,
    actor_kind         TEXT NOT NULL,
    actor_id           TEXT NOT NULL,
    actor_name         TEXT,
    actor_email        TEXT,
    source             TEXT NOT NULL,
    resource_kind      TEXT,
    resource_id        TEXT,
    resource_name      TEXT,
    package            TEXT,
    action             TEXT NOT NULL,
    status             TEXT NOT NULL,
    level              TEXT NOT NULL,
    duration_ms        INTEGER,
    ip                 TEXT,
    user_agent         TEXT,
    request_id         TEXT,
    operation_id       TEXT,
    description        TEXT,
    is_error           INTEGER NOT NULL,
    error_message      TEXT,
    error_stack_trace  TEXT,
    error_signature    TEXT,
    changes_before     TEXT,
    changes_after      TEXT,
    changed_fields     TEXT,
    content_digest     BLOB NOT NULL,
    hash               BLOB NOT NULL
);
CREATE UNIQUE INDEX events_by_id ON events (account_id, id);
CREATE UNIQUE INDEX events_by_seq ON events (account_id, seq);
CREATE INDEX events_by_time ON events (account_id, event_time);

CREATE TABLE event_parameter_values (
    account_id    BLOB NOT NULL,
    event_id      BLOB NOT NULL,
    parameter_id  INTEGER NOT NULL,
    value         TEXT NOT NULL,
    value_uuid    BLOB,
    -- The value's own type when it differs from the parameter's declared type.
    value_type    TEXT CHECK (value_type IN ('string', 'number', 'bool', 'entity_id', 'json')),
    PRIMARY KEY (account_id, event_id, parameter_id)
) WITHOUT ROWID;

-- Benchmark baseline (`trail bench ingest`): the same rows, keys and indexes,
-- written in one prepared-statement transaction and nothing else.
CREATE TABLE bench_raw_events AS SELECT * FROM events WHERE 0;
CREATE UNIQUE INDEX bench_raw_events_by_id ON bench_raw_events (account_id, id);
CREATE UNIQUE INDEX bench_raw_events_by_seq ON bench_raw_events (account_id, seq);
CREATE INDEX bench_raw_events_by_time ON bench_raw_events (account_id, event_time);
CREATE TABLE bench_raw_parameter_values (
    account_id    BLOB NOT NULL,
    event_id      BLOB NOT NULL,
    parameter_id  INTEGER NOT NULL,
    value         TEXT NOT NULL,
    value_uuid    BLOB,
    value_type    TEXT,
    PRIMARY KEY (account_id, event_id, parameter_id)
) WITHOUT ROWID;
