"""Masked copy on Apache Spark (local[2] behind Spark Connect) against plain `CREATE TABLE AS`
of the same tables in the same run, and the 10% FK-consistent sample.

    python benchmarks/spark_copy.py                 # 1,000,000 customers, 3,000,000 orders
    python benchmarks/spark_copy.py --scale 0.1     # a quick look

It starts a Spark Connect server from the pyspark wheel (as the test suite does), makes a
project whose production and dev are databases of it (registries in DuckDB files), generates
customers and orders in production inside Spark, then times, each once per round (3 rounds,
medians): a plain `CREATE TABLE AS SELECT *` of both tables; the same computing the keyed
digests kitchen's masking computes for the five masked customer columns (the issue's
baseline: the work the digests require); the `CREATE TABLE AS` statements kitchen's masking
writes for the same tables, run alone (the masking itself, without the process around it);
`kitchen data refresh dev` from production (the whole masked copy as a process: the PII
gate, the masking, the check that no original value remains, the swap); and `kitchen
create` of a 10% FK-consistent sample of dev. It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.masked_copy import RULES  # the same five rules as on PostgreSQL
from kitchen import config
from kitchen.backends.warehouse.spark import SparkWarehouse
from kitchen.backends.warehouse.sql import sql
from kitchen.data import masking, projection
from tests.servers import isolated, start_spark, timed_kitchen

CONFIG = """\
project: sparkbench
environments:
  production:
    warehouse: {{type: spark, url: "{url}"}}
    registry: {{type: duckdb, path: .kitchen/production-registry.duckdb}}
    secrets: {{type: file, path: .kitchen/secrets/production.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/production}}
    sensitive: true
  dev:
    warehouse: {{type: spark, url: "{url}"}}
    registry: {{type: duckdb, path: .kitchen/dev-registry.duckdb}}
    secrets: {{type: file, path: .kitchen/secrets/dev.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/dev}}
kitchens:
  production: {{environment: production, branch: main, schema: production, protected: true}}
  dev: {{environment: dev, parent: production, branch: develop}}
data:
  sample:
    foreign_keys: ["orders.customer_id -> customers.customer_id"]
  masking:
    salt: "{{{{ secret('masking#salt') }}}}"
    rules: {rules}
