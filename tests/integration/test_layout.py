"""The environment's DuckDB file is usable outside kitchen, and projects made before move."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.conftest import Cli, edit_config

WAREHOUSE = Path(".kitchen/warehouse")


def rows(project: Path, file: str, query: str) -> list[tuple]:
    with duckdb.connect(str(project / WAREHOUSE / file), read_only=True) as connection:
        return connection.execute(query).fetchall()


def test_the_duckdb_file_is_queried_by_schema_from_any_connection(cli: Cli, shop: Path) -> None:
    """`select * from dev.customers` failed with "Ambiguous reference to catalog or schema":
    the file dev.duckdb was catalog dev, and the root kitchen's schema was dev too."""
    assert cli("create", "feature", "--no-checkout").code == 0
    shown = cli("show", "dev", "--json").json()
    customers = {t["name"]: t["rows"] for t in shown["tables"]}["customers"]
    assert rows(shop, "dev_warehouse.duckdb", "SELECT count(*) FROM dev.customers") == [
        (customers,)
    ]
    with duckdb.connect(str(shop / WAREHOUSE / "dev_warehouse.duckdb")) as connection:
        # a dbt view model as dbt-duckdb writes it, catalog-qualified, and one that is not
        connection.execute(
            "CREATE VIEW dev_warehouse.feature.big AS"
            " SELECT * FROM dev_warehouse.feature.orders WHERE amount > 50"
        )
        connection.execute("CREATE VIEW dev.mine AS SELECT * FROM dev.customers")
        assert connection.execute("SELECT count(*) FROM dev.mine").fetchone() == (customers,)
        assert connection.execute("SELECT count(*) FROM feature.big").fetchone()[0] > 0
    assert rows(shop, "production_warehouse.duckdb", "SELECT count(*) FROM production.orders")


def old_layout(shop: Path) -> None:
    """The project as `kitchen init` left it until this release."""
    for environment in ("dev", "production"):
        (shop / WAREHOUSE / f"{environment}_warehouse.duckdb").rename(
            shop / WAREHOUSE / f"{environment}.duckdb"
        )
        edit_config(
            shop,
            f"path: .kitchen/warehouse/{environment}_warehouse.duckdb",
            f"path: .kitchen/warehouse/{environment}.duckdb",
        )


def test_a_project_of_the_old_layout_moves_on_its_next_command(cli: Cli, shop: Path) -> None:
    assert cli("create", "feature", "--sample", "10%", "--no-checkout").code == 0
    old_layout(shop)
    before = rows(shop, "dev.duckdb", "SELECT count(*) FROM dev.feature.orders")
    listed = cli("list")
    assert listed.code == 0, listed.err
    assert "Moved the dev warehouse from .kitchen/warehouse/dev.duckdb to" in listed.err
    assert "production_warehouse.duckdb (commit it)" in listed.err
    assert not (shop / WAREHOUSE / "dev.duckdb").exists()
    config = (shop / "kitchen.yaml").read_text()
    assert "path: .kitchen/warehouse/dev_warehouse.duckdb" in config
    assert rows(shop, "dev_warehouse.duckdb", "SELECT count(*) FROM feature.orders") == before
    assert cli("show", "feature").code == 0
    again = cli("list")
    assert again.code == 0 and "Moved" not in again.err and "kitchen.yaml" not in again.err


def test_a_branch_still_naming_the_old_file_is_pointed_at_the_moved_one(
    cli: Cli, shop: Path
) -> None:
    """Another branch's kitchen.yaml names the old file after a command on this one moved
    it: the next command there points it at the new file, and moves nothing."""
    edit_config(
        shop, "path: .kitchen/warehouse/dev_warehouse.duckdb", "path: .kitchen/warehouse/dev.duckdb"
    )
    listed = cli("list", "--json")
    assert listed.code == 0, listed.err
    assert "Moved" not in listed.err and "warehouse.path is now" in listed.err
    assert "path: .kitchen/warehouse/dev_warehouse.duckdb" in (shop / "kitchen.yaml").read_text()
    assert {k["name"] for k in listed.json()["kitchens"]} >= {"dev", "production"}


def test_both_files_present_is_a_conflict_the_user_settles(cli: Cli, shop: Path) -> None:
    old_layout(shop)
    (shop / WAREHOUSE / "dev_warehouse.duckdb").write_bytes(b"")
    result = cli("list")
    assert result.code == 2
    assert "both .kitchen/warehouse/dev.duckdb (the old layout) and" in result.err
    assert (shop / WAREHOUSE / "dev.duckdb").stat().st_size > 0  # nothing moved or lost


def test_a_kitchen_may_not_take_the_name_of_its_warehouse_file(cli: Cli, shop: Path) -> None:
    result = cli("create", "dev_warehouse", "--no-checkout")
    assert result.code == 2
    assert "would have the name of the file's catalog" in result.err
    assert cli("show", "dev_warehouse").code == 2  # nothing left behind
