"""Masked copy on PostgreSQL: kitchen's in-warehouse masking against baselines from the same run.

    python benchmarks/masked_copy.py                 # 1,000,000 customers, 3,000,000 orders
    python benchmarks/masked_copy.py --scale 0.1     # a quick look
    python benchmarks/masked_copy.py --dsn "host=... dbname=..."   # an existing server

It starts its own PostgreSQL on loopback (as the test suite does) unless --dsn is given,
generates the data inside the server, and prints figures; it asserts nothing. Every step runs
once per round (3 by default) into a fresh schema after a checkpoint; each figure is the
median of its rounds.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kitchen import config
from kitchen.backends.warehouse.base import Reference
from kitchen.backends.warehouse.postgres import PARALLEL_COPY, PostgresWarehouse
from kitchen.backends.warehouse.sql import Identifier, sql
from kitchen.data import masking, projection, sampling
from kitchen.data.dictionaries import FIRST_NAMES, LAST_NAMES
from kitchen.workflows import datacopy

SALT = "benchmark-salt"
RULES: dict[str, Any] = {
    "customers.full_name": "name",
    "customers.email": "email",
    "customers.phone": "phone",
    "customers.birth_date": {"shift": 180},
    "customers.street_address": "redact",
}
TABLES = ("customers", "orders")
ORDERS_FK = Reference("orders", ("customer_id",), "customers", ("customer_id",), nullable=False)


CUSTOMERS_SQL = """CREATE TABLE src.customers AS SELECT g AS customer_id,
    'Person ' || g AS full_name, 'person' || g || '@mail.example.com' AS email,
    '+1-555-' || lpad((g % 1000)::text, 3, '0') || '-' || lpad((g % 10000)::text, 4, '0') AS phone,
    date '1950-01-01' + (g % 20000) AS birth_date,
    (g % 2000) || ' Main Street' AS street_address, 'City ' || (g % 50) AS city
  FROM generate_series(1, {customers}) g"""
ORDERS_SQL = """CREATE TABLE src.orders AS SELECT g AS order_id,
    1 + (g::bigint * 7919) % {customers} AS customer_id, (g % 500) / 10.0 AS amount,
    timestamp '2025-01-01' + (g % 525600) * interval '1 minute' AS ordered_at
  FROM generate_series(1, {orders}) g"""


def generate(dsn: str, customers: int, orders: int) -> None:
    counts = {"customers": pgsql.Literal(customers), "orders": pgsql.Literal(orders)}
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("DROP SCHEMA IF EXISTS src CASCADE; CREATE SCHEMA src")
        connection.execute(pgsql.SQL(CUSTOMERS_SQL).format(**counts))
        connection.execute("ALTER TABLE src.customers ADD PRIMARY KEY (customer_id)")
        connection.execute(pgsql.SQL(ORDERS_SQL).format(**counts))
        connection.execute(
            "ALTER TABLE src.orders ADD PRIMARY KEY (order_id), ADD FOREIGN KEY (customer_id)"
            " REFERENCES src.customers (customer_id)"
        )
        # Set hint bits and visibility now, or the first copy to read the tables pays for it.
        connection.execute("VACUUM (FREEZE, ANALYZE) src.customers, src.orders")


def reset(dsn: str, schema: str) -> None:
    """An empty schema, and no dirty buffers left by the step before to flush on our time."""
    name = pgsql.Identifier(schema)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(name))
        connection.execute(pgsql.SQL("CREATE SCHEMA {}").format(name))
        with suppress(psycopg.errors.InsufficientPrivilege):  # --dsn as a user that may not
            connection.execute("CHECKPOINT")


def plain_copy(dsn: str, schema: str, parallel: bool = False) -> None:
    """``CREATE TABLE AS SELECT *`` of each table; ``parallel``: with the parallel-query
    settings kitchen uses, and both tables at once on two connections, as kitchen does."""

    def one(table: str) -> None:
        with psycopg.connect(dsn, autocommit=True) as connection:
            if parallel:
                for setting in PARALLEL_COPY:
                    connection.execute(pgsql.SQL("SET {} = 0").format(pgsql.Identifier(setting)))
            target, origin = pgsql.Identifier(schema, table), pgsql.Identifier("src", table)
            statement = pgsql.SQL("CREATE TABLE {} AS SELECT * FROM {}").format(target, origin)
            connection.execute(statement)

    if parallel:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(one, TABLES))
    else:
        for table in TABLES:
            one(table)


def digests_only(dsn: str, schema: str) -> None:
    """``CREATE TABLE AS`` of both tables at once with parallel query, the customers with the
    keyed digests kitchen's masking computes (md5 of salt, strategy and value) and nothing
    else: the work the masking cannot do without."""
    rules = masking.parse_rules(RULES)

    def one(table: str) -> None:
        warehouse = PostgresWarehouse(config.PostgresWarehouse(type="postgres", dsn=dsn), "dev")
        try:
            warehouse.set_salt(SALT)
            planned = masking.plan(rules, table, warehouse.column_types("src", table))
            derived = projection.select_list(warehouse, planned).derived
            extra = sql(", {}", derived) if derived is not None else sql("")
            with warehouse.transaction():
                for setting in PARALLEL_COPY:
                    warehouse.execute(sql("SET LOCAL {} = 0", Identifier(setting)))
                warehouse.execute(
                    sql(
                        "CREATE TABLE {} AS SELECT *{} FROM {}",
                        Identifier(schema, table),
                        extra,
                        Identifier("src", table),
                    )
                )
        finally:
            warehouse.close()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, TABLES))


def kitchen_copy(
    warehouse: PostgresWarehouse, schema: str, sample: config.Sample | None, verify: bool
) -> None:
    """What kitchen create does for the data: the tables as the source has them (PostgreSQL
    12+), masked (and sampled) rows, keys after the rows, then verification."""
    rules = masking.parse_rules(RULES)
    types = {t: warehouse.column_types("src", t) for t in TABLES}
    plans = {t: masking.plan(rules, t, types[t]) for t in types}
    rows = (
        sampling.plan(
            sample,
            {t: [c for c, _ in types[t]] for t in types},
            [ORDERS_FK],
            keys=warehouse.primary_keys("src"),
        )
        if sample
        else {}
    )
    warehouse.set_salt(SALT)
    with warehouse.snapshot(warehouse, "src", TABLES):  # as kitchen does on PostgreSQL 12+
        masked = {t: {c.name for c in planned if c.masked} for t, planned in plans.items()}
        structure = warehouse.read_structure("src", TABLES, masked)
        if structure is not None:
            warehouse.build_before(structure, schema)
        moved = datacopy.move(
            warehouse,
            warehouse,
            "src",
            schema,
            columns=plans,
            rows_of=rows,
            into_existing=structure is not None,
        )
        list(moved)
    if structure is not None:
        warehouse.build_after(structure, schema)
    if verify:
        found = datacopy.overlaps(warehouse, warehouse, "src", schema, plans)
        assert not any(count for *_, count in found), found


def verification(dsn: str, schema: str, parallel: bool) -> None:
    """The masking check alone over an earlier step's copy, on sessions of its own;
    ``parallel``: with the parallel-query settings kitchen sets for bare copies
    (PARALLEL_COPY) on every session, else the server's own plan, as kitchen checks."""
    options = " ".join(f"-c {setting}=0" for setting in PARALLEL_COPY) if parallel else ""
    conninfo = make_conninfo(dsn, options=options) if options else dsn
    warehouse = PostgresWarehouse(config.PostgresWarehouse(type="postgres", dsn=conninfo), "dev")
    try:
        warehouse.set_salt(SALT)
        rules = masking.parse_rules(RULES)
        plans = {t: masking.plan(rules, t, warehouse.column_types("src", t)) for t in TABLES}
        datacopy.overlaps(warehouse, warehouse, "src", schema, plans)
    finally:
        warehouse.close()


