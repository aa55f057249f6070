-- Signing in: the failed attempts since the last successful one and the lock
-- they led to live on the person, so a restart does not forget them.
ALTER TABLE users ADD COLUMN failed_sign_ins INTEGER NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0);
ALTER TABLE users ADD COLUMN locked_until INTEGER;

-- Personal keys act as their person (`user_id`, NULL for an account's key), and
-- any key may be limited to source addresses: `allowed_ips` is a JSON array of
-- CIDR texts, '[]' for any address. SQLite cannot add a two-column foreign key
-- to a table, so the table is rebuilt with it (nothing refers to api_keys).
CREATE TABLE api_keys_new (
    account_id    BLOB NOT NULL REFERENCES accounts(id),
    id            BLOB NOT NULL,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    secret_hash   TEXT NOT NULL UNIQUE,
    scope         TEXT NOT NULL CHECK (scope IN ('ingest', 'read', 'admin')),
    user_id       BLOB,
    allowed_ips   TEXT NOT NULL DEFAULT '[]',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    revoked_at    INTEGER,
    last_used_at  INTEGER,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id)
) WITHOUT ROWID;
INSERT INTO api_keys_new (account_id, id, name, prefix, secret_hash, scope, created_at, expires_at, revoked_at, last_used_at)
SELECT account_id, id, name, prefix, secret_hash, scope, created_at, expires_at, revoked_at, last_used_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;

-- Signed-in browsers. The cookie's token and the CSRF token are stored only as
-- SHA-256 hashes; a session is found by its token hash alone, whatever its
-- account, and is deleted when it ends.
CREATE TABLE web_sessions (
    account_id  BLOB NOT NULL,
    id          BLOB NOT NULL,
    user_id     BLOB NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    csrf_hash   TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ip          TEXT,
    user_agent  TEXT,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id)
) WITHOUT ROWID;

-- A person's groups are found by walking groups_relations from child to parent.
CREATE INDEX groups_relations_by_child ON groups_relations (account_id, child_id);
