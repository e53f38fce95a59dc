"""kitchen data scan and the PII gate on copies out of a sensitive environment."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.conftest import Cli, edit_config, snapshot

DEMO_PII = {
    ("customers", "full_name"): "person name",
    ("customers", "email"): "email",
    ("customers", "phone"): "phone",
    ("customers", "birth_date"): "birth date",
    ("customers", "street_address"): "street address",
}


def add_ssn_column(shop: Path) -> None:
    connection = duckdb.connect(str(shop / ".kitchen/warehouse/production.duckdb"))
    table = "production.production.customers"  # catalog.schema.table: both are 'production'
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


def test_a_rule_clears_the_gate(cli: Cli, shop: Path) -> None:
    add_ssn_column(shop)
    edit_config(
        shop, "customers.phone: phone", "customers.phone: phone\n      customers.ssn: redact"
    )
    assert cli("create", "hotfix", "--parent", "production").code == 0
    data = cli("show", "hotfix", "--json").json()["data"]
    assert data["rules"] == 6 and data["problems"] == []
