"""What a kitchen's structure costs on the embedded default (DuckDB), timed.

    python benchmarks/duckdb_structure.py               # 1,000,000 customers, 3,000,000 orders
    python benchmarks/duckdb_structure.py --scale 0.1   # a quick look

Generates, in a DuckDB file in a temporary folder, customers (primary key, a unique email)
and orders (primary key, a foreign key to customers, an index on a timestamp), then times,
round by round (each figure the median):

- kitchen's copy within the file, as `kitchen create` makes a kitchen: the tables built with
  their keys, rows arriving parents first, indexes built over them;
- a plain `CREATE TABLE AS` of every table (rows only), the baseline;
- the parts of kitchen's copy: rows into tables with keys, and the index builds.

It asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kitchen.backends.warehouse.duckdb import DuckDBWarehouse
from kitchen.backends.warehouse.sql import Placeholder, Query, sql

TABLES = ["customers", "orders"]
SCHEMA = [
    "CREATE TABLE dev.customers (id INTEGER PRIMARY KEY, email VARCHAR NOT NULL UNIQUE,"
    " name VARCHAR)",
    "CREATE TABLE dev.orders (id BIGINT PRIMARY KEY, customer_id INTEGER NOT NULL"
    " REFERENCES dev.customers (id), amount DECIMAL(10, 2), ordered TIMESTAMP)",
    "CREATE INDEX orders_ordered ON dev.orders (ordered)",
]


def generate(warehouse: DuckDBWarehouse, customers: int) -> None:
    warehouse.create_schema("dev")
    for statement in SCHEMA:
        warehouse.execute(Query((statement,)))
    rows = sql(
        "INSERT INTO dev.customers SELECT i, 'c' || i || '@mail.example', 'name ' || i"
        " FROM range({}) AS t(i)",
        Placeholder(),
    )
    warehouse.execute(rows, [customers])
    rows = sql(
        "INSERT INTO dev.orders SELECT i, i % {}, (i % 1000) / 10,"
        " TIMESTAMP '2026-01-01' + INTERVAL (i) SECOND FROM range({}) AS t(i)",
        Placeholder(),
        Placeholder(),
    )
    warehouse.execute(rows, [customers, 3 * customers])


def plain(warehouse: DuckDBWarehouse, schema: str) -> dict[str, float]:
    warehouse.create_schema(schema)
    for table in TABLES:
        warehouse.copy_table(warehouse, "dev", table, schema)
    return {}


def kitchen(warehouse: DuckDBWarehouse, schema: str) -> dict[str, float]:
    """As datacopy.copy_tables does, without masking; the parts timed."""
    warehouse.create_schema(schema)
    start = time.perf_counter()
    structure = warehouse.read_structure("dev", TABLES, {})
    warehouse.build_before(structure, schema)
    for table in structure.arrival:
        warehouse.copy_table(warehouse, "dev", table, schema, into_existing=True)
    rows = time.perf_counter()
    warehouse.build_after(structure, schema)
    return {"rows into keyed tables": rows - start, "indexes": time.perf_counter() - rows}


def timed(
    step: Callable[[DuckDBWarehouse, str], dict[str, float]],
    warehouse: DuckDBWarehouse,
    schema: str,
) -> dict[str, float]:
    start = time.perf_counter()
    parts = step(warehouse, schema)
    return {"total": time.perf_counter() - start, **parts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1,000,000 customers")
    parser.add_argument("--rounds", type=int, default=3, help="each figure is the median")
    options = parser.parse_args()
    customers = int(1_000_000 * options.scale)
    with tempfile.TemporaryDirectory() as folder:
        warehouse = DuckDBWarehouse(Path(folder) / "bench.duckdb", "dev")
        generate(warehouse, customers)
        figures: dict[str, list[float]] = {}
        for round_ in range(options.rounds):
            for name, step in (("plain CREATE TABLE AS", plain), ("kitchen", kitchen)):
                for part, seconds in timed(step, warehouse, f"k{round_}_{id(step)}").items():
                    figures.setdefault(f"{name}: {part}", []).append(seconds)
        warehouse.close()
    print(f"{customers:,} customers, {3 * customers:,} orders; median of {options.rounds}")
    medians = {name: statistics.median(values) for name, values in figures.items()}
    baseline = medians["plain CREATE TABLE AS: total"]
    for name, seconds in medians.items():
        print(f"  {name:<40} {seconds:7.2f} s  {seconds / baseline:5.2f}x")


if __name__ == "__main__":
    main()
