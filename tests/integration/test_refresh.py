"""kitchen data refresh: new data swapped in at once; the old data survives any failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from kitchen.faults import CRASH_EXIT
from tests.conftest import Cli, after_the_first_table, run_kitchen, snapshot


def rows(cli: Cli, name: str) -> dict[str, int]:
    return {t["name"]: t["rows"] for t in cli("show", name, "--json").json()["tables"]}


def dev_sql(shop: Path, statement: str) -> None:
    connection = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    connection.execute(statement)
    connection.close()


@pytest.fixture
def feature(cli: Cli, shop: Path) -> str:
    assert cli("create", "feature").code == 0
    dev_sql(shop, "CREATE TABLE feature.my_model AS SELECT 42 AS answer")  # the kitchen's own
    dev_sql(shop, "DELETE FROM dev.orders WHERE order_id > 1000")  # the parent moves on
    return "feature"


def test_refresh_brings_the_parents_data_and_keeps_the_kitchens_own_tables(
    cli: Cli, feature: str
) -> None:
    assert rows(cli, feature)["orders"] == 4000
    result = cli("data", "refresh", feature, "--json")
    assert result.code == 0, result.err
    assert rows(cli, feature) == {"customers": 1000, "orders": 1000, "products": 40, "my_model": 1}
    assert result.json()["data"]["source"] == "dev"


def test_a_table_the_parent_no_longer_has_leaves_the_kitchen(
    cli: Cli, shop: Path, feature: str
) -> None:
    """It stayed behind, as if the parent still had it: refresh rebuilds what was copied."""
    dev_sql(shop, "DROP TABLE dev.orders")  # no key references it
    result = cli("data", "refresh", feature)
    assert result.code == 0, result.err
    assert "Dropping the tables no longer copied from dev: orders" in result.err
    assert rows(cli, feature) == {"customers": 1000, "products": 40, "my_model": 1}
    # from a parent with it again, it is back
    assert cli("data", "refresh", feature, "--from", "production").code == 0
    assert rows(cli, feature)["orders"] == 4000


def test_refresh_from_another_kitchen_masks_like_create(cli: Cli, feature: str) -> None:
    result = cli("data", "refresh", feature, "--from", "production", "--json")
    assert result.code == 0, result.err
    data = result.json()["data"]
    assert data["source"] == "production" and data["rules"] == 5 and data["verified_at"]
    assert rows(cli, feature)["orders"] == 4000


def test_failed_refresh_leaves_the_old_data_intact(
    cli: Cli, shop: Path, feature: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(shop)
    data_before = cli("show", feature, "--json").json()["data"]
    monkeypatch.setenv("KITCHEN_FAIL_AT", "copy.table")  # after the first new table is built
    assert cli("data", "refresh", feature).code == 3
    assert snapshot(shop) == before  # staging dropped, kitchen untouched
    assert cli("show", feature, "--json").json()["data"] == data_before


def test_refresh_keeps_writers_out_of_the_parent_until_its_copy_is_whole(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process writing into production between dev's customers and its orders is
    kept out (DuckDB's file lock), so no order can arrive in dev without its customer."""
    writer = (
        "import duckdb, sys; c = duckdb.connect(sys.argv[1]);"
        " c.execute('INSERT INTO production.customers (customer_id) VALUES (99999)');"
        " c.execute('INSERT INTO production.orders (order_id, customer_id, product_id)"
        " VALUES (99999, 99999, 1)')"
    )
    production = str(shop / ".kitchen/warehouse/production_warehouse.duckdb")
    command = [sys.executable, "-c", writer, production]
    ran = after_the_first_table(
        monkeypatch, lambda: subprocess.run(command, capture_output=True, text=True, check=False)
    )
    assert cli("data", "refresh", "dev").code == 0
    (write,) = ran
    assert write.returncode != 0 and "lock" in write.stderr, write.stderr
    connection = duckdb.connect(
        str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"), read_only=True
    )
    try:
        orphans = connection.execute(
            "SELECT count(*) FROM dev.orders"
            " WHERE customer_id NOT IN (SELECT customer_id FROM dev.customers)"
        ).fetchone()
    finally:
        connection.close()
    assert orphans == (0,)


def test_refresh_killed_half_way_leaves_old_data_and_the_next_one_completes(
    cli: Cli, shop: Path, feature: str
) -> None:
    crashed = run_kitchen(
        shop, "data", "refresh", feature, env={"KITCHEN_FAIL_AT": "copy.table:crash"}
    )
    assert crashed.code == CRASH_EXIT
    assert rows(cli, feature)["orders"] == 4000  # old data still there
    assert any(s == ("kitchen_stage_feature",) for s in snapshot(shop)["dev"]["schemas"])
    assert cli("data", "refresh", feature).code == 0
    assert rows(cli, feature)["orders"] == 1000
    assert ("kitchen_stage_feature",) not in snapshot(shop)["dev"]["schemas"]


def test_delete_also_removes_a_dead_refreshs_staging(cli: Cli, shop: Path, feature: str) -> None:
    run_kitchen(shop, "data", "refresh", feature, env={"KITCHEN_FAIL_AT": "copy.table:crash"})
    assert cli("delete", feature, "--yes", "--force").code == 0
    assert ("kitchen_stage_feature",) not in snapshot(shop)["dev"]["schemas"]


def test_refresh_makes_again_a_schema_dropped_by_hand(cli: Cli, shop: Path, feature: str) -> None:
    """It built the whole copy, then failed at the swap: schema "feature" does not exist."""
    dev_sql(shop, "DROP SCHEMA feature CASCADE")  # in the dev database, where it is
    refreshed = cli("data", "refresh", feature)
    assert refreshed.code == 0, refreshed.err
    assert "Schema feature was gone; making it again." in refreshed.err
    assert rows(cli, feature)["orders"] == 1000


def test_refresh_refusals(cli: Cli) -> None:
    assert cli("data", "refresh", "production").code == 4  # protected
    assert cli("data", "refresh", "nope").code == 2
    itself = cli("data", "refresh", "dev", "--from", "dev")
    assert itself.code == 2 and "'dev' cannot be refreshed from itself" in itself.err
