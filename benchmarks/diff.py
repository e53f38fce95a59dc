"""kitchen diff of two tables in one warehouse, against a plain full join and a diff in Python.

    python benchmarks/diff.py                       # 5,000,000 rows, DuckDB and PostgreSQL
    python benchmarks/diff.py --rows 500000 --engine duckdb

Two tables of ``--rows`` rows and 12 columns with a key, the second with 1 % of its rows
changed in 3 columns, 0.1 % removed and 0.1 % added, are made inside the warehouse. Then, each
the median of 3: the plain ``SELECT count(*) FROM a FULL JOIN b USING (id)`` (the floor the issue
sets: it reads the keys alone), the same join counting the rows whose columns differ (what
any diff must at least read and compare), kitchen's keyed comparison (``kitchen.data.diff.compare``:
the full join counting rows on one side, changed rows column by column and example keys, and
a scan of each side for the numeric columns' statistics), and, once, the same counts
computed in Python by streaming both tables ordered by key through the driver and merging
them. It checks that kitchen and Python agree and prints the ratios; it asserts nothing else.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kitchen import config
from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.duckdb import CATALOG, DuckDBWarehouse
from kitchen.backends.warehouse.postgres import PostgresWarehouse
from kitchen.backends.warehouse.sql import sql
from kitchen.data import diff
from tests.servers import start_postgres

TIMES = 3
EVERY_COLUMN = sql(  # the least any diff reads: every column of both, compared once
    "SELECT count(*) FROM a.t AS x FULL JOIN b.t AS y USING (id) WHERE "
    "x.c1 IS DISTINCT FROM y.c1 OR x.c2 IS DISTINCT FROM y.c2 OR x.c3 IS DISTINCT FROM y.c3 OR "
    "x.c4 IS DISTINCT FROM y.c4 OR x.c5 IS DISTINCT FROM y.c5 OR x.c6 IS DISTINCT FROM y.c6 OR "
    "x.c7 IS DISTINCT FROM y.c7 OR x.c8 IS DISTINCT FROM y.c8 OR x.c9 IS DISTINCT FROM y.c9 OR "
    "x.c10 IS DISTINCT FROM y.c10 OR x.c11 IS DISTINCT FROM y.c11"
)
ORDERED = {  # each side's rows by key, for the diff in Python
    "a": "SELECT id, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 FROM a.t ORDER BY id",
    "b": "SELECT id, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 FROM b.t ORDER BY id",
}
# 12 columns: the key, integers, numbers with decimals, text, a date; every 100th row gets
# c2, c5 and c9 changed, every 1,000th is gone and 1 in 1,000 new ones is added
MAKE = {
    "duckdb": """
        CREATE TABLE a.t AS SELECT i AS id, i % 97 AS c1, (i % 1000) / 10.0 AS c2,
          'name ' || (i % 5000) AS c3, i * 3 AS c4, (i % 7919) * 1.5 AS c5, i % 13 AS c6,
          'city ' || (i % 300) AS c7, DATE '2020-01-01' + CAST(i % 2000 AS INTEGER) AS c8,
          (i % 333) * 2.25 AS c9, i % 2 = 0 AS c10, 'note ' || (i % 77) AS c11
        FROM range(1, {rows} + 1) r(i);
        CREATE TABLE b.t AS SELECT id, c1,
          CASE WHEN id % 100 = 0 THEN c2 + 1 ELSE c2 END AS c2, c3, c4,
          CASE WHEN id % 100 = 0 THEN c5 * 2 ELSE c5 END AS c5, c6, c7, c8,
          CASE WHEN id % 100 = 0 THEN c9 - 1 ELSE c9 END AS c9, c10, c11
        FROM a.t WHERE id % 1000 <> 7;
        INSERT INTO b.t SELECT id + {rows}, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11
        FROM a.t WHERE id % 1000 = 3;""",
    "postgresql": """
        CREATE TABLE a.t AS SELECT i AS id, i % 97 AS c1, (i % 1000) / 10.0 AS c2,
          'name ' || (i % 5000) AS c3, i::bigint * 3 AS c4, (i % 7919) * 1.5 AS c5,
          i % 13 AS c6, 'city ' || (i % 300) AS c7, DATE '2020-01-01' + (i % 2000) AS c8,
          (i % 333) * 2.25 AS c9, i % 2 = 0 AS c10, 'note ' || (i % 77) AS c11
        FROM generate_series(1, {rows}) i;
        CREATE TABLE b.t AS SELECT id, c1,
          CASE WHEN id % 100 = 0 THEN c2 + 1 ELSE c2 END AS c2, c3, c4,
          CASE WHEN id % 100 = 0 THEN c5 * 2 ELSE c5 END AS c5, c6, c7, c8,
          CASE WHEN id % 100 = 0 THEN c9 - 1 ELSE c9 END AS c9, c10, c11
        FROM a.t WHERE id % 1000 <> 7;
        INSERT INTO b.t SELECT id + {rows}, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11
        FROM a.t WHERE id % 1000 = 3;
        ALTER TABLE a.t ADD PRIMARY KEY (id); ALTER TABLE b.t ADD PRIMARY KEY (id);
        ANALYZE a.t; ANALYZE b.t;""",
}


def timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def median(call: Callable[[], object]) -> tuple[float, object]:
    runs = [timed(call) for _ in range(TIMES)]
    return statistics.median(seconds for seconds, _ in runs), runs[-1][1]


def in_python(rows: Callable[[str], Iterator[tuple[Any, ...]]]) -> tuple[int, int, int]:
    """Rows only in b, only in a, and changed: both tables streamed ordered by key, merged."""
    only_b = only_a = changed = 0
    left, right = rows("b"), rows("a")
    a_row, b_row = next(right, None), next(left, None)
    while a_row is not None or b_row is not None:
        if b_row is not None and (a_row is None or b_row[0] < a_row[0]):
            only_b, b_row = only_b + 1, next(left, None)
        elif a_row is not None and (b_row is None or a_row[0] < b_row[0]):
            only_a, a_row = only_a + 1, next(right, None)
        else:
            changed += a_row != b_row
            a_row, b_row = next(right, None), next(left, None)
    return only_b, only_a, changed


def measure(engine: str, rows: int) -> None:
    server = start_postgres() if engine == "postgresql" else None
    with tempfile.TemporaryDirectory(prefix="kitchen-diff-") as folder:
        warehouse: Warehouse
        if server is None:
            warehouse = DuckDBWarehouse(Path(folder) / "diff.duckdb", "dev")
        else:
            settings = config.PostgresWarehouse(type="postgres", dsn=server.dsn())
            warehouse = PostgresWarehouse(settings, "dev")
        try:
            for schema in ("a", "b"):
                warehouse.create_schema(schema)
            seconds, _ = timed(lambda: warehouse.run_script("a", MAKE[engine].format(rows=rows)))
            print(f"\n{engine}: {rows:,} rows made in {seconds:.0f} s", flush=True)
            join = sql("SELECT count(*) FROM a.t FULL JOIN b.t USING (id)")
            floor, _ = median(lambda: warehouse.execute(join))
            compared, _ = median(lambda: warehouse.execute(EVERY_COLUMN))
            ours, found = median(lambda: diff.compare(warehouse, "t", ("b", "a"), ["id"], 0.01))
            assert isinstance(found, diff.TableDiff)
            dsn = server.dsn() if server is not None else None
            python, counted = timed(lambda: in_python(_streamer(warehouse, dsn)))
        finally:
            warehouse.close()
            if server is not None:
                server.stop()
    agree = counted == (found.only_kitchen, found.only_other, found.changed)
    print(f"  full join count (floor)     {floor:8.2f} s")
    print(f"  full join, every column     {compared:8.2f} s   {compared / floor:5.2f}x the floor")
    print(
        f"  kitchen diff                {ours:8.2f} s   {ours / floor:5.2f}x the floor (target 2x)"
    )
    print(f"  the same diff in Python     {python:8.2f} s   kitchen {python / ours:5.1f}x faster")
    print(
        f"  found: {found.only_kitchen:,} only in b, {found.only_other:,} only in a, "
        f"{found.changed:,} changed ({found.changed_columns}); Python agrees: {agree}"
    )


def _streamer(warehouse: Warehouse, dsn: str | None) -> Callable[[str], Iterator[tuple[Any, ...]]]:
    """Each schema's rows ordered by key, fetched in batches through the engine's driver."""

    def rows(schema: str) -> Iterator[tuple[Any, ...]]:
        if dsn is None:
            assert isinstance(warehouse, DuckDBWarehouse)
            cursor = warehouse.connection.cursor()  # a result of its own beside the other's
            cursor.execute(f'USE "{CATALOG}"')
            cursor.execute(ORDERED[schema])
            while batch := cursor.fetchmany(50_000):
                yield from batch
            cursor.close()
            return
        import psycopg

        with (
            psycopg.connect(dsn) as connection,
            connection.cursor(name=f"diff_{schema}") as streamed,  # server-side
        ):
            streamed.itersize = 50_000
            streamed.execute(ORDERED[schema])
            yield from streamed

    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("duckdb", "postgresql"), action="append")
    parser.add_argument("--rows", type=int, default=5_000_000)
    options = parser.parse_args()
    for engine in options.engine or ["duckdb", "postgresql"]:
        measure(engine, options.rows)


if __name__ == "__main__":
    main()