def python_copy(dsn: str, schema: str) -> None:
    """The same masking done row by row in Python, streamed with COPY both ways.

    Value for value what kitchen's SQL computes (the run counts the rows that differ), so the two
    timings compare where the work happens, not two different amounts of work.
    """

    def digest(value: object, strategy: str) -> str:
        return hashlib.md5(f"{SALT}:{strategy}:{value}".encode()).hexdigest()

    def number(value: object, strategy: str) -> tuple[int, int]:
        """The 28-bit number of the digest, as its low and high 14 bits."""
        whole = int(digest(value, strategy)[:7], 16)
        return whole & 16383, whole >> 14

    def mask(row: tuple[Any, ...]) -> tuple[Any, ...]:
        ident, name, email, phone, birth, _street, city = row
        first, last = number(name, "name")
        name = f"{FIRST_NAMES[first % len(FIRST_NAMES)]} {LAST_NAMES[last % len(LAST_NAMES)]}"
        area, line = number(phone, "phone")
        phone = f"+1-{200 + area % 800}-555-01{line % 100:02d}"
        low, high = number(birth, "shift")
        days = 1 + (low + ((high & 8191) << 14)) % 180  # the low 27 bits
        birth = birth + timedelta(days=days if high >> 13 == 0 else -days)
        email = f"user-{digest(email, 'email')[:12]}@example.invalid"
        return (ident, name, email, phone, birth, "REDACTED", city)

    with psycopg.connect(dsn) as reader, psycopg.connect(dsn) as writer:
        for table, transform in (("customers", mask), ("orders", lambda row: row)):
            target_table, origin = pgsql.Identifier(schema, table), pgsql.Identifier("src", table)
            writer.execute(pgsql.SQL("CREATE TABLE {} (LIKE {})").format(target_table, origin))
            outgoing = pgsql.SQL("COPY {} TO STDOUT").format(origin)
            incoming = pgsql.SQL("COPY {} FROM STDIN").format(target_table)
            with (
                reader.cursor().copy(outgoing) as source,
                writer.cursor().copy(incoming) as target,
            ):
                types = ["int8", "text", "text", "text", "date", "text", "text"]
                if table == "orders":
                    types = ["int8", "int8", "numeric", "timestamp"]
                source.set_types(types)
                for row in source.rows():
                    target.write_row(transform(row))
        writer.commit()


