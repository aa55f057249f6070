-- Each rollup bucket's version, drawn from one sequence by every transaction
-- that changes the bucket's rows (and by a rebuild, for all of the account's
-- buckets). A reader that keeps a bucket's rows in memory compares versions
-- to know they are still the stored ones; numbers are never reused, so a
-- rebuilt bucket can never pass for the rows kept before.
CREATE SEQUENCE usage_version;

CREATE TABLE usage_buckets (
    account_id  uuid NOT NULL,
    grain       smallint NOT NULL,
    bucket      timestamptz NOT NULL,
    version     bigint NOT NULL,
    PRIMARY KEY (account_id, grain, bucket)
);

INSERT INTO usage_buckets
SELECT account_id, grain, bucket, nextval('usage_version')
FROM (SELECT DISTINCT account_id, grain, bucket FROM usage_cells) AS written;
