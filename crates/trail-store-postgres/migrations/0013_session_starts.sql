-- Sessions started per hour, kept by a trigger in the transaction that
-- inserts them (whichever path does: an event opening a session, or the
-- sessions API), so that the Overview's session cards add up a row per hour
-- instead of counting every session of the window. A session's start never
-- changes, and sessions are not deleted, so the counts only grow.
CREATE TABLE usage_session_starts (
    account_id  uuid NOT NULL,
    hour        timestamptz NOT NULL,
    sessions    bigint NOT NULL,
    PRIMARY KEY (account_id, hour)
);

CREATE FUNCTION usage_count_session_starts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_session_starts (account_id, hour, sessions)
    SELECT account_id, date_trunc('hour', started, 'UTC'), count(*)
    FROM started_now GROUP BY 1, 2
    ON CONFLICT (account_id, hour)
    DO UPDATE SET sessions = usage_session_starts.sessions + EXCLUDED.sessions;
    RETURN NULL;
END
$$;

-- Once per statement, over the statement's new rows: an append inserts its
-- sessions in one statement.
CREATE TRIGGER users_sessions_counted AFTER INSERT ON users_sessions
    REFERENCING NEW TABLE AS started_now
    FOR EACH STATEMENT EXECUTE FUNCTION usage_count_session_starts();

INSERT INTO usage_session_starts (account_id, hour, sessions)
SELECT account_id, date_trunc('hour', started, 'UTC'), count(*)
FROM users_sessions GROUP BY 1, 2;
