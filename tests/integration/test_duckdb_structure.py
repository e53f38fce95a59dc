"""On the embedded default too, a kitchen's schema is its parent's: a DuckDB rental shop with
every object kind DuckDB has (tests/fixtures/rental_shop.duckdb.sql), checked against DuckDB's
own account of both schemas, read by a separate connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import Cli, edit_config

FIXTURE = Path(__file__).parent.parent / "fixtures" / "rental_shop.duckdb.sql"
WAREHOUSE = Path(".kitchen") / "warehouse"
SELF_KEY = ", FOREIGN KEY (boss) REFERENCES {}.staff(staff_id)"


def load(shop: Path, environment: str, schema: str) -> None:
    with duckdb.connect(str(shop / WAREHOUSE / f"{environment}_warehouse.duckdb")) as connection:
        connection.execute(FIXTURE.read_text().replace("{schema}", schema))


def query(shop: Path, environment: str, text: str, *params: object) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(shop / WAREHOUSE / f"{environment}_warehouse.duckdb")) as connection:
        return connection.execute(text, list(params)).fetchall()


def catalogue(shop: Path, environment: str, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """What DuckDB says the schema holds, as DuckDB writes it."""
    asked = {
        "tables": "SELECT table_name, sql, comment FROM duckdb_tables()",
        "columns": "SELECT table_name, column_name, data_type, column_default, is_nullable,"
        " is_generated, comment FROM duckdb_columns()",
        "constraints": "SELECT table_name, constraint_type, constraint_text FROM"
        " duckdb_constraints()",
        "indexes": "SELECT index_name, sql, comment FROM duckdb_indexes()",
        "sequences": "SELECT sequence_name, sql, comment FROM duckdb_sequences()",
        "types": "SELECT type_name, logical_type, labels FROM duckdb_types()",
        "views": "SELECT view_name, sql, comment FROM duckdb_views()",
        "macros": "SELECT function_name, function_type, parameters, macro_definition, comment"
        " FROM duckdb_functions() WHERE function_type LIKE '%macro' AND",
    }
    return {
        kind: sorted(
            query(
                shop,
                environment,
                f"{text} {'' if text.endswith('AND') else 'WHERE'} schema_name = ?",
                schema,
            ),
            key=repr,
        )
        for kind, text in asked.items()
    }


def renamed(found: Any, old: str, new: str) -> Any:
    """``found`` with every ``old.`` in its texts written ``new.``."""
    if isinstance(found, str):
        return found.replace(f"{old}.", f"{new}.")
    if isinstance(found, dict):
        return {key: renamed(value, old, new) for key, value in found.items()}
    if isinstance(found, list | tuple):
        return type(found)(renamed(item, old, new) for item in found)
    return found


@pytest.fixture
def rental_shop(cli: Cli, shop: Path) -> Cli:
    """The shop's dev holds the rental shop too, whose sequences have moved on."""
    load(shop, "dev", "dev")
    query(shop, "dev", "SELECT nextval('dev.customer_ids') FROM range(3)")
    return cli


def test_a_kitchen_is_its_parents_schema_on_duckdb(rental_shop: Cli, shop: Path) -> None:
    result = rental_shop("create", "feature")
    assert result.code == 0, result.err
    assert "the foreign key of staff to itself (DuckDB checks it as each row arrives)" in (
        result.err
    )
    expected = renamed(catalogue(shop, "dev", "dev"), "dev", "feature")
    # the one difference, said above
    expected["tables"] = [
        (name, text.replace(SELF_KEY.format("feature"), ""), comment)
        for name, text, comment in expected["tables"]
    ]
    expected["constraints"].remove(
        ("staff", "FOREIGN KEY", "FOREIGN KEY (boss) REFERENCES feature.staff(staff_id)")
    )
    assert catalogue(shop, "dev", "feature") == expected
    for table in ("store", "customer", "film", "staff", "rental"):
        assert query(shop, "dev", f"SELECT * FROM feature.{table} ORDER BY ALL") == query(
            shop, "dev", f"SELECT * FROM dev.{table} ORDER BY ALL"
        )


