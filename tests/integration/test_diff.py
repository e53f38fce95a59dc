"""kitchen diff: a kitchen's tables against its parent's, computed in the warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kitchen.backends.warehouse.base import Column, TableSpec, Warehouse
from kitchen.data import diff
from tests.conftest import Cli, WarehouseFactory

ORDERS = TableSpec(
    "orders",
    (
        Column("order_id", "INTEGER"),
        Column("line", "INTEGER"),
        Column("amount", "NUMERIC(10,2)"),
        Column("note", "TEXT"),
    ),
)


@pytest.fixture
def warehouse(open_warehouse: WarehouseFactory) -> Warehouse:
    """Two schemas of one warehouse: the parent's orders, and a kitchen's that changed some."""
    warehouse = open_warehouse("dev")
    for schema in ("parent", "kid"):
        warehouse.create_schema(schema)
        warehouse.create_table(schema, ORDERS)
    parent = [(n, 1, 10.0 * n, f"o{n}") for n in range(1, 101)]
    kid = [
        (n, 1, 10.0 * n * (2 if n in (5, 17) else 1), "new" if n == 17 else f"o{n}")
        for n in range(1, 101)
        if n not in (3, 4)
    ]
    kid += [(101, 1, 5.0, None), (101, 2, 5.0, None)]  # an order of two lines, new
    warehouse.insert_rows("parent", "orders", ["order_id", "line", "amount", "note"], parent)
    warehouse.insert_rows("kid", "orders", ["order_id", "line", "amount", "note"], kid)
    return warehouse


def test_rows_by_key_only_on_one_side_and_changed_column_by_column(warehouse: Warehouse) -> None:
    found = diff.compare(warehouse, "orders", ("kid", "parent"), ["order_id", "line"], 0.01)
    assert found.rows == (100, 100)
    assert (found.only_kitchen, found.only_other, found.changed) == (2, 2, 2)
    assert found.changed_columns == {"amount": 2, "note": 1}
    assert found.examples == {
        "only_in_kitchen": ["101|1", "101|2"],
        "only_in_other": ["3|1", "4|1"],
        "changed": ["17|1", "5|1"],  # the smallest and the largest, as text
    }
    amount = next(n for n in found.numbers if n.column == "amount")
    assert amount.other["sum"] == pytest.approx(50500.0)
    assert amount.kitchen["sum"] == pytest.approx(50500.0 - 70 + 50 + 170 + 10)
    assert amount.kitchen["nulls"] == amount.other["nulls"] == 0
    assert "min" in amount.flagged and "sum" not in amount.flagged  # 0.3 % under 1 %
    assert not found.same


def test_without_a_key_whole_rows_are_a_multiset(warehouse: Warehouse) -> None:
    found = diff.compare(warehouse, "orders", ("kid", "parent"), [], 0.01)
    assert found.key == [] and found.changed is None
    assert (found.only_kitchen, found.only_other) == (4, 4)  # 2 new + 2 changed; 2 gone + 2


def test_columns_added_removed_and_retyped_and_a_table_on_one_side(warehouse: Warehouse) -> None:
    from kitchen.backends.warehouse.sql import sql

    warehouse.execute(sql("ALTER TABLE kid.orders ADD COLUMN channel TEXT"))
    warehouse.execute(sql("ALTER TABLE kid.orders DROP COLUMN note"))
    warehouse.execute(sql("ALTER TABLE kid.orders ALTER COLUMN line TYPE BIGINT"))
    found = diff.compare(warehouse, "orders", ("kid", "parent"), ["order_id"], 0.01)
    assert (found.added, found.removed) == (["channel"], ["note"])
    assert [(c, was.lower()) for c, was, _ in found.retyped] == [("line", "integer")]
    assert found.changed_columns == {"amount": 2}  # the columns both have, of one type
    warehouse.create_table("kid", TableSpec("fresh", (Column("id", "INTEGER"),)))
    alone = diff.compare(warehouse, "fresh", ("kid", "parent"), [], 0.01)
    assert alone.rows == (0, None) and not alone.same


def test_the_same_table_is_the_same(warehouse: Warehouse) -> None:
    found = diff.compare(warehouse, "orders", ("parent", "parent"), ["order_id", "line"], 0.01)
    assert found.same and found.examples == {} and not any(n.flagged for n in found.numbers)


def test_kitchen_diff_compares_what_the_pipelines_wrote_by_the_nodes_keys(
    cli: Cli, shop: Path
) -> None:
    assert cli("checkout", "dev").code == 0
    assert cli("test", "dev").code == 0
    assert cli("create", "feature").code == 0
    mart = shop / "pipelines/shop/mart.sql"
    mart.write_text(
        mart.read_text().replace("sum(e.margin) as margin", "sum(e.margin) * 2 as margin")
    )
    assert cli("test", "feature").code == 0  # uncommitted: tested all the same
    found = cli("diff", "--json").json()
    assert (found["kitchen"], found["against"]) == ("feature", "dev")
    tables = {t["table"]: t for t in found["tables"]}
    assert set(tables) == {"stg_orders", "enriched", "profitability"}
    assert found["untouched"] == ["customers", "orders", "products"]
    assert tables["stg_orders"]["same"] and tables["enriched"]["same"]
    mart_diff = tables["profitability"]
    assert mart_diff["key"] == ["customer_id"]  # declared on the mart node
    assert mart_diff["changed"] > 0 and set(mart_diff["changed_columns"]) >= {"margin"}
    assert mart_diff["only_in_kitchen"] == mart_diff["only_in_other"] == 0
    margin = next(n for n in mart_diff["numbers"] if n["column"] == "margin")
    assert margin["kitchen"]["sum"] == pytest.approx(2 * margin["other"]["sum"])
    assert "sum" in margin["flagged"]
    shown = cli("diff").out
    assert "profitability (key customer_id)" in shown and "stg_orders: the same" in shown
    by_key = cli("diff", "--table", "orders", "--key", "order_id", "--json").json()
    assert by_key["tables"][0]["same"] and by_key["untouched"] == []


def test_kitchen_diff_refuses_what_it_cannot_compare(cli: Cli) -> None:
    assert cli("create", "feature", "--no-data").code == 0
    other = cli("diff", "feature", "--against", "production")
    assert other.code == 4 and "differ by design" in other.err
    assert cli("diff", "dev").code == 4  # its parent, production, holds other data
    assert "has no parent" in cli("diff", "production").err
    # a kitchen made under production is in production's environment: the parallel run,
    # compared with production's tables without touching them
    assert cli("create", "hotfix", "--parent", "production", "--no-checkout").code == 0
    parallel = cli("diff", "hotfix", "--table", "orders", "--key", "order_id", "--json")
    assert parallel.code == 0 and parallel.json()["against"] == "production"
    assert parallel.json()["tables"][0]["same"]
    missing = cli("diff", "feature", "--table", "ordrs")
    assert missing.code == 2 and "Did you mean 'orders'?" in missing.err
    assert cli("diff", "feature", "--against", "feature").code == 2


def test_a_merge_preview_names_the_tables_downstream_and_their_diff(cli: Cli, shop: Path) -> None:
    """The preview listed files; a reviewer wants what the change does to the data."""
    assert cli("checkout", "dev").code == 0
    assert cli("test", "dev").code == 0
    assert cli("create", "feature").code == 0
    staging = shop / "pipelines/shop/staging.sql"
    staging.write_text(staging.read_text().replace("o.amount,", "o.amount * 2 as amount,"))
    subprocess.run(["git", "commit", "-qam", "double the amounts"], cwd=shop, check=True)
    untested = cli("merge", "feature", "--preview", "--json").json()
    assert untested["downstream"] == ["enriched", "profitability", "stg_orders"]
    assert untested["diffs"] == [] and "kitchen test feature" in untested["no_diff"]
    ran = cli("test", "feature", "--json")
    assert ran.code == 0
    seen = cli("merge", "feature", "--preview", "--json").json()
    diffs = {d["table"]: d for d in seen["diffs"]}
    assert set(diffs) == {"enriched", "profitability", "stg_orders"}
    assert diffs["stg_orders"]["changed"] == 4000 and diffs["stg_orders"]["changed_columns"] == {
        "amount": 4000
    }
    shown = cli("merge", "feature", "--preview").out
    assert "Tables downstream of the change: enriched, profitability, stg_orders" in shown
    assert "stg_orders: 4,000 rows in feature, 4,000 in dev; 4,000 changed (amount 4,000)" in shown
    # the CI templates' review step, as they call it, on what kitchen printed for them
    (shop / "preview.json").write_text(json.dumps(seen))
    (shop / "run.json").write_text(ran.out)
    posted = subprocess.run(
        [sys.executable, "-m", "kitchen.review", "preview.json", "run.json"],
        cwd=shop,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "| `stg_orders` | 4,000 | 4,000 | 0 | 0 | 4,000 (amount 4,000) |" in posted
    assert f"**Run `{ran.json()['run_id']}`**" in posted and ": passed;" in posted
    assert cli("checkout", "dev").code == 0  # the preview reads the branch, not the worktree
    assert cli("merge", "feature", "--preview", "--json").json()["downstream"] == [
        "enriched",
        "profitability",
        "stg_orders",
    ]


def test_nulls_are_equal_and_a_key_on_two_rows_is_reported_not_miscounted(
    warehouse: Warehouse,
) -> None:
    from kitchen.backends.warehouse.sql import sql

    warehouse.execute(sql("UPDATE parent.orders SET note = NULL WHERE order_id = 9"))
    warehouse.execute(sql("UPDATE kid.orders SET note = NULL WHERE order_id = 9"))
    keyed = diff.compare(warehouse, "orders", ("kid", "parent"), ["order_id", "line"], 0.01)
    assert keyed.changed == 2 and "9|1" not in str(keyed.examples)  # NULL against NULL
    # order 101 has two lines: order_id alone is no key, and a join on it would count 101's
    # match twice; it is said, and the rows are compared whole
    warehouse.insert_rows("parent", "orders", ["order_id", "line", "amount"], [(101, 1, 5.0)])
    found = diff.compare(warehouse, "orders", ("kid", "parent"), ["order_id"], 0.01)
    assert found.duplicates == {"kitchen": 1} and found.key == [] and found.changed is None
    # rows, not joined pairs: 5, 17 and 101/2 here; 3, 4 and the old 5 and 17 there
    assert (found.only_kitchen, found.only_other) == (3, 4)
    assert found.to_json()["duplicate_keys"] == {"kitchen": 1}


def test_empty_tables_compare_as_the_same(warehouse: Warehouse) -> None:
    for schema in ("kid", "parent"):
        warehouse.create_table(schema, TableSpec("nothing", (Column("id", "INTEGER"),)))
    found = diff.compare(warehouse, "nothing", ("kid", "parent"), ["id"], 0.01)
    assert found.same and found.rows == (0, 0)
