-- Each rollup bucket's version, from one counter that every transaction
-- changing the bucket's rows (and a rebuild, for all of the account's
-- buckets) advances. A reader that keeps a bucket's rows in memory compares
-- versions to know they are still the stored ones; numbers are never reused,
-- so a rebuilt bucket can never pass for the rows kept before.
CREATE TABLE usage_clock (
    id       INTEGER PRIMARY KEY CHECK (id = 0),
    version  INTEGER NOT NULL
);
INSERT INTO usage_clock VALUES (0, 0);

CREATE TABLE usage_buckets (
    account_id  BLOB NOT NULL,
    grain       INTEGER NOT NULL,
    bucket      INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    PRIMARY KEY (account_id, grain, bucket)
) WITHOUT ROWID;

UPDATE usage_clock SET version = 1;
INSERT INTO usage_buckets SELECT DISTINCT account_id, grain, bucket, 1 FROM usage_cells;