def test_a_duckdb_kitchens_objects_work_on_its_own_rows(rental_shop: Cli, shop: Path) -> None:
    assert rental_shop("create", "feature").code == 0
    parents_next = query(shop, "dev", "SELECT nextval('dev.customer_ids')")[0][0]
    statements = [
        "INSERT INTO feature.customer (store_id, email, first_name, last_name)"
        " VALUES (1, 'new@mail.example', 'New', 'One')",
        "INSERT INTO feature.rental (customer_id, film_id, rented)"
        " VALUES (100, 2, DATE '2026-04-01')",
    ]
    for statement in statements:
        query(shop, "dev", statement)
    assert query(
        shop,
        "dev",
        "SELECT customer_id, full_name, mood, active FROM feature.customer WHERE email = ?",
        "new@mail.example",
    ) == [(parents_next, "New One", "ok", True)]  # the sequence stood where the parent's did
    assert query(shop, "dev", "SELECT max(rental_id) FROM feature.rental") == [(11,)]
    refused = {
        "a key twice": "INSERT INTO feature.film VALUES (1, 'Again', 1.0, [])",
        "a unique value twice": "INSERT INTO feature.customer (store_id, email, first_name,"
        " last_name) VALUES (1, 'ana.silva@mail.example', 'A', 'S')",
        "a missing parent": "INSERT INTO feature.rental (customer_id, film_id, rented)"
        " VALUES (999, 1, DATE '2026-01-01')",
        "a NULL": "INSERT INTO feature.film VALUES (9, NULL, 1.0, [])",
        "a failed check": "INSERT INTO feature.film VALUES (9, 'Cheap', -1, [])",
        "a label the enum lacks": "UPDATE feature.customer SET mood = 'angry'",
    }
    for what, statement in refused.items():
        with pytest.raises((duckdb.ConstraintException, duckdb.ConversionException)):
            query(shop, "dev", statement)
            pytest.fail(f"{what} was let in")
    # views and macros read the kitchen's rows, not the parent's
    assert query(shop, "dev", "SELECT count(*) FROM feature.customer_list") == [(5,)]
    assert query(shop, "dev", "SELECT count(*) FROM dev.customer_list") == [(4,)]
    assert query(shop, "dev", "SELECT count(*) FROM feature.rentals_of(100)") == [(4,)]
    assert query(
        shop,
        "dev",
        "SELECT rental_id FROM feature.regulars JOIN feature.rental"
        " USING (customer_id) WHERE rented = DATE '2026-04-01'",
    ) == [(11,)]
    assert query(shop, "dev", "SELECT feature.days_out(DATE '2026-01-01', DATE '2026-01-03')") == [
        (2,)
    ]


def test_a_masked_sample_from_another_file_swaps_in_with_its_structure(
    rental_shop: Cli, shop: Path
) -> None:
    """Across DuckDB files, masked, sampled: every key holds, the parent's objects come along
    and the kitchen's own view, built on the old tables, reads the new ones."""
    load(shop, "production", "production")
    edit_config(
        shop,
        "      customers.street_address: redact\n",
        "      customers.street_address: redact\n      customer.email: email\n"
        "      customer.first_name: name\n      customer.last_name: name\n"
        "      customer.full_name: keep\n"  # generated: computed from the masked names
        "      staff.username: {sql: \"'user_' || left(md5({column}), 6)\"}\n",
    )
    assert rental_shop("create", "feature").code == 0
    query(shop, "dev", "CREATE VIEW feature.my_view AS SELECT count(*) AS n FROM rental")
    schemas = query(shop, "dev", "SELECT schema_name FROM duckdb_schemas() ORDER BY 1")
    result = rental_shop("data", "refresh", "feature", "--from", "production", "--sample", "50%")
    assert result.code == 0, result.err
    constraints = "SELECT count(*) FROM duckdb_constraints() WHERE schema_name = ?"
    production = query(shop, "production", constraints, "production")[0][0]
    assert query(shop, "dev", constraints, "feature") == [(production - 1,)]  # not the self key
    assert query(shop, "dev", "SELECT n FROM feature.my_view") == query(
        shop, "dev", "SELECT count(*) FROM feature.rental"
    )
    emails = "SELECT email FROM {}.customer"
    kept = set(query(shop, "dev", emails.format("feature")))
    assert kept and not kept & set(query(shop, "production", emails.format("production")))
    assert query(shop, "dev", "SELECT count(*) FROM feature.late_rentals") == query(
        shop,
        "dev",
        "SELECT count(*) FROM feature.rental WHERE coalesce(returned, DATE '2026-12-31')"
        " - rented > 7",
    )
    assert query(shop, "dev", "SELECT schema_name FROM duckdb_schemas() ORDER BY 1") == schemas
