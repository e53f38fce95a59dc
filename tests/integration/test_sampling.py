"""Deterministic, FK-consistent samples: no orphans, parents kept, cycles broken or refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from kitchen import config
from kitchen.backends.warehouse.base import Column, Reference, TableSpec, Warehouse
from kitchen.backends.warehouse.postgres import PostgresWarehouse
from kitchen.backends.warehouse.rows import TablePlan
from kitchen.backends.warehouse.rowsql import compile_plan
from kitchen.data import projection, sampling
from kitchen.errors import ConfigError
from tests.conftest import Cli, WarehouseFactory, copy_args, edit_config


def query(shop: Path, sql: str) -> list[tuple]:
    connection = duckdb.connect(
        str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"), read_only=True
    )
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def orphans(shop: Path, schema: str) -> int:
    return query(
        shop,
        f"SELECT count(*) FROM {schema}.orders o WHERE o.customer_id NOT IN"
        f" (SELECT customer_id FROM {schema}.customers)"
        f" OR o.product_id NOT IN (SELECT product_id FROM {schema}.products)",
    )[0][0]


def order_ids(shop: Path, schema: str) -> set[int]:
    return {row[0] for row in query(shop, f"SELECT order_id FROM {schema}.orders")}


def test_sample_keeps_parents_of_kept_rows_and_leaves_no_orphans(cli: Cli, shop: Path) -> None:
    result = cli("create", "small", "--sample", "10%", "--json")
    assert result.code == 0, result.err
    assert "10% of each table" in result.json()["data"]["sample"]
    ids = order_ids(shop, "small")
    assert 300 < len(ids) < 500  # about 10% of 4,000
    assert orphans(shop, "small") == 0


def test_same_seed_same_rows_other_seed_other_rows(cli: Cli, shop: Path) -> None:
    assert cli("create", "one", "--sample", "10%", "--no-checkout").code == 0
    assert cli("create", "two", "--sample", "10%", "--no-checkout").code == 0
    assert order_ids(shop, "one") == order_ids(shop, "two")
    edit_config(shop, "  unmasked_pii: fail", "  sample: {seed: 7}\n  unmasked_pii: fail")
    assert cli("create", "three", "--sample", "10%", "--no-checkout").code == 0
    assert order_ids(shop, "three") != order_ids(shop, "one")


def test_a_sample_of_a_sample_samples_again(cli: Cli, shop: Path) -> None:
    """10% of a 10% kitchen held every row of its parent: both drew with the same seed."""
    assert cli("create", "tenth", "--sample", "10%", "--no-checkout").code == 0
    assert cli("create", "hundredth", "--parent", "tenth", "--sample", "10%").code == 0
    assert cli("create", "again", "--parent", "tenth", "--sample", "10%").code == 0
    tenth, hundredth = order_ids(shop, "tenth"), order_ids(shop, "hundredth")
    assert 300 < len(tenth) < 500 and 0 < len(hundredth) < 100  # about 1% of 4,000
    assert hundredth < tenth and orphans(shop, "hundredth") == 0
    assert order_ids(shop, "again") == hundredth  # deterministic
    whole = cli("create", "copy", "--parent", "tenth", "--sample", "all", "--no-checkout")
    assert whole.code == 0 and order_ids(shop, "copy") == tenth
    assert cli("show", "hundredth", "--json").json()["data"]["samplings"] == 2
    assert cli("show", "copy", "--json").json()["data"]["samplings"] == 1  # tenth's rows


def test_rows_stay_in_the_sample_when_their_other_columns_change(cli: Cli, shop: Path) -> None:
    """The sample hashes the primary key (recorded for dev, whose copy has no constraints)."""
    assert cli("create", "before", "--sample", "10%", "--no-checkout").code == 0
    connection = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    try:
        connection.execute("UPDATE dev.orders SET quantity = quantity + 1, amount = amount * 2")
    finally:
        connection.close()
    assert cli("create", "after", "--sample", "10%", "--no-checkout").code == 0
    assert order_ids(shop, "after") == order_ids(shop, "before")
    assert orphans(shop, "after") == 0


def test_configured_sample_applies_where_data_leaves_its_environment(cli: Cli, shop: Path) -> None:
    edit_config(
        shop,
        "  unmasked_pii: fail",
        "  sample: {default: '20%', tables: {orders: 300}}\n  unmasked_pii: fail",
    )
    result = cli("data", "refresh", "dev", "--json")  # production -> dev: masked and sampled
    assert result.code == 0, result.err
    assert len(order_ids(shop, "dev")) == 300
    assert orphans(shop, "dev") == 0
    assert result.json()["data"]["verified_at"]
    # inside dev (not sensitive) the copy is whole unless asked otherwise
    assert cli("create", "whole").code == 0
    assert order_ids(shop, "whole") == order_ids(shop, "dev")


def test_a_refresh_keeps_the_sample_the_kitchen_was_made_with(cli: Cli, shop: Path) -> None:
    assert cli("create", "small", "--sample", "10%", "--no-checkout").code == 0
    sampled = order_ids(shop, "small")
    assert cli("data", "refresh", "small").code == 0
    assert order_ids(shop, "small") == sampled
    assert cli("update", "small", "--refresh-data").code == 0
    assert order_ids(shop, "small") == sampled
    result = cli("data", "refresh", "small", "--sample", "all", "--json")
    assert result.code == 0, result.err
    assert order_ids(shop, "small") == order_ids(shop, "dev")
    assert result.json()["data"]["sample"] is None  # every row
    assert cli("data", "refresh", "small").code == 0  # and the whole copy stays whole
    assert order_ids(shop, "small") == order_ids(shop, "dev")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("{default: 'ten percent'}", "data.sample.default: expected a percent"),
        ("{tables: {orders: '150%'}}", "data.sample.tables.orders: expected a percent"),
        ("{tables: {invoices: 10}}", "data.sample.tables.invoices: there is no table"),
        ("{foreign_keys: ['orders -> customers']}", "data.sample.foreign_keys[0]"),
        (  # they were left out silently, or failed in the warehouse's words
            "{foreign_keys: ['orders.customer_id -> custmers.customer_id', "
            "'orders.cust -> customers.customer_id']}",
            "data.sample.foreign_keys[0]: there is no table 'custmers'. Did you mean "
            "'customers'?\ndata.sample.foreign_keys[1]: orders has no column 'cust'.",
        ),
    ],
)
def test_bad_sample_settings_are_exit_2(cli: Cli, shop: Path, setting: str, message: str) -> None:
    edit_config(shop, "  unmasked_pii: fail", f"  sample: {setting}\n  unmasked_pii: fail")
    result = cli("create", "x", "--sample", "10%")
    assert result.code == 2 and message in result.err


def test_a_declared_reference_to_an_excluded_table_is_no_error(cli: Cli, shop: Path) -> None:
    edit_config(
        shop,
        "  unmasked_pii: fail",
        "  sample: {foreign_keys: ['notes.order_id -> orders.order_id']}\n"
        "  exclude: [notes]\n  unmasked_pii: fail",
    )
    assert cli("create", "x", "--sample", "10%").code == 0


# the self-reference is passed to the planner as it would come from the catalogue (DuckDB
# checks a foreign key row by row within one INSERT, so the fixture declares none)
STAFF = TableSpec(
    "staff",
    (Column("id", "INTEGER"), Column("boss", "INTEGER"), Column("team", "INTEGER")),
    primary_key="id",
)
BOSS = Reference("staff", ("boss",), "staff", ("id",), nullable=True)


def test_a_self_reference_is_broken_on_its_nullable_key(open_warehouse: WarehouseFactory) -> None:
    warehouse = open_warehouse("dev")
    warehouse.create_schema("src")
    warehouse.create_table("src", STAFF)
    rows = [(i, None if i == 1 else (i - 1) // 2 + 1, i % 3) for i in range(1, 201)]
    warehouse.insert_rows("src", "staff", ["id", "boss", "team"], rows)
    plans = sampling.plan(config.Sample(default="30%"), {"staff": ["id", "boss", "team"]}, [BOSS])
    copy(warehouse, plans)
    kept = {ident: boss for ident, boss, _ in warehouse.preview("dst", "staff", 1000)[1]}
    assert 30 < len(kept) < 100
    assert all(boss is None or boss in kept for boss in kept.values())  # no dangling boss
    assert any(boss is None for ident, boss in kept.items() if ident != 1)  # some were cut


def kept_ids(warehouse: Warehouse, spec: str | int, seed: int, schema: str) -> set[int]:
    plans = sampling.plan(
        config.Sample(default=spec, seed=seed), {"staff": ["id", "boss", "team"]}, []
    )
    copy(warehouse, plans, schema)
    return {row[0] for row in warehouse.preview(schema, "staff", 5000)[1]}


def check_sizes_and_seeds(warehouse: Warehouse) -> None:
    warehouse.create_schema("src")
    warehouse.create_table("src", STAFF)
    rows = [(i, None, i % 3) for i in range(1, 2001)]
    warehouse.insert_rows("src", "staff", ["id", "boss", "team"], rows)
    tenth = kept_ids(warehouse, "10%", 0, "a")
    assert 140 < len(tenth) < 260
    assert kept_ids(warehouse, "10%", 0, "b") == tenth
    assert kept_ids(warehouse, "10%", 1, "c") != tenth
    first = kept_ids(warehouse, 150, 0, "d")
    assert len(first) == 150 and kept_ids(warehouse, 150, 0, "e") == first


def test_samples_are_sized_and_the_same_for_the_same_seed(
    open_warehouse: WarehouseFactory,
) -> None:
    check_sizes_and_seeds(open_warehouse("dev"))


def test_a_server_without_a_fast_hash_samples_by_md5(
    postgres_database: Callable[[str], str],
) -> None:
    settings = config.PostgresWarehouse(type="postgres", dsn=postgres_database("redshift"))
    warehouse = PostgresWarehouse(settings, "dev")
    warehouse._fast_hash = False  # as on Redshift, which has no hashtextextended
    plans = sampling.plan(config.Sample(default="10%"), {"staff": ["id"]}, [])
    [where] = compile_plan(warehouse, plans["staff"]).where
    rendered = where.render(lambda name: f'"{name}"', "%s")
    assert "md5(" in rendered and "hashtextextended" not in rendered
    check_sizes_and_seeds(warehouse)
    warehouse.close()


def copy(warehouse: Warehouse, plans: dict[str, TablePlan], schema: str = "dst") -> None:
    from kitchen.data import masking

    warehouse.create_schema(schema)
    for table, plan in plans.items():
        columns = masking.plan([], table, warehouse.column_types("src", table))
        compiled = compile_plan(warehouse, plan)
        projected = projection.select_list(warehouse, columns, compiled.nulled)
        warehouse.copy_table(
            warehouse, "src", table, schema, where=compiled.where, **copy_args(projected)
        )


def test_a_cycle_without_a_nullable_key_is_refused_with_a_way_out() -> None:
    references = [
        Reference("a", ("b_id",), "b", ("id",), nullable=False),
        Reference("b", ("a_id",), "a", ("id",), nullable=False),
    ]
    tables = {"a": ["id", "b_id"], "b": ["id", "a_id"]}
    with pytest.raises(ConfigError) as caught:
        sampling.plan(config.Sample(default="10%"), tables, references)
    assert "cycle a -> b -> a" in caught.value.message
    assert caught.value.hint and "a: all" in caught.value.hint
    # copied whole, the same cycle is no problem
    whole = config.Sample(default="10%", tables={"a": "all", "b": "all"})
    assert all(not p.keep for p in sampling.plan(whole, tables, references).values())


PARENT = TableSpec("parent", (Column("id", "INTEGER"),), primary_key="id")


@pytest.mark.parametrize("spec", ["10%", 20, 0])
def test_a_parent_keeps_its_own_sample_and_what_each_child_references_once(
    open_warehouse: WarehouseFactory, spec: str | int
) -> None:
    warehouse = open_warehouse("dev")
    warehouse.create_schema("src")
    warehouse.create_table("src", PARENT)
    warehouse.insert_rows("src", "parent", ["id"], [(i,) for i in range(1, 301)])
    references = []  # a and b reference the parent; c, a grandchild, references a
    for child, parent, step in (("a", "parent", 7), ("b", "parent", 13), ("c", "a", 11)):
        columns = (Column("id", "INTEGER"), Column("parent_id", "INTEGER"))
        warehouse.create_table("src", TableSpec(child, columns, primary_key="id"))
        rows = [(i, i * step % 300 + 1) for i in range(1, 301)]
        warehouse.insert_rows("src", child, ["id", "parent_id"], rows)
        references.append(Reference(child, ("parent_id",), parent, ("id",), nullable=False))
    tables = {"parent": ["id"]} | {child: ["id", "parent_id"] for child in "abc"}
    sample = config.Sample(default="10%", tables={"parent": spec})
    copy(warehouse, sampling.plan(sample, tables, references))
    copy(warehouse, sampling.plan(sample, {"parent": ["id"]}, []), "own")

    def column(schema: str, table: str, index: int = 0) -> list[int]:
        return [row[index] for row in warehouse.preview(schema, table, 1000)[1]]

    parents, own = column("dst", "parent"), set(column("own", "parent"))
    referenced = set(column("dst", "a", 1)) | set(column("dst", "b", 1))
    assert len(parents) == len(set(parents))  # a row both sampled and referenced, once
    assert set(parents) == own | referenced
    assert referenced - own and (own - referenced or spec == 0)  # both ways were used
    assert set(column("dst", "c", 1)) <= set(column("dst", "a"))
