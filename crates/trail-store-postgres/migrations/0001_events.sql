-- Trail's PostgreSQL schema. The four event tables follow the seed system
-- (events, event_types, event_parameters, event_parameter_values); every tenant
-- table's primary key leads with account_id so the schema can later be
-- distributed by account. docs/schema.md explains each table with example SQL.

CREATE TABLE accounts (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    next_seq    bigint NOT NULL DEFAULT 1   -- the next event sequence number of this account
);

CREATE TABLE users (
    account_id     uuid NOT NULL REFERENCES accounts(id),
    id             uuid NOT NULL,
    login          text NOT NULL,
    friendly_name  text,
    email          text,
    role           text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'auditor')),
    password_hash  text,                    -- argon2id PHC string, never the password
    joined         timestamptz NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, login)
);

CREATE TABLE groups (
    account_id  uuid NOT NULL REFERENCES accounts(id),
    id          uuid NOT NULL,
    name        text NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, name)
);

-- Groups nest: a group includes its child groups (recursively).
CREATE TABLE groups_relations (
    account_id  uuid NOT NULL,
    parent_id   uuid NOT NULL,
    child_id    uuid NOT NULL,
    PRIMARY KEY (account_id, parent_id, child_id),
    FOREIGN KEY (account_id, parent_id) REFERENCES groups(account_id, id),
    FOREIGN KEY (account_id, child_id) REFERENCES groups(account_id, id)
);

CREATE TABLE group_members (
    account_id  uuid NOT NULL,
    group_id    uuid NOT NULL,
    user_id     uuid NOT NULL,
    PRIMARY KEY (account_id, group_id, user_id),
    FOREIGN KEY (account_id, group_id) REFERENCES groups(account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id)
);

CREATE TABLE api_keys (
    account_id    uuid NOT NULL REFERENCES accounts(id),
    id            uuid NOT NULL,
    name          text NOT NULL,
    prefix        text NOT NULL,            -- first characters, to tell keys apart
    secret_hash   text NOT NULL UNIQUE,     -- hex SHA-256 of the key; the key is never stored
    scope         text NOT NULL CHECK (scope IN ('ingest', 'read', 'admin')),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    PRIMARY KEY (account_id, id)
);

CREATE TABLE users_sessions (
    account_id  uuid NOT NULL,
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    started     timestamptz NOT NULL,
    ended       timestamptz,
    ip          text,
    user_agent  text,
    client      text,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id)
);
CREATE INDEX users_sessions_by_user ON users_sessions (account_id, user_id, started DESC);

CREATE TABLE event_types (
    account_id     uuid NOT NULL REFERENCES accounts(id),
    id             bigint GENERATED ALWAYS AS IDENTITY,
    name           text NOT NULL,
    friendly_name  text,
    resource_kind  text,
    action         text NOT NULL,
    level          text NOT NULL,
    builtin        boolean NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, name)
);

-- Parameters are declared per event type, with the data type of the first value seen.
CREATE TABLE event_parameters (
    account_id     uuid NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    event_type_id  bigint NOT NULL,
    name           text NOT NULL,
    type           text NOT NULL CHECK (type IN ('string', 'number', 'bool', 'entity_id', 'json')),
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, event_type_id, name),
    FOREIGN KEY (account_id, event_type_id) REFERENCES event_types(account_id, id)
);

CREATE TABLE events (
    account_id         uuid NOT NULL,
    id                 uuid NOT NULL,
    seq                bigint NOT NULL,          -- gap-free per account, assigned at commit
    event_type_id      bigint NOT NULL,
    event_time         timestamptz NOT NULL,     -- occurred_at (client clock)
    received_at        timestamptz NOT NULL,     -- server clock at commit
    session_id         uuid,
    user_id            uuid,                     -- set when the actor is a user
    actor_kind         text NOT NULL,
    actor_id           text NOT NULL,
    actor_name         text,
    actor_email        text,
    source             text NOT NULL,
    resource_kind      text,
    resource_id        text,
    resource_name      text,
    package            text,
    action             text NOT NULL,
    status             text NOT NULL,
    level              text NOT NULL,
    duration_ms        bigint,
    ip                 text,
    user_agent         text,
    request_id         text,
    operation_id       text,
    description        text,                     -- the event's message
    is_error           boolean NOT NULL,
    error_message      text,
    error_stack_trace  text,
    error_signature    text,
    changes_before     json,                     -- json, not jsonb: kept byte for byte, so the hash verifies
    changes_after      json,
    changed_fields     jsonb,                    -- server-computed [{field, before, after}]
    content_digest     bytea NOT NULL,           -- SHA-256 of the submitted item, for idempotent retries
    hash               bytea NOT NULL,           -- SHA-256 of the canonical record (docs/schema.md)
    -- event_type_id refers to event_types(account_id, id). The constraint is not
    -- declared: checking it row by row took 40% of ingest time, and the writer
    -- resolves every type id in the same transaction that writes the event.
    PRIMARY KEY (account_id, id),
    UNIQUE (account_id, seq)
);
CREATE INDEX events_by_time ON events (account_id, event_time DESC);

CREATE TABLE event_parameter_values (
    account_id    uuid NOT NULL,
    event_id      uuid NOT NULL,
    parameter_id  bigint NOT NULL,
    value         text NOT NULL,
    value_uuid    uuid,                          -- the value as an entity id, when it is one
    -- The value's own data type when it differs from the parameter's declared one
    -- (`rows` declared a number, later sent as "ten"); NULL when they agree. Without
    -- it such a value could not be read back as sent, and its hash would not verify.
    value_type    text CHECK (value_type IN ('string', 'number', 'bool', 'entity_id', 'json')),
    PRIMARY KEY (account_id, event_id, parameter_id)
);

-- Benchmark baseline (`trail bench ingest`): the same rows, keys and indexes, loaded
-- with COPY and nothing else. Emptied at the start of each baseline run.
CREATE TABLE bench_raw_events (LIKE events INCLUDING ALL);
CREATE TABLE bench_raw_parameter_values (LIKE event_parameter_values INCLUDING ALL);
