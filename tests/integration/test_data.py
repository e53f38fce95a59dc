"""kitchen data scan and the PII gate on copies out of a sensitive environment."""

from __future__ import annotations

from pathlib import Path

import duckdb

from kitchen.backends.warehouse.postgres import PostgresWarehouse
from kitchen.data import pii
from tests.conftest import Cli, WarehouseFactory, edit_config, snapshot

DEMO_PII = {
    ("customers", "full_name"): "person name",
    ("customers", "email"): "email",
    ("customers", "phone"): "phone",
    ("customers", "birth_date"): "birth date",
    ("customers", "street_address"): "street address",
}


def add_ssn_column(shop: Path) -> None:
    connection = duckdb.connect(str(shop / ".kitchen/warehouse/production_warehouse.duckdb"))
    table = "production.customers"
    connection.execute(f"ALTER TABLE {table} ADD COLUMN ssn TEXT")
    connection.execute(
        f"UPDATE {table} SET ssn = printf('%03d-%02d-%04d', 100 + customer_id % 500,"
        " 10 + customer_id % 80, 1000 + customer_id)"
    )
    connection.close()


def test_scan_finds_the_demo_pii_and_the_rules_masking_it(cli: Cli) -> None:
    result = cli("data", "scan", "production", "--json")
    assert result.code == 0, result.err
    findings = result.json()["findings"]
    assert {(f["table"], f["column"]): f["kind"] for f in findings} == DEMO_PII
    assert all(f["rule"] is not None for f in findings)
    assert "@" not in result.out  # evidence is counts, never values


def test_scan_looks_past_first_rows_that_leave_a_column_empty(cli: Cli, shop: Path) -> None:
    """A column added to a table later holds values only in its newer rows; judged by its
    first 200 rows, all null, an email column that is not named like one passed as clean."""
    production = duckdb.connect(str(shop / ".kitchen/warehouse/production_warehouse.duckdb"))
    table = "production.customers"
    production.execute(f"ALTER TABLE {table} ADD COLUMN contact TEXT")
    production.execute(
        f"UPDATE {table} SET contact = 'c' || customer_id || '@corp.example'"
        " WHERE customer_id > (SELECT max(customer_id) - 300 FROM production.customers)"
    )
    production.close()
    findings = cli("data", "scan", "production", "--json").json()["findings"]
    assert {"column": "contact", "kind": "email", "suggested_rule": "email"}.items() <= next(
        f for f in findings if f["column"] == "contact"
    ).items()


def test_scan_defaults_to_the_checked_out_kitchen(cli: Cli) -> None:
    assert cli("data", "scan", "--json").json()["kitchen"] == "dev"
    assert "customers.email" in cli("data", "scan").out


def test_pii_without_a_rule_stops_a_copy_out_of_a_sensitive_environment(
    cli: Cli, shop: Path
) -> None:
    add_ssn_column(shop)
    before = snapshot(shop)
    result = cli("create", "hotfix", "--parent", "production")
    assert result.code == 3
    assert "customers.ssn (national id): suggested rule redact" in result.err
    assert "data.unmasked_pii: warn" in result.err
    assert snapshot(shop) == before
    scan = cli("data", "scan", "production", "--json").json()["findings"]
    assert {"column": "ssn", "rule": None}.items() <= next(
        f for f in scan if f["column"] == "ssn"
    ).items()


def test_unmasked_pii_warn_lets_the_copy_through_with_a_warning(cli: Cli, shop: Path) -> None:
    add_ssn_column(shop)
    edit_config(shop, "unmasked_pii: fail", "unmasked_pii: warn")
    result = cli("create", "hotfix", "--parent", "production")
    assert result.code == 0, result.err
    assert "warning: Copying columns that look like PII without a masking rule" in result.err


def test_a_copy_out_of_production_that_no_rule_matched_says_so(cli: Cli, shop: Path) -> None:
    """It was described as 'masked upstream', as if production's data were masked."""
    edit_config(shop, "unmasked_pii: fail", "unmasked_pii: warn")
    for rule in ("full_name: name", "email: email", "phone: phone", "birth_date: {shift: 180}"):
        edit_config(shop, f"      customers.{rule}\n", "")
    edit_config(shop, "    rules:\n      customers.street_address: redact", "    rules: {}")
    assert cli("data", "refresh", "dev").code == 0
    shown = " ".join(cli("show", "dev").out.split())
    assert "copy of production (3 tables" in shown and "no masking rule matched" in shown
    assert "masked upstream" not in shown
    # a copy of that copy inside dev is described by where its masking happened
    assert cli("create", "feature").code == 0
    assert "copy of dev, masked upstream" in " ".join(cli("show", "feature").out.split())


