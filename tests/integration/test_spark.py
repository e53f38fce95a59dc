"""A team on Apache Spark through Spark Connect: the demo loaded into production, masked
into dev and verified, kitchens copied, sampled and made of views, its pipeline (SQL,
Python, checks) run there; what Spark cannot do is said. The registries live in DuckDB files
of their own, as kitchen.yaml must name for Spark."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from kitchen import config
from kitchen.backends.warehouse.base import Column, TableSpec, Warehouse
from kitchen.backends.warehouse.duckdb import DuckDBWarehouse
from kitchen.backends.warehouse.rowsql import select_from
from kitchen.backends.warehouse.spark import SparkWarehouse
from kitchen.backends.warehouse.sql import sql
from kitchen.data import masking, projection
from kitchen.faults import CRASH_EXIT
from tests.conftest import Cli, run_kitchen
from tests.gitrepo import git
from tests.servers import SparkServer

KEYS = """\
  sample:  # Spark's catalog declares none: a sample needs them named
    foreign_keys:
      - "orders.customer_id -> customers.customer_id"
      - "orders.product_id -> products.product_id"
"""
CONFIG = """\
project: sparkshop
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
  production: {{environment: production, branch: main, protected: true}}
  dev: {{environment: dev, parent: production, branch: develop}}
data:
{keys}  masking:
    salt: "{{{{ secret('masking#salt') }}}}"
    rules:
      customers.full_name: name
      customers.email: email
      customers.phone: phone
      customers.birth_date: {{shift: 180}}
      customers.street_address: redact
"""


def made(folder: Path, capsys: pytest.CaptureFixture[str], spark: SparkServer, keys: str) -> Cli:
    """The demo's shop on Spark, its production loaded and dev filled, masked, from it."""
    folder.mkdir()
    git(folder, "init", "-q")
    (folder / "kitchen.yaml").write_text(CONFIG.format(url=spark.url, keys=keys))
    cli = Cli(capsys, folder)
    started = cli("init", "--demo")
    assert started.code == 0, started.err
    return cli


def on_spark(spark: SparkServer, query: str) -> list[tuple[object, ...]]:
    warehouse = SparkWarehouse(config.SparkWarehouse(type="spark", url=spark.url), "test")
    try:
        return warehouse.execute(sql(query))
    finally:
        warehouse.close()


