-- Signing in: the failed attempts since the last successful one and the lock
-- they led to live on the person, so every server sees them.
ALTER TABLE users
    ADD COLUMN failed_sign_ins  integer NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
    ADD COLUMN locked_until     timestamptz;

-- Personal keys act as their person (`user_id`, NULL for an account's key), who
-- must be of the key's account. Any key may be limited to source addresses:
-- `allowed_ips` holds CIDR texts ('10.0.0.0/8'), empty for any address.
ALTER TABLE api_keys
    ADD COLUMN user_id      uuid,
    ADD COLUMN allowed_ips  text[] NOT NULL DEFAULT '{}',
    ADD FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id);

-- Signed-in browsers. The cookie's token and the CSRF token are stored only as
-- SHA-256 hashes; a session is found by its token hash alone, whatever its
-- account, and is deleted when it ends.
CREATE TABLE web_sessions (
    account_id  uuid NOT NULL,
    id          uuid NOT NULL,
    user_id     uuid NOT NULL,
    token_hash  text NOT NULL UNIQUE,       -- hex SHA-256 of the cookie's token
    csrf_hash   text NOT NULL,              -- hex SHA-256 of the CSRF token
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    ip          text,
    user_agent  text,
    PRIMARY KEY (account_id, id),
    FOREIGN KEY (account_id, user_id) REFERENCES users(account_id, id)
);

-- A person's groups are found by walking groups_relations from child to parent.
CREATE INDEX groups_relations_by_child ON groups_relations (account_id, child_id);