def report(results: dict[str, float], rows: int, sampled_rows: int) -> None:
    base = results["plain CREATE TABLE AS"]
    print(f"\n{'measurement':62} {'seconds':>8} {'x plain':>8} {'rows/s':>12}")
    for label, seconds in results.items():
        count = sampled_rows if "sample" in label else rows
        print(f"{label:62} {seconds:8.2f} {seconds / base:8.2f} {count / seconds:12,.0f}")
    speedup = results["Python row by row over psycopg"] / results["kitchen masked copy"]
    print(f"\nkitchen masked copy vs plain CTAS: {results['kitchen masked copy'] / base:.2f}x")
    digests = results["CREATE TABLE AS computing the same digests, parallel, at once"]
    print(
        f"kitchen masked copy vs a CTAS computing its digests: "
        f"{results['kitchen masked copy'] / digests:.2f}x (target: at most 1.15x)"
    )
    print(f"kitchen masked copy vs Python row by row: {speedup:.1f}x faster")
    print(
        f"masked copy + verification vs plain CTAS: "
        f"{results['kitchen masked copy + verification'] / base:.2f}x"
    )


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the server
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dsn", help="an existing PostgreSQL (default: start one)")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 1M customers, 3M orders")
    parser.add_argument("--rounds", type=int, default=3, help="each figure is the median")
    args = parser.parse_args()
    customers, orders = int(1_000_000 * args.scale), int(3_000_000 * args.scale)
    server = None
    if args.dsn is None:
        from tests.servers import start_postgres

        server = start_postgres()
    dsn = args.dsn or server.dsn()  # type: ignore[union-attr]
    try:
        print(f"generating {customers:,} customers and {orders:,} orders ...", flush=True)
        generate(dsn, customers, orders)
        warehouse = PostgresWarehouse(config.PostgresWarehouse(type="postgres", dsn=dsn), "dev")
        timings: dict[str, list[float]] = {}
        steps: list[tuple[str, str, Callable[[], None]]] = [
            ("plain CREATE TABLE AS", "plain", lambda: plain_copy(dsn, "plain")),
            (
                "plain CREATE TABLE AS, parallel query, tables at once",
                "plain_parallel",
                lambda: plain_copy(dsn, "plain_parallel", parallel=True),
            ),
            (
                "kitchen masked copy",
                "masked",
                lambda: kitchen_copy(warehouse, "masked", None, False),
            ),
            (
                "kitchen masked copy + verification",
                "verified",
                lambda: kitchen_copy(warehouse, "verified", None, True),
            ),
            (
                "CREATE TABLE AS computing the same digests, parallel, at once",
                "digests",
                lambda: digests_only(dsn, "digests"),
            ),
            (
                "verification alone (PARALLEL_COPY)",
                "unused",
                lambda: verification(dsn, "masked", True),
            ),
            (
                "verification alone, the server's own plan",
                "unused",
                lambda: verification(dsn, "masked", False),
            ),
            ("Python row by row over psycopg", "python", lambda: python_copy(dsn, "python")),
            (
                "kitchen masked copy, 10% FK-consistent sample",
                "sampled",
                lambda: kitchen_copy(warehouse, "sampled", config.Sample(default="10%"), True),
            ),
        ]
        for round_ in range(1, args.rounds + 1):  # round by round: drift hits every step alike
            print(f"round {round_} of {args.rounds}", flush=True)
            for label, schema, step in steps:
                reset(dsn, schema)
                print(f"  {label} ...", flush=True)
                start = time.perf_counter()
                step()
                timings.setdefault(label, []).append(time.perf_counter() - start)
        results = {label: statistics.median(times) for label, times in timings.items()}
        with psycopg.connect(dsn) as connection:
            count = pgsql.SQL("SELECT count(*) FROM {}")
            sampled = sum(
                connection.execute(count.format(pgsql.Identifier("sampled", t))).fetchone()[0]  # type: ignore[index]
                for t in ("customers", "orders")
            )
            differing = connection.execute(
                "SELECT count(*) FROM masked.customers m FULL JOIN python.customers p"
                " USING (customer_id) WHERE m IS DISTINCT FROM p"
            ).fetchone()[0]  # type: ignore[index]
            orphans = connection.execute(
                "SELECT count(*) FROM sampled.orders o WHERE NOT EXISTS"
                " (SELECT 1 FROM sampled.customers c WHERE c.customer_id = o.customer_id)"
            ).fetchone()[0]  # type: ignore[index]
        warehouse.close()
        report(results, customers + orders, sampled)
        print(f"10% sample: {sampled:,} rows, {orphans} orphan orders")
        print(f"customers masked by kitchen and by Python that differ: {differing:,}")
    finally:
        if server:
            server.stop()


if __name__ == "__main__":
    main()
