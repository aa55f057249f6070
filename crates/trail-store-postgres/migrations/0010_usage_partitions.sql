-- The rollup tables, partitioned by grain. Hour rows outnumber day rows
-- 24 to 1, and rows are upserted as events arrive, so in one heap a long
-- window's day rows each sat on a page of their own among hour rows: 90 days of
-- one cuboid read 28,000 pages for 27,000 rows. In a partition of their own the
-- day rows share pages.
DO $$
DECLARE
    t text;
    keys text;
BEGIN
    FOREACH t IN ARRAY ARRAY['usage_cells', 'usage_durations', 'usage_errors'] LOOP
        SELECT string_agg(a.attname, ', ' ORDER BY k.n) INTO keys
            FROM pg_index i
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE i.indrelid = t::regclass AND i.indisprimary;
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '_unpartitioned');
        EXECUTE format('ALTER INDEX %I RENAME TO %I', t || '_pkey', t || '_unpartitioned_pkey');
        EXECUTE format(
            'CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS, PRIMARY KEY (%s)) PARTITION BY LIST (grain)',
            t, t || '_unpartitioned', keys);
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (0)', t || '_hour', t);
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (1)', t || '_day', t);
        -- In key order, so each partition starts out with its rows clustered.
        EXECUTE format('INSERT INTO %I SELECT * FROM %I ORDER BY %s', t, t || '_unpartitioned', keys);
        EXECUTE format('DROP TABLE %I', t || '_unpartitioned');
    END LOOP;
END
$$;
-- The planner's statistics of the new tables, before the first question.
ANALYZE usage_cells, usage_durations, usage_errors;