def test_a_key_masked_differently_on_each_side_is_named(cli: Cli, shop: Path) -> None:
    """Masked keys join only where both sides share a rule: orders' customer_email hashed
    while customers.email became an email joined nothing, and nothing said so."""
    production = duckdb.connect(str(shop / ".kitchen/warehouse/production_warehouse.duckdb"))
    production.execute("ALTER TABLE production.orders ADD COLUMN customer_email TEXT")
    production.execute(
        "UPDATE production.orders AS o SET customer_email = c.email"
        " FROM production.customers AS c WHERE c.customer_id = o.customer_id"
    )
    production.close()
    edit_config(shop, "email: email", "email: email\n      orders.customer_email: hash")
    edit_config(
        shop,
        "unmasked_pii: fail",
        "unmasked_pii: fail\n  sample:\n"
        "    foreign_keys: [orders.customer_email -> customers.email]",
    )

    def joined() -> int:
        dev = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"), read_only=True)
        query = "SELECT count(*) FROM dev.orders JOIN dev.customers ON customer_email = email"
        try:
            return int(dev.execute(query).fetchone()[0])  # type: ignore[index]
        finally:
            dev.close()

    refreshed = cli("data", "refresh", "dev")
    assert refreshed.code == 0, refreshed.err
    warning = " ".join(refreshed.err.split())
    assert "orders.customer_email (hash) -> customers.email (email)" in warning
    assert joined() == 0
    edit_config(shop, "orders.customer_email: hash", "orders.customer_email: email")
    refreshed = cli("data", "refresh", "dev")
    assert refreshed.code == 0 and "masked differently" not in refreshed.err
    assert joined() == 4000


def test_a_rule_clears_the_gate(cli: Cli, shop: Path) -> None:
    """With an option given as a mapping, which crashed the copy's record (TypeError)."""
    add_ssn_column(shop)
    edit_config(
        shop,
        "customers.phone: phone",
        "customers.phone: phone\n      customers.ssn: {partial: {last: 4}}",
    )
    assert cli("create", "hotfix", "--parent", "production").code == 0
    data = cli("show", "hotfix", "--json").json()["data"]
    assert data["rules"] == 6 and data["problems"] == []


def test_scan_looks_inside_arrays_json_structs_and_addresses(
    open_warehouse: WarehouseFactory,
) -> None:
    """PII held in a jsonb or JSON object, an array, a struct or composite (and arrays of
    them) or an inet column is found, and the suggested rule is one those types take
    (null), not email."""
    warehouse = open_warehouse("production")
    warehouse.create_schema("s")
    if isinstance(warehouse, PostgresWarehouse):
        warehouse.run_script(
            "s",
            "CREATE TYPE contact AS (who TEXT, mail TEXT);"
            "CREATE TABLE events (id INTEGER, seen TIMESTAMPTZ, contacts TEXT[], profile JSONB,"
            " peer INET, tags TEXT[], owner contact, owners contact[]);"
            "INSERT INTO events SELECT i, now(), ARRAY['a' || i || '@corp.example'],"
            " jsonb_build_object('plan', 'gold', 'email', 'u' || i || '@corp.example'),"
            " ('10.0.0.' || i)::inet, ARRAY['vip'],"
            " ROW('Ann', 'o' || i || '@corp.example')::contact,"
            " ARRAY[ROW('Bo', 'p' || i || '@corp.example')::contact]"
            " FROM generate_series(1, 50) AS g(i);",
        )
    else:
        warehouse.run_script(
            "s",
            "CREATE TABLE events (id INTEGER, seen TIMESTAMPTZ, contacts VARCHAR[], profile JSON,"
            " peer STRUCT(host VARCHAR, ip VARCHAR), tags VARCHAR[],"
            " owner STRUCT(who VARCHAR, mail VARCHAR), owners STRUCT(who VARCHAR, mail VARCHAR)[]);"
            "INSERT INTO events SELECT i, now(), ['a' || i || '@corp.example'],"
            " json_object('plan', 'gold', 'email', 'u' || i || '@corp.example'),"
            " {'host': 'h' || i, 'ip': '10.0.0.' || i}, ['vip'],"
            " {'who': 'Ann', 'mail': 'o' || i || '@corp.example'},"
            " [{'who': 'Bo', 'mail': 'p' || i || '@corp.example'}] FROM range(1, 51) AS t(i);",
        )
    found = {f.column: (f.kind, f.suggested_rule) for f in pii.scan(warehouse, "s")}
    assert found == {
        "contacts": ("email", "null"),
        "profile": ("email", "null"),
        "peer": ("ip address", "null"),
        "owner": ("email", "null"),
        "owners": ("email", "null"),
    }


def test_an_excluded_table_is_not_copied_nor_gated_and_settings_naming_it_stand(
    cli: Cli, shop: Path
) -> None:
    """Rules and sample sizes for a table that data.exclude leaves out are no typo: they
    were refused as naming 'no table customers'."""
    add_ssn_column(shop)  # PII without a rule: the gate would stop a copy of customers
    edit_config(
        shop,
        "unmasked_pii: fail",
        "unmasked_pii: fail\n  exclude: [cust*]\n  sample: {tables: {customers: 5, orders: 9}}",
    )
    result = cli("data", "refresh", "dev")
    assert result.code == 0, result.err
    shown = cli("show", "dev", "--json").json()
    assert "customers" not in {table["name"] for table in shown["tables"]}
    assert shown["data"]["rules"] == 0 and "orders: 9 rows" in shown["data"]["sample"]
    assert "customers" not in shown["data"]["sample"]