def test_a_team_on_spark_gets_masked_kitchens_of_copies_samples_and_views(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spark: SparkServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli = made(tmp_path / "sparkshop", capsys, spark, keys="")  # no keys named yet
    dev = cli("show", "dev", "--json").json()
    assert dev["data"]["masked"] and dev["data"]["verified_at"] and dev["data"]["rules"] == 5
    assert {t["name"]: t["rows"] for t in dev["tables"]} == {
        "customers": 1000,
        "orders": 4000,
        "products": 40,
    }
    # masked as on PostgreSQL and DuckDB: no original email or address is left; names are
    # drawn from the dictionary the demo's own names come from, so one may meet its original
    left = on_spark(
        spark,
        "SELECT count_if(d.email = p.email OR d.street_address = p.street_address),"
        " count_if(d.full_name = p.full_name) FROM dev.customers d JOIN production.customers p"
        " ON d.customer_id = p.customer_id",
    )
    assert left[0][0] == 0 and left[0][1] < 10, left
    assert on_spark(spark, "SELECT count(*) FROM dev.customers WHERE email LIKE 'user-%'") == [
        (1000,)
    ]

    # Spark's catalog declares no keys: a sample that would leave orphans is refused
    refused = cli("create", "small", "--sample", "10%", "--no-checkout")
    assert refused.code == 3
    assert "declares no foreign keys" in refused.err and "data.sample.foreign_keys" in refused.err
    assert "small" not in {name for (name,) in on_spark(spark, "SHOW DATABASES")}
    yaml = cli.directory / "kitchen.yaml"
    yaml.write_text(yaml.read_text().replace("data:\n", "data:\n" + KEYS))
    git(cli.directory, "commit", "-qam", "the keys a sample follows")
    sampled = cli("create", "small", "--sample", "10%", "--no-checkout")
    assert sampled.code == 0, sampled.err
    orphans = on_spark(
        spark,
        "SELECT count(*) FROM small.orders o LEFT ANTI JOIN small.customers c"
        " ON o.customer_id = c.customer_id",
    )
    assert orphans == [(0,)]
    shown_small = cli("show", "small", "--json").json()["tables"]
    rows = {t["name"]: t["rows"] for t in shown_small}
    assert 0 < rows["orders"] < 4000
    # a refresh stages its tables in the kitchen's own database (Spark moves none between
    # databases) and renames them in; what a refresh that died left there is not shown,
    # and the next refresh clears it
    on_spark(spark, "CREATE TABLE small.kitchen_staged__orders USING parquet AS SELECT 1 AS x")
    assert cli("show", "small", "--json").json()["tables"] == shown_small
    refreshed = cli("data", "refresh", "small")
    assert refreshed.code == 0, refreshed.err
    assert [row[1] for row in on_spark(spark, "SHOW TABLES IN small")] == list(rows)
    assert not [name for (name,) in on_spark(spark, "SHOW DATABASES") if "stage" in name]
    again = {t["name"]: t["rows"] for t in cli("show", "small", "--json").json()["tables"]}
    assert again == rows  # the same sample, drawn again
    # no transaction: killed between two tables of the swap, the kitchen lacks the others,
    # which wait staged; the repair moves them in (the copy was whole and verified)
    cut = {"KITCHEN_FAIL_AT": "swap.table:crash"}
    assert run_kitchen(cli.directory, "data", "refresh", "small", env=cut).code == CRASH_EXIT
    assert len(on_spark(spark, "SHOW TABLES IN small")) == 3  # one swapped, two staged
    repaired = cli("doctor", "--repair", "--env", "dev")
    assert repaired.code == 0, repaired.out + repaired.err
    assert [row[1] for row in on_spark(spark, "SHOW TABLES IN small")] == list(rows)
    after = {t["name"]: t["rows"] for t in cli("show", "small", "--json").json()["tables"]}
    assert after == rows
    monkeypatch.setenv("KITCHEN_FAIL_AT", "swap.table")  # a statement refused between two
    failed = cli("data", "refresh", "small")
    monkeypatch.delenv("KITCHEN_FAIL_AT")
    assert failed.code == 3 and "run `kitchen data refresh small` again" in failed.err
    assert cli("data", "refresh", "small").code == 0
    assert [row[1] for row in on_spark(spark, "SHOW TABLES IN small")] == list(rows)

    viewed = cli("create", "quick", "--data", "views", "--no-checkout")
    assert viewed.code == 0, viewed.err
    shown = cli("show", "quick", "--json").json()
    assert {t["name"]: t["view_of"] for t in shown["tables"]} == dict.fromkeys(
        ["customers", "orders", "products"], "dev"
    )
    tested = cli("test", "quick", "--json")
    assert tested.code == 0, tested.out + tested.err
    run = tested.json()
    assert [(n["node"], n["status"]) for n in run["nodes"]] == [
        ("staging", "passed"),
        ("enrich", "passed"),
        ("mart", "passed"),
    ]
    assert on_spark(spark, "SELECT count(*) FROM quick.enriched") == [(4000,)]
    on_spark(spark, "DROP TABLE dev.products")  # under quick's view, past kitchen
    tables = cli("show", "quick", "--json").json()["tables"]
    assert {t["name"]: t["problem"] for t in tables if t.get("problem")} == {
        "products": "dev.products is gone"
    }
    assert cli("doctor", "--env", "dev").code == 3
    assert cli("data", "refresh", "quick").code == 0  # mended: products is gone from dev
    assert "products" not in {t["name"] for t in cli("show", "quick", "--json").json()["tables"]}
    assert cli("delete", "small", "--yes").code == 0
    assert "small" not in {name for (name,) in on_spark(spark, "SHOW DATABASES")}


def test_an_unreachable_spark_server_is_exit_5_and_named(cli: Cli) -> None:
    yaml = cli.directory / "kitchen.yaml"
    text = yaml.read_text()
    dev = "warehouse: {type: duckdb, path: .kitchen/warehouse/dev_warehouse.duckdb}"
    registry = "registry: {type: duckdb, path: .kitchen/warehouse/dev_warehouse.duckdb}"
    yaml.write_text(
        text.replace(dev, f"warehouse: {{type: spark, url: 'sc://127.0.0.1:9'}}\n    {registry}")
    )
    lost = cli("create", "other", "--no-checkout")
    assert lost.code == 5, lost.err
    assert "Cannot connect to the dev warehouse (Spark Connect at 127.0.0.1:9)" in lost.err
    assert "Traceback" not in lost.err


RULES = {  # every strategy, each on a column of its kind
    "people.full_name": "name",
    "people.email": "email",
    "people.phone": "phone",
    "people.token": {"hash": {"length": 16}},
    "people.street": "redact",
    "people.card": {"partial": {"first": 0, "last": 4}},
    "people.born": {"shift": 180},
    "people.amount": {"noise": 0.05},
    "people.signed_up": {"generalize": "year"},
    "people.coupon": {"fixed": "NONE"},
    "people.note": None,
}
PEOPLE = TableSpec(
    "people",
    (
        Column("id", "INTEGER"),
        *(Column(name, "TEXT") for name in ("full_name", "email", "phone", "token", "street")),
        Column("card", "TEXT"),
        Column("born", "DATE"),
        Column("amount", "DECIMAL(10,2)"),
        Column("signed_up", "DATE"),
        Column("coupon", "TEXT"),
        Column("note", "TEXT"),
    ),
)


def masked(warehouse: Warehouse) -> list[tuple[object, ...]]:
    """The people, masked by every strategy with one salt, as ``warehouse`` computes it."""
    warehouse.create_schema("src")
    warehouse.create_table("src", PEOPLE)
    rows = [
        (
            i,
            f"Person {i}",
            f"p{i}@corp.example",
            f"+1-202-555-{i:04d}",
            f"tok-{i}",
            f"{i} Main St",
            f"4111-1111-1111-{i:04d}",
            date(1980, 1, 1) + timedelta(days=i),
            Decimal(f"{i}.25"),
            date(2024, 1, 1) + timedelta(days=3 * i),
            "SPRING",
            "o'brien \\ é",
        )
        for i in range(1, 41)
    ]
    warehouse.insert_rows("src", "people", [c.name for c in PEOPLE.columns], rows)
    warehouse.set_salt("one salt for every engine")
    columns = masking.plan(
        masking.parse_rules(RULES), "people", warehouse.column_types("src", "people", base=True)
    )
    projected = projection.select_list(warehouse, columns)
    origin = warehouse.table("src", "people")
    query = select_from(projected.columns, origin, (), projected.derived)
    return sorted(warehouse.execute(sql("SELECT * FROM ({}) AS m", query)))


def test_every_strategy_masks_on_spark_as_on_duckdb(spark: SparkServer, tmp_path: Path) -> None:
    """The same salt and value give the same output on Spark as on DuckDB (and PostgreSQL,
    which tests/integration/test_masking.py holds to DuckDB's): keys masked on either join."""
    on_duckdb = DuckDBWarehouse(tmp_path / "dev.duckdb", "dev")
    spark_warehouse = SparkWarehouse(config.SparkWarehouse(type="spark", url=spark.url), "dev")
    try:
        expected, found = masked(on_duckdb), masked(spark_warehouse)
    finally:
        on_duckdb.close()
        spark_warehouse.close()
    assert len(found) == 40
    for mine, theirs in zip(found, expected, strict=True):
        assert mine == theirs
