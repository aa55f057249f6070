-- The writer counts a session's start itself (sessions::insert), in the same
-- transaction, instead of this trigger. A statement that fires a trigger runs
-- under a statement savepoint, and FTS5 writes its pending index entries to
-- disk at every savepoint: each new session cut the batch's text index into a
-- fresh segment, and merging those segments back was a fifth of the write
-- path's time.
DROP TRIGGER users_sessions_counted;
