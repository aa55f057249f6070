-- Each grain's cells, partitioned again by cuboid. Cells are upserted as events
-- arrive, so a day's cells of all seven cuboids share its pages: 90 days of the
-- functions cuboid read 8,200 pages where its own rows fill 1,200 (a bulk load
-- in key order hid this; a server filled by live traffic showed it). In a
-- partition of its own, a cuboid's rows stay together without any upkeep.
DO $$
DECLARE
    grain_name text;
    grain_code int;
    part text;
    keys text;
    cuboid int;
BEGIN
    SELECT string_agg(a.attname, ', ' ORDER BY k.n) INTO keys
        FROM pg_index i
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = 'usage_cells'::regclass AND i.indisprimary;
    FOREACH grain_name IN ARRAY ARRAY['hour', 'day'] LOOP
        grain_code := CASE grain_name WHEN 'hour' THEN 0 ELSE 1 END;
        part := 'usage_cells_' || grain_name;
        EXECUTE format('ALTER TABLE usage_cells DETACH PARTITION %I', part);
        EXECUTE format('ALTER TABLE %I RENAME TO %I', part, part || '_old');
        EXECUTE format('ALTER INDEX %I RENAME TO %I', part || '_pkey', part || '_old_pkey');
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF usage_cells FOR VALUES IN (%s) PARTITION BY LIST (cuboid)',
            part, grain_code);
        -- trail_core::rollup::CUBOIDS; a cuboid added later lands in the default.
        FOR cuboid IN 0..6 LOOP
            EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%s)',
                part || '_' || cuboid, part, cuboid);
        END LOOP;
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', part || '_other', part);
        -- In key order, so each partition starts out with its rows clustered.
        EXECUTE format('INSERT INTO usage_cells SELECT * FROM %I ORDER BY %s', part || '_old', keys);
        EXECUTE format('DROP TABLE %I', part || '_old');
    END LOOP;
END
$$;
ANALYZE usage_cells;
