"""Kitchens that cost nothing to create: `kitchen create --data views` against `--data copy`
from a parent of 1,000,000 and of 10,000,000 rows, on DuckDB and PostgreSQL, in one run.

    python benchmarks/scale.py                                  # both engines, 1M and 10M
    python benchmarks/scale.py --engine duckdb --rows 100000 1000000

A project made with `kitchen init --demo` gets, in dev, a table `events` of N rows (made in
the warehouse: an id, a customer, an amount, a time and a text of 20 characters per row),
besides the demo's three small tables. Each create is then timed as a whole process, beside
an empty kitchen's (`--no-data`) in the same run: median of 3 for views and empty kitchens,
one copy per size (a kitchen is deleted before the next is made). Views must cost what an
empty kitchen costs at every size (target: at most 1.2x), while a copy grows with the data.
Prints a table of seconds and ratios; the figures are in docs/benchmarks.md. It asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.registry_scale import Scale
from kitchen.backends.warehouse.sql import sql
from kitchen.project import Project
from tests.servers import start_postgres

TIMES = 3
FILL = {
    "duckdb": "CREATE OR REPLACE TABLE dev.events AS SELECT range AS id, range % 1000 AS"
    " customer_id, (range % 9973) / 100.0 AS amount, TIMESTAMP '2026-01-01' + to_seconds(range)"
    " AS at, md5(range::VARCHAR)[:20] AS note FROM range({rows})",
    "postgresql": "DROP TABLE IF EXISTS dev.events; CREATE TABLE dev.events AS SELECT g AS id,"
    " g % 1000 AS customer_id, (g % 9973) / 100.0 AS amount, TIMESTAMP '2026-01-01' +"
    " g * INTERVAL '1 second' AS at, left(md5(g::text), 20) AS note"
    " FROM generate_series(1, {rows}) AS g; ALTER TABLE dev.events ADD PRIMARY KEY (id)",
}


def fill(project: Scale, engine: str, rows: int) -> None:
    os.environ.update({k: v for k, v in project.env.items() if k.startswith(("PG", "HOME"))})
    loaded = Project.load(project.folder)
    warehouse = loaded.warehouse("dev")
    for statement in FILL[engine].format(rows=rows).split("; "):
        warehouse.execute(sql(statement))
    if engine == "duckdb":  # the DuckDB table has its key too, as the team's would
        warehouse.execute(sql("ALTER TABLE dev.events ADD PRIMARY KEY (id)"))
    loaded.close()


def created(project: Scale, *options: str, times: int = TIMES) -> float:
    """The median seconds of `kitchen create` with ``options``, the kitchen deleted after."""
    took = []
    for number in range(times):
        name = f"k{number}"
        took.append(project.kitchen("create", name, "--no-checkout", *options))
        project.kitchen("delete", name, "--yes")
    return statistics.median(took)


def measure(engine: str, sizes: list[int]) -> list[tuple[int, float, float, float]]:
    """(rows, empty, views, copy) seconds for each size."""
    server = start_postgres() if engine == "postgresql" else None
    try:
        with tempfile.TemporaryDirectory(prefix="kitchen-scale-") as temporary:
            project = Scale(Path(temporary) / engine / "project", server, "views")
            found = []
            for rows in sizes:
                fill(project, engine, rows)
                empty = created(project, "--no-data")
                views = created(project, "--data", "views")
                copy = created(project, "--data", "copy", times=1)
                found.append((rows, empty, views, copy))
                print(
                    f"  {engine} {rows:>11,} rows: empty {empty:.2f} s, views {views:.2f} s, "
                    f"copy {copy:.2f} s",
                    flush=True,
                )
            return found
    finally:
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["duckdb", "postgresql"], action="append")
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    options = parser.parse_args()
    engines = options.engine or ["duckdb", "postgresql"]
    print(f"{os.cpu_count()} cores; each create a process; views and empty median of {TIMES}")
    results = {engine: measure(engine, options.rows) for engine in engines}
    print()
    print(f"{'engine':<11} {'rows':>11} {'empty':>7} {'views':>7} {'copy':>8} {'views/empty':>12}")
    for engine, rows in results.items():
        for count, empty, views, copy in rows:
            print(
                f"{engine:<11} {count:>11,} {empty:>6.2f}s {views:>6.2f}s {copy:>7.2f}s"
                f" {views / empty:>11.2f}x"
            )
        first, last = rows[0], rows[-1]
        if len(rows) > 1:
            print(
                f"{engine}: from {first[0]:,} to {last[0]:,} rows, views {last[2] / first[2]:.2f}x,"
                f" copy {last[3] / first[3]:.2f}x (target: views at most 1.2x an empty"
                " kitchen's create at every size)"
            )


if __name__ == "__main__":
    main()
