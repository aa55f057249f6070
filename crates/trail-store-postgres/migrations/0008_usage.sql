-- Usage rollups (crates/trail-core/src/rollup.rs, docs/usage-analysis.md),
-- maintained in the transaction that stores the events. Buckets are the start
-- of an hour (grain 0) or a UTC day (grain 1). Blank dimensions are 0 and
-- ''. `people` holds each person's events, failures and errors in the cell, by
-- person number (usage_people.num), packed as varints.
CREATE TABLE usage_cells (
    account_id     uuid NOT NULL,
    cuboid         smallint NOT NULL,
    grain          smallint NOT NULL,
    bucket         timestamptz NOT NULL,
    event_type_id  bigint NOT NULL,
    package        text NOT NULL,
    resource_kind  text NOT NULL,
    function       text NOT NULL,
    source         text NOT NULL,
    level          text NOT NULL,
    events         bigint NOT NULL,
    failures       bigint NOT NULL,
    errors         bigint NOT NULL,
    timed          bigint NOT NULL,
    duration_sum   bigint NOT NULL,
    duration_max   bigint NOT NULL,
    people         bytea NOT NULL,
    PRIMARY KEY (account_id, cuboid, grain, bucket, event_type_id, package, resource_kind,
                 function, source, level)
);

-- Per operation and bucket, a mergeable sketch of its durations (DDSketch, 2%).
CREATE TABLE usage_durations (
    account_id     uuid NOT NULL,
    grain          smallint NOT NULL,
    bucket         timestamptz NOT NULL,
    event_type_id  bigint NOT NULL,
    package        text NOT NULL,
    resource_kind  text NOT NULL,
    function       text NOT NULL,
    sketch         bytea NOT NULL,
    PRIMARY KEY (account_id, grain, bucket, event_type_id, package, resource_kind, function)
);

-- Occurrences of each error signature per bucket and place, with whom they hit.
CREATE TABLE usage_errors (
    account_id     uuid NOT NULL,
    grain          smallint NOT NULL,
    bucket         timestamptz NOT NULL,
    signature      text NOT NULL,
    event_type_id  bigint NOT NULL,
    package        text NOT NULL,
    resource_kind  text NOT NULL,
    function       text NOT NULL,
    occurrences    bigint NOT NULL,
    people         bytea NOT NULL,
    PRIMARY KEY (account_id, grain, bucket, signature, event_type_id, package, resource_kind, function)
);

-- First and last seen: people (for "new users"), packages and functions (for
-- first use and unused features), error signatures (with the latest message).
CREATE TABLE usage_people (
    account_id  uuid NOT NULL,
    user_id     uuid NOT NULL,
    -- The person's number in the rollups' tallies: 1, 2, 3, ... per account.
    num         integer NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (account_id, user_id),
    UNIQUE (account_id, num)
);

CREATE TABLE usage_features (
    account_id     uuid NOT NULL,
    package        text NOT NULL,
    resource_kind  text NOT NULL,
    function       text NOT NULL,
    label          text NOT NULL,
    first_seen     timestamptz NOT NULL,
    last_seen      timestamptz NOT NULL,
    PRIMARY KEY (account_id, package, resource_kind, function)
);

CREATE TABLE usage_signatures (
    account_id  uuid NOT NULL,
    signature   text NOT NULL,
    message     text NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (account_id, signature)
);

-- Accounts whose events predate the rollups; the store rolls them up when it opens.
CREATE TABLE usage_backfill (account_id uuid PRIMARY KEY);
INSERT INTO usage_backfill SELECT DISTINCT account_id FROM events;

-- One error group's occurrences, newest first, and the sessions they hit (read off
-- the index alone); sessions started in a window.
CREATE INDEX events_by_error ON events (account_id, error_signature, event_time DESC, session_id)
    WHERE error_signature IS NOT NULL;
CREATE INDEX users_sessions_by_start ON users_sessions (account_id, started);

-- The actions before an error in its session: the session's events by time.
DROP INDEX events_by_session;
CREATE INDEX events_by_session ON events (account_id, session_id, event_time);
