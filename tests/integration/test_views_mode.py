"""Kitchens of views (`data: {mode: views}`, `kitchen create --data views`): nothing copied,
nobody writes through them, a pipeline's writes make the table the kitchen's own, a parent's
table dropped or changed under them is reported and mended; on DuckDB and on PostgreSQL
(kitchen logged in as a login that is no superuser, each kitchen with a login of its own)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from tests.conftest import CONFIG_DEV, LOGINS, Cli, edit_config
from tests.servers import PostgresServer

DERIVED = {"stg_orders", "enriched", "profitability"}  # what the demo's pipeline writes


@dataclass
class Shop:
    cli: Cli
    folder: Path
    engine: str
    run: Callable[[str], list[tuple[Any, ...]]]  # SQL in the dev warehouse, as its owner would

    def tables(self, kitchen: str) -> dict[str, str | None]:
        """Each table ``show`` lists: whose table it views (None: its own)."""
        shown = self.cli("show", kitchen, "--json")
        assert shown.code == 0, shown.err
        return {t["name"]: t.get("view_of") for t in shown.json()["tables"]}

    def problems(self, kitchen: str) -> dict[str, str]:
        shown = self.cli("show", kitchen, "--json").json()
        return {t["name"]: t["problem"] for t in shown["tables"] if t.get("problem")}


@pytest.fixture(params=["duckdb", "postgres"])
def views_shop(
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> Iterator[Shop]:
    if request.param == "duckdb":
        folder: Path = request.getfixturevalue("shop")
        path = folder / ".kitchen/warehouse/dev_warehouse.duckdb"

        def run(statement: str) -> list[tuple[Any, ...]]:
            with duckdb.connect(str(path)) as connection:
                return connection.execute(statement).fetchall()

        yield Shop(Cli(capsys, folder), folder, "duckdb", run)
        return
    folder = request.getfixturevalue("pg_project")
    server: PostgresServer = request.getfixturevalue("postgres")
    edit_config(folder, ", dbname:", ", kitchen_roles: true, dbname:")
    production = "    secrets: {type: file, path: .kitchen/secrets/production.yaml}"
    edit_config(folder, production, production + "\n    sensitive: true")
    more = "customers.birth_date: {shift: 180}, customers.street_address: redact"
    edit_config(folder, "customers.phone: phone}", f"customers.phone: phone, {more}}}")
    cli = Cli(capsys, folder)
    assert cli("init", "--demo").code == 0

    user, password = LOGINS[folder]  # as kitchen's login, whose dev's tables are

    def run_pg(statement: str) -> list[tuple[Any, ...]]:
        login = make_conninfo(
            host=server.host, port=server.port, dbname=CONFIG_DEV[folder], user=user
        )
        with psycopg.connect(login, password=password, autocommit=True) as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else []

    yield Shop(cli, folder, "postgres", run_pg)


def base_tables(shop: Shop, schema: str) -> set[str]:
    rows = shop.run(
        "SELECT table_name FROM information_schema.tables"
        f" WHERE table_schema = '{schema}' AND table_type = 'BASE TABLE'"
    )
    return {name for (name,) in rows}


def test_a_kitchen_of_views_copies_nothing_and_its_writes_are_its_own(views_shop: Shop) -> None:
    shop, cli = views_shop, views_shop.cli
    assert cli("test", "dev").code == 0  # dev has the pipeline's tables too
    created = cli("create", "quick", "--data", "views", "--no-checkout")
    assert created.code == 0, created.err
    assert "Views onto 6 tables of dev (nothing copied)" in created.err
    assert base_tables(shop, "quick") == set()
    assert shop.tables("quick") == dict.fromkeys(
        ["customers", "enriched", "orders", "products", "profitability", "stg_orders"], "dev"
    )
    shown = cli("show", "quick")
    assert "views of dev's tables (6 tables)" in shown.out and "masked upstream" in shown.out

    # nobody writes through a view, not even its owner
    with pytest.raises((duckdb.Error, psycopg.Error)):
        shop.run("DELETE FROM quick.orders")
    assert shop.run("SELECT count(*) FROM dev.orders") == [(4000,)]

    # the pipeline makes its tables anew (views dropped) or adds to one (copy on write)
    folder = shop.folder / "pipelines" / "shop"
    (folder / "late.sql").write_text(
        "insert into orders (order_id, customer_id, product_id, quantity, amount, ordered_at)"
        " select 900000, customer_id, product_id, quantity, amount, ordered_at"
        " from orders limit 1;\n"
    )
    pipeline = folder / "pipeline.yaml"
    pipeline.write_text(
        pipeline.read_text()
        .replace("nodes:\n", "nodes:\n  - {name: late, type: sql, file: late.sql}\n", 1)
        .replace("    file: staging.sql\n", "    file: staging.sql\n    depends_on: [late]\n", 1)
    )
    tested = cli("test", "quick")
    assert tested.code == 0, tested.out + tested.err
    assert shop.tables("quick") == {
        "customers": "dev",
        "products": "dev",
        "orders": None,
        **dict.fromkeys(DERIVED, None),
    }
    assert shop.run("SELECT count(*) FROM quick.orders") == [(4001,)]
    assert shop.run("SELECT count(*) FROM dev.orders") == [(4000,)]  # dev's untouched

    # dev's pipeline replaces tables that another kitchen's views show (PostgreSQL would
    # refuse to drop them): it runs, and the views show the new tables after
    assert cli("create", "peek", "--data", "views", "--no-checkout").code == 0
    rerun = cli("test", "dev")
    assert rerun.code == 0, rerun.out + rerun.err
    assert shop.tables("peek") == dict.fromkeys(
        ["customers", "enriched", "orders", "products", "profitability", "stg_orders"], "dev"
    )
    assert shop.problems("peek") == {}

    # a kitchen of views of a kitchen of views shows the tables at their origin
    assert cli("create", "deeper", "--parent", "quick", "--data", "views").code == 0
    assert shop.tables("deeper") == {
        "customers": "dev",
        "products": "dev",
        "orders": "quick",
        **dict.fromkeys(DERIVED, "quick"),
    }
    assert cli("delete", "deeper", "--yes").code == 0
    assert cli("delete", "quick", "--yes").code == 0
    assert "quick" not in {
        name for (name,) in shop.run("SELECT schema_name FROM information_schema.schemata")
    }
    # dev's run added its late order to its own orders: peek's view shows it
    assert shop.run("SELECT count(*) FROM peek.orders") == [(4001,)]


def test_a_parents_table_dropped_or_changed_is_reported_and_mended(views_shop: Shop) -> None:
    shop, cli = views_shop, views_shop.cli
    assert cli("create", "quick", "--data", "views", "--no-checkout").code == 0
    assert cli("doctor", "--env", "dev").code == 0
    cascade = " CASCADE" if shop.engine == "postgres" else ""
    shop.run(f"DROP TABLE dev.orders{cascade}")  # as dev's owner would, past kitchen
    shop.run("ALTER TABLE dev.customers RENAME TO customers_old")
    shop.run("CREATE TABLE dev.customers AS SELECT *, 1 AS tier FROM dev.customers_old")

    problems = shop.problems("quick")
    if shop.engine == "postgres":  # its view went with orders; customers' holds the old one
        assert set(problems) == {"customers", "orders"}
        assert problems["orders"] == "the view is gone"
        assert "dev.customers changed: its columns are (" in problems["customers"]
    else:  # DuckDB reads a view's table by name when it is read: the new one, as it is
        assert problems == {"orders": "dev.orders is gone"}
        assert shop.run("SELECT count(tier) FROM quick.customers") == [(1000,)]
    shown = cli("show", "quick")
    assert "BROKEN" in shown.out and "kitchen data refresh quick" in shown.err

    doctor = cli("doctor", "--env", "dev")
    assert doctor.code == 3
    assert "kitchen quick: its view" in doctor.out

    refreshed = cli("data", "refresh", "quick")
    assert refreshed.code == 0, refreshed.err
    assert shop.problems("quick") == {}
    assert shop.tables("quick") == {"customers": "dev", "customers_old": "dev", "products": "dev"}
    assert shop.run("SELECT count(tier) FROM quick.customers") == [(1000,)]
    assert cli("doctor", "--env", "dev").code == 0

    # and to a snapshot: its own copies, which the parent's changes no longer reach
    copied = cli("data", "refresh", "quick", "--data", "copy")
    assert copied.code == 0, copied.err
    assert shop.tables("quick") == dict.fromkeys(["customers", "customers_old", "products"])
    assert base_tables(shop, "quick") == {"customers", "customers_old", "products"}
    assert cli("data", "refresh", "quick", "--data", "views").code == 0  # and back
    assert set(shop.tables("quick").values()) == {"dev"} and base_tables(shop, "quick") == set()


def test_what_views_cannot_do_is_refused_before_anything_is_made(views_shop: Shop) -> None:
    shop, cli = views_shop, views_shop.cli
    cases = {
        ("--sample", "10%"): "--sample takes a copy",
        ("--parent", "production"): "production's data is masked on its way to x",
    }
    for extra, said in cases.items():
        refused = cli("create", "x", "--data", "views", "--no-checkout", *extra)
        assert refused.code == 3, refused.err
        assert said in refused.err and "Traceback" not in refused.err
    clone = cli("create", "x", "--data", "clone", "--no-checkout")
    assert clone.code == 3 and "has no zero-copy clones" in clone.err
    unknown = cli("create", "x", "--data", "snapshot", "--no-checkout")
    assert unknown.code == 2 and "'snapshot' is not a way kitchen fills a kitchen" in unknown.err
    assert cli("create", "x", "--data", "views", "--no-data").code == 2
    assert "x" not in {k["name"] for k in cli("list", "--json").json()["kitchens"]}

    assert cli("create", "quick", "--data", "views", "--no-checkout").code == 0
    copy = cli("create", "copy-of-views", "--parent", "quick", "--no-checkout")
    assert copy.code == 3 and "holds views of dev's tables, not copies" in copy.err

    # kitchen.yaml's data.mode: views where it can be, else a copy, said
    edit_config(shop.folder, "data:\n", "data:\n  mode: views\n")
    hotfix = cli("create", "hotfix", "--parent", "production", "--no-checkout")
    assert hotfix.code == 0, hotfix.err
    assert "data.mode is views, but production's data is masked" in hotfix.err
    assert shop.tables("hotfix") == dict.fromkeys(["customers", "orders", "products"])
    assert cli("create", "cheap", "--no-checkout").code == 0
    assert set(shop.tables("cheap").values()) == {"dev"}