"""
COPY = "CREATE TABLE bench.{0} USING parquet AS SELECT * FROM production.{0}"
CUSTOMERS = """CREATE TABLE production.customers USING parquet AS SELECT id AS customer_id,
concat('Customer ', id) AS full_name, concat('c', id, '@shop.example') AS email,
concat('+1-555-', lpad(CAST(id % 10000 AS STRING), 4, '0')) AS phone,
date_add(DATE '1950-01-01', CAST(id % 20000 AS INT)) AS birth_date,
concat(id, ' Main Street') AS street_address, concat('City ', id % 500) AS city
FROM range(1, {n})"""
ORDERS = """CREATE TABLE production.orders USING parquet AS SELECT id AS order_id,
1 + id % {customers} AS customer_id, CAST(id % 997 AS DECIMAL(10,2)) AS amount,
TIMESTAMP '2026-01-01' + make_interval(0, 0, 0, 0, 0, 0, id % 86400) AS ordered_at
FROM range(1, {n})"""
DIGESTS = """CREATE TABLE bench.customers USING parquet AS SELECT *,
md5(concat('salt:name:', full_name)) AS d1, md5(concat('salt:email:', email)) AS d2,
md5(concat('salt:phone:', phone)) AS d3,
md5(concat('salt:shift:', CAST(birth_date AS STRING))) AS d4,
md5(concat('salt:redact:', street_address)) AS d5 FROM production.customers"""


def timed(warehouse: SparkWarehouse, *statements: str) -> float:
    started = time.perf_counter()
    for statement in statements:
        warehouse.execute(sql(statement))
    return time.perf_counter() - started


def masked_statements(warehouse: SparkWarehouse) -> float:
    """The masked copy's own statements, as kitchen's dialect writes them, in this session."""
    started = time.perf_counter()
    for table in ("customers", "orders"):
        columns = masking.plan(
            masking.parse_rules(RULES), table, warehouse.column_types("production", table)
        )
        projected = projection.select_list(warehouse, columns)
        warehouse.copy_table(
            warehouse,
            "production",
            table,
            "bench",
            select=projected.columns,
            derived=projected.derived,
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    customers, orders = int(1_000_000 * options.scale), int(3_000_000 * options.scale)
    server = start_spark()
    try:
        with tempfile.TemporaryDirectory(prefix="kitchen-spark-bench-") as temporary:
            folder = Path(temporary) / "project"
            folder.mkdir()
            env = isolated(Path(temporary) / "home", "dev@bench.example")
            subprocess.run(["git", "init", "-q"], cwd=folder, env=env, check=True)
            (folder / "kitchen.yaml").write_text(
                CONFIG.format(url=server.url, rules=json.dumps(RULES))
            )
            settings = config.SparkWarehouse(type="spark", url=server.url)
            warehouse = SparkWarehouse(settings, "bench")
            warehouse.execute(sql("CREATE DATABASE production"))
            warehouse.execute(sql(CUSTOMERS.format(n=customers + 1)))
            warehouse.execute(sql(ORDERS.format(n=orders + 1, customers=customers)))
            print(f"{os.cpu_count()} cores; {customers:,} customers, {orders:,} orders")
            timed_kitchen(folder, env, "init", "--no-data")
            warehouse.set_salt("a salt of the benchmark's own")
            plain, digests, statements, masked, sample = [], [], [], [], []
            for number in range(options.rounds):
                warehouse.execute(sql("DROP DATABASE IF EXISTS bench CASCADE"))
                warehouse.execute(sql("CREATE DATABASE bench"))
                plain.append(
                    timed(
                        warehouse,
                        COPY.format("customers"),
                        COPY.format("orders"),
                    )
                )
                warehouse.execute(sql("DROP TABLE bench.customers"))
                warehouse.execute(sql("DROP TABLE bench.orders"))
                digests.append(
                    timed(
                        warehouse,
                        DIGESTS,
                        COPY.format("orders"),
                    )
                )
                warehouse.execute(sql("DROP TABLE bench.customers"))
                warehouse.execute(sql("DROP TABLE bench.orders"))
                statements.append(masked_statements(warehouse))
                masked.append(
                    timed_kitchen(folder, env, "data", "refresh", "dev", "--from", "production")
                )
                sample.append(
                    timed_kitchen(
                        folder, env, "create", f"s{number}", "--sample", "10%", "--no-checkout"
                    )
                )
                timed_kitchen(folder, env, "delete", f"s{number}", "--yes")
                print(
                    f"  round {number + 1}: plain {plain[-1]:.1f} s,"
                    f" with digests {digests[-1]:.1f} s, masking statements {statements[-1]:.1f} s,"
                    f" kitchen's masked copy {masked[-1]:.1f} s, 10% sample {sample[-1]:.1f} s",
                    flush=True,
                )
            warehouse.close()
    finally:
        server.stop()
    base, keyed = statistics.median(plain), statistics.median(digests)
    alone, copy = statistics.median(statements), statistics.median(masked)
    drawn = statistics.median(sample)
    print()
    print(f"plain CREATE TABLE AS (both tables)       {base:7.1f} s   1.00x")
    print(f"the same computing the digests            {keyed:7.1f} s   {keyed / base:.2f}x")
    print(
        f"kitchen's masking statements alone        {alone:7.1f} s   {alone / base:.2f}x plain,"
        f" {alone / keyed:.2f}x with digests"
    )
    print(
        f"kitchen's masked copy (data refresh)      {copy:7.1f} s   {copy / base:.2f}x plain,"
        f" {copy / keyed:.2f}x with digests (target: 1.3x)"
    )
    print(f"kitchen's 10% FK-consistent sample        {drawn:7.1f} s   {drawn / base:.2f}x")


if __name__ == "__main__":
    main()
