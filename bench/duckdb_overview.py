"""DuckDB's answer to the usage overview question, for `trail bench usage`.

Reads the events a Trail export wrote as CSV, stores them as Parquet once, then
times "distinct people per day and events per package" over the last N days,
the question Trail's overview answers from its rollups. Prints one JSON line:
{"rows": ..., "parquet_mb": ..., "runs": {"7": [ms, ...], "90": [...]}}.

Usage: python3 bench/duckdb_overview.py EVENTS.csv EVENTS.parquet RUNS
Needs: pip install duckdb
"""

import json
import os
import sys
import time

import duckdb


def main() -> None:
    csv, parquet, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    con = duckdb.connect()
    if not os.path.exists(parquet):
        con.execute(
            f"""COPY (SELECT CAST("timestamp" AS TIMESTAMPTZ) AS occurred_at, "user", package, type
                      FROM read_csv('{csv}', header = true, all_varchar = true))
                TO '{parquet}' (FORMAT PARQUET)"""
        )
    rows = con.execute(f"SELECT count(*) FROM '{parquet}'").fetchone()[0]
    times = {}
    for days in (7, 90):
        per_day = f"""SELECT date_trunc('day', occurred_at) AS day, count(DISTINCT "user")
                      FROM '{parquet}' WHERE occurred_at >= now() - INTERVAL {days} DAY GROUP BY day"""
        per_package = f"""SELECT package, count(*) FROM '{parquet}'
                          WHERE occurred_at >= now() - INTERVAL {days} DAY GROUP BY package"""
        taken = []
        for i in range(runs + 3):
            start = time.perf_counter()
            con.execute(per_day).fetchall()
            con.execute(per_package).fetchall()
            if i >= 3:
                taken.append((time.perf_counter() - start) * 1000)
        times[str(days)] = taken
    size = os.path.getsize(parquet) / 1e6
    print(json.dumps({"rows": rows, "parquet_mb": round(size, 1), "runs": times}))


if __name__ == "__main__":
    main()
