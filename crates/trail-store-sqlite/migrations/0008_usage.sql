-- Usage rollups (crates/trail-core/src/rollup.rs, docs/usage-analysis.md),
-- maintained in the transaction that stores the events. Buckets are the start
-- of an hour (grain 0) or a UTC day (grain 1), in µs since the epoch. Blank
-- dimensions are 0 and ''. `people` holds each person's events, failures and
-- errors in the cell, by person number (usage_people.num), packed as varints.
CREATE TABLE usage_cells (
    account_id     BLOB NOT NULL,
    cuboid         INTEGER NOT NULL,
    grain          INTEGER NOT NULL,
    bucket         INTEGER NOT NULL,
    event_type_id  INTEGER NOT NULL,
    package        TEXT NOT NULL,
    resource_kind  TEXT NOT NULL,
    function       TEXT NOT NULL,
    source         TEXT NOT NULL,
    level          TEXT NOT NULL,
    events         INTEGER NOT NULL,
    failures       INTEGER NOT NULL,
    errors         INTEGER NOT NULL,
    timed          INTEGER NOT NULL,
    duration_sum   INTEGER NOT NULL,
    duration_max   INTEGER NOT NULL,
    people         BLOB NOT NULL,
    PRIMARY KEY (account_id, cuboid, grain, bucket, event_type_id, package, resource_kind,
                 function, source, level)
) WITHOUT ROWID;

-- Per operation and bucket, a mergeable sketch of its durations (DDSketch, 2%).
CREATE TABLE usage_durations (
    account_id     BLOB NOT NULL,
    grain          INTEGER NOT NULL,
    bucket         INTEGER NOT NULL,
    event_type_id  INTEGER NOT NULL,
    package        TEXT NOT NULL,
    resource_kind  TEXT NOT NULL,
    function       TEXT NOT NULL,
    sketch         BLOB NOT NULL,
    PRIMARY KEY (account_id, grain, bucket, event_type_id, package, resource_kind, function)
) WITHOUT ROWID;

-- Occurrences of each error signature per bucket and place, with whom they hit.
CREATE TABLE usage_errors (
    account_id     BLOB NOT NULL,
    grain          INTEGER NOT NULL,
    bucket         INTEGER NOT NULL,
    signature      TEXT NOT NULL,
    event_type_id  INTEGER NOT NULL,
    package        TEXT NOT NULL,
    resource_kind  TEXT NOT NULL,
    function       TEXT NOT NULL,
    occurrences    INTEGER NOT NULL,
    people         BLOB NOT NULL,
    PRIMARY KEY (account_id, grain, bucket, signature, event_type_id, package, resource_kind, function)
) WITHOUT ROWID;

-- First and last seen: people (for "new users"), packages and functions (for
-- first use and unused features), error signatures (with the latest message).
CREATE TABLE usage_people (
    account_id  BLOB NOT NULL,
    user_id     BLOB NOT NULL,
    -- The person's number in the rollups' tallies: 1, 2, 3, ... per account.
    num         INTEGER NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (account_id, user_id),
    UNIQUE (account_id, num)
) WITHOUT ROWID;

CREATE TABLE usage_features (
    account_id     BLOB NOT NULL,
    package        TEXT NOT NULL,
    resource_kind  TEXT NOT NULL,
    function       TEXT NOT NULL,
    label          TEXT NOT NULL,
    first_seen     INTEGER NOT NULL,
    last_seen      INTEGER NOT NULL,
    PRIMARY KEY (account_id, package, resource_kind, function)
) WITHOUT ROWID;

CREATE TABLE usage_signatures (
    account_id  BLOB NOT NULL,
    signature   TEXT NOT NULL,
    message     TEXT NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (account_id, signature)
) WITHOUT ROWID;

-- Accounts whose events predate the rollups; the store rolls them up when it opens.
CREATE TABLE usage_backfill (account_id BLOB PRIMARY KEY) WITHOUT ROWID;
INSERT INTO usage_backfill SELECT DISTINCT account_id FROM events;

-- One error group's occurrences, newest first, and the sessions they hit (read off
-- the index alone); sessions started in a window.
CREATE INDEX events_by_error ON events (account_id, error_signature, event_time, session_id)
    WHERE error_signature IS NOT NULL;
CREATE INDEX users_sessions_by_start ON users_sessions (account_id, started);

-- The actions before an error in its session: the session's events by time.
DROP INDEX events_by_session;
CREATE INDEX events_by_session ON events (account_id, session_id, event_time);
