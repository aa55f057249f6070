-- Sessions started per hour (microseconds since 1970, floored to the hour),
-- kept by a trigger in the transaction that inserts them (whichever path
-- does: an event opening a session, or the sessions API), so that the
-- Overview's session cards add up a row per hour instead of counting every
-- session of the window. A session's start never changes, and sessions are
-- not deleted, so the counts only grow.
CREATE TABLE usage_session_starts (
    account_id  BLOB NOT NULL,
    hour        INTEGER NOT NULL,
    sessions    INTEGER NOT NULL,
    PRIMARY KEY (account_id, hour)
) WITHOUT ROWID;

CREATE TRIGGER users_sessions_counted AFTER INSERT ON users_sessions
BEGIN
    INSERT INTO usage_session_starts (account_id, hour, sessions)
    VALUES (NEW.account_id, NEW.started - ((NEW.started % 3600000000) + 3600000000) % 3600000000, 1)
    ON CONFLICT (account_id, hour) DO UPDATE SET sessions = sessions + 1;
END;

INSERT INTO usage_session_starts (account_id, hour, sessions)
SELECT account_id, started - ((started % 3600000000) + 3600000000) % 3600000000, count(*)
FROM users_sessions WHERE true GROUP BY 1, 2;
