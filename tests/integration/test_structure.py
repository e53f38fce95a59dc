"""A kitchen's schema is its parent's: a rental shop with every object kind a team has
(tests/fixtures/rental_shop.sql), copied across databases (production -> dev, masked) and
within one (dev -> a feature kitchen, sampled), checked against pg_dump's own account."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict

from kitchen import config
from kitchen.backends.warehouse.base import Reference
from kitchen.backends.warehouse.duckdb import DuckDBWarehouse
from kitchen.backends.warehouse.postgres import PostgresWarehouse, login_name
from kitchen.backends.warehouse.sql import sql
from kitchen.data import masking
from kitchen.workflows import datacopy, samplecopy
from kitchen.workflows.datacopy import DataCheckFailed
from tests.conftest import CONFIG_DEV, LOGINS, Cli, edit_config
from tests.integration.test_kitchen_roles import as_login
from tests.integration.test_postgres import production_dsn
from tests.servers import PostgresServer

FIXTURE = Path(__file__).parent.parent / "fixtures" / "rental_shop.sql"
RULES = "rules: {customers.email: email, customers.full_name: name, customers.phone: phone}"
SHOP_RULES = (
    "rules: {customer.email: email, customer.first_name: name, customer.last_name: name,"
    " staff.email: email, staff.first_name: name, staff.last_name: name,"
    " staff.username: {sql: \"'user_' || left(md5({column}), 8)\"}, staff.password: redact,"
    " staff.picture: null, address.address: {sql: \"length({column}) || ' Some Street'\"},"
    " address.phone: phone, address.postal_code: keep}"
)


def load_shop(dsn: str, schema: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        connection.execute(f'SET search_path TO "{schema}"')
        connection.execute(FIXTURE.read_text())


def schema_dump(server: PostgresServer, database: str, schema: str) -> str:
    """pg_dump --schema-only of one schema, without what must differ between two copies:
    owners, grants, the schema's name, and the session settings pg_dump writes first."""
    dumped = subprocess.run(
        [
            str(server.binaries / "pg_dump"),
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-n",
            schema,
            server.dsn(database),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    named = dumped.replace(f"{schema}.", "SCHEMA.").replace(f"'{schema}'", "'SCHEMA'")
    lines = [
        line
        for line in named.splitlines()
        if line.strip()
        and not line.startswith(("--", "\\", "SET ", "SELECT pg_catalog.set_config"))
        and "CREATE SCHEMA" not in line
    ]
    return "\n".join(lines)


def statements(dump: str) -> list[str]:
    """The dump's statements, each once, in a stable order (pg_dump orders by dependency,
    then oid, which two copies share only where they were built in the same order)."""
    return sorted(part.strip() for part in dump.split(";\n") if part.strip())


def login_of(dev_database: str) -> str:
    """The project's login (tests/conftest.py pg_project)."""
    return next(
        user for project, (user, _) in LOGINS.items() if CONFIG_DEV[project] == dev_database
    )


@pytest.fixture
def shop(pg_project: Path, postgres: PostgresServer) -> Path:
    """production holds the rental shop before kitchen is set up, made by its team (the
    superuser here); kitchen's login, no superuser, may read it, as a team's DBA would let
    it, and keeps its registry there."""
    edit_config(pg_project, RULES, SHOP_RULES)
    production = production_dsn(pg_project)
    database = conninfo_to_dict(production)["dbname"]
    load_shop(postgres.dsn(database), "analytics")
    user, _ = LOGINS[pg_project]
    with psycopg.connect(postgres.dsn(database), autocommit=True) as admin:
        for grant in (
            "GRANT USAGE ON SCHEMA analytics TO {}",
            "GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO {}",
            "GRANT SELECT ON ALL SEQUENCES IN SCHEMA analytics TO {}",
        ):
            admin.execute(pgsql.SQL(grant).format(pgsql.Identifier(user)))
    return pg_project


@pytest.fixture
def shop_project(capsys, shop: Path) -> tuple[Cli, str]:
    """The shop, after `kitchen init` filled dev from production."""
    cli = Cli(capsys, shop)
    result = cli("init")
    assert result.code == 0, result.err
    assert "found 10 existing tables in production" in result.out
    return cli, CONFIG_DEV[shop]


def test_a_kitchen_is_its_parents_schema_in_another_database_and_in_the_same(
    shop_project: tuple[Cli, str], pg_project: Path, postgres: PostgresServer
) -> None:
    cli, dev_database = shop_project
    production_database = conninfo_to_dict(production_dsn(pg_project))["dbname"]
    parent = schema_dump(postgres, production_database, "analytics")
    assert "CREATE MATERIALIZED VIEW" in parent and "ATTACH PARTITION" in parent
    # across databases, masked: production -> dev
    assert statements(schema_dump(postgres, dev_database, "dev")) == statements(parent)
    # within one database, sampled: dev -> feature
    created = cli("create", "feature", "--sample", "30%")
    assert created.code == 0, created.err
    assert statements(schema_dump(postgres, dev_database, "feature")) == statements(parent)
    with psycopg.connect(postgres.dsn(dev_database)) as connection:
        owners = connection.execute(
            "SELECT DISTINCT pg_get_userbyid(c.relowner), r.rolsuper FROM pg_class c"
            " JOIN pg_roles r ON r.oid = c.relowner"
            " WHERE c.relnamespace IN ('dev'::regnamespace, 'feature'::regnamespace)"
        ).fetchall()
    assert owners == [(login_of(dev_database), False)]  # built by the least-privilege login


def test_a_kitchens_objects_work_on_its_own_rows(
    shop_project: tuple[Cli, str], postgres: PostgresServer
) -> None:
    cli, dev_database = shop_project
    assert cli("create", "feature", "--sample", "30%").code == 0
    with psycopg.connect(postgres.dsn(dev_database), autocommit=True) as connection:
        (parents,) = connection.execute(
            "SELECT last_value FROM dev.customer_customer_id_seq"
        ).fetchone()
        connection.execute("SET search_path TO feature")
        # the next insert takes its key from the copied sequence, as the parent's would
        (customer,) = connection.execute(
            "INSERT INTO customer (store_id, first_name, last_name, address_id)"
            " SELECT store_id, 'New', 'Customer', address_id FROM customer LIMIT 1"
            " RETURNING customer_id"
        ).fetchone()
        assert customer == parents + 1 > 250  # payments draw on it too
        (country,) = connection.execute(
            "INSERT INTO country (country) VALUES ('Atlantis') RETURNING country_id"
        ).fetchone()
        assert country == 21
        assert connection.execute(
            "SELECT full_name FROM customer WHERE customer_id = %s", [customer]
        ).fetchone() == ("New Customer",)
        # rows are routed to the partitions as in the parent; keys hold on the partitions
        routed = connection.execute(
            "SELECT tableoid::regclass::text, min(payment_date), max(payment_date)"
            " FROM payment GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert [name for name, *_ in routed] == [
            "payment_p2022_01",
            "payment_p2022_02",
            "payment_rest",
        ]
        assert (routed[0][1].month, routed[0][2].month, routed[1][2].month) == (1, 1, 2)
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            connection.execute(
                "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)"
                " VALUES (1, 1, 999999, 1, '2022-01-05')"
            )
        with pytest.raises(psycopg.errors.CheckViolation):
            connection.execute("UPDATE film SET release_year = 1800")
        # views, functions, procedures and triggers read and write the kitchen's own tables
        (listed,) = connection.execute("SELECT count(*) FROM customer_list").fetchone()
        (customers,) = connection.execute("SELECT count(*) FROM customer").fetchone()
        assert listed == customers
        # a function pinned to its schema's search_path reads the kitchen's rows, wherever
        # it is called from
        connection.execute("SET search_path TO public")
        assert connection.execute("SELECT feature.customer_total()").fetchone() == (customers,)
        connection.execute("SET search_path TO feature")
        (rental,) = connection.execute("SELECT min(rental_id) FROM rental").fetchone()
        (mine,) = connection.execute(
            "SELECT rental_count(customer_id) FROM rental WHERE rental_id = %s", [rental]
        ).fetchone()
        assert mine >= 1
        connection.execute("CALL close_rental(%s)", [rental])
        (sales,) = connection.execute("SELECT sum(total_sales) FROM rental_by_category").fetchone()
        (paid,) = connection.execute("SELECT sum(amount) FROM payment").fetchone()
        assert sales == paid  # the materialized view was built on the kitchen's rows
        before = connection.execute(
            "SELECT last_update FROM film WHERE film_id = (SELECT min(film_id) FROM film)"
        ).fetchone()
        connection.execute(
            "UPDATE film SET title = title WHERE film_id = (SELECT min(film_id) FROM film)"
        )
        after = connection.execute(
            "SELECT last_update FROM film WHERE film_id = (SELECT min(film_id) FROM film)"
        ).fetchone()
        assert after != before  # the trigger fired


def test_a_sample_keeps_every_key_declared_on_the_partitions(
    shop_project: tuple[Cli, str], postgres: PostgresServer
) -> None:
    """89 % of a sampled payments table pointed at rentals the sample dropped: the keys were
    declared on the partitions, which the key graph did not see."""
    cli, dev_database = shop_project
    assert cli("create", "feature", "--sample", "10%").code == 0
    with psycopg.connect(postgres.dsn(dev_database)) as connection:
        (orphans,) = connection.execute(
            "SELECT count(*) FROM feature.payment p WHERE NOT EXISTS"
            " (SELECT 1 FROM feature.rental r WHERE r.rental_id = p.rental_id)"
        ).fetchone()
        (payments,) = connection.execute("SELECT count(*) FROM feature.payment").fetchone()
        (all_payments,) = connection.execute("SELECT count(*) FROM dev.payment").fetchone()
    assert orphans == 0
    assert 0 < payments < all_payments / 2


def test_masked_columns_hold_no_original_value_and_comments_come_along(
    shop_project: tuple[Cli, str], pg_project: Path, postgres: PostgresServer
) -> None:
    _, dev_database = shop_project
    with psycopg.connect(postgres.dsn(dev_database)) as connection:
        emails = {row[0] for row in connection.execute("SELECT email FROM dev.customer")}
        (comment,) = connection.execute(
            "SELECT obj_description('dev.film'::regclass, 'pg_class')"
        ).fetchone()
        (user,) = connection.execute("SELECT username FROM dev.staff WHERE staff_id = 1").fetchone()
    with psycopg.connect(production_dsn(pg_project)) as connection:
        originals = {row[0] for row in connection.execute("SELECT email FROM analytics.customer")}
    assert emails and not emails & originals
    assert comment == "every film the shop rents; 'classics' included"
    assert user.startswith("user_") and user != "mike"


def test_an_orphan_the_sample_left_fails_the_copy_naming_the_key(tmp_path: Path) -> None:
    """The check after every sampled copy counts, in the warehouse, rows whose parent row
    is missing: a safety net under the sampler, which fails closed."""
    warehouse = DuckDBWarehouse(tmp_path / "dev.duckdb", "dev")
    warehouse.create_schema("feature")
    warehouse.execute(
        sql(
            "CREATE TABLE feature.rental (rental_id int); INSERT INTO feature.rental VALUES (1);"
            " CREATE TABLE feature.payment (rental_id int, note text);"
            " INSERT INTO feature.payment VALUES (1, 'kept'), (2, 'orphan'), (NULL, 'none')"
        )
    )
    key = Reference("payment", ("rental_id",), "rental", ("rental_id",), True)
    with pytest.raises(DataCheckFailed, match=r"1 row of payment \(rental_id\) with no row in"):
        samplecopy.check_orphans(warehouse, "feature", [key], ["payment", "rental"])
    warehouse.execute(sql("DELETE FROM feature.payment WHERE rental_id = 2"))
    samplecopy.check_orphans(warehouse, "feature", [key], ["payment", "rental"])  # passes
    warehouse.close()


def test_init_whose_masking_check_fails_leaves_dev_empty_and_runs_again(
    capsys, shop: Path, postgres: PostgresServer
) -> None:
    pg_project = shop
    edit_config(pg_project, "customer.email: email", 'customer.email: {sql: "{column}"}')
    cli = Cli(capsys, pg_project)
    failed = cli("init")
    assert failed.code == 1
    assert "Masking check failed in dev: customer.email: 250 original values present" in failed.err
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project])) as connection:
        left = connection.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'dev'::regnamespace"
        ).fetchone()
    assert left == (0,)
    edit_config(pg_project, 'customer.email: {sql: "{column}"}', "customer.email: email")
    again = cli("init")
    assert again.code == 0, again.err
    assert cli("show", "dev", "--json").json()["data"]["verified_at"]


def test_what_reads_an_excluded_table_is_left_out_and_said(capsys, shop: Path) -> None:
    edit_config(shop, "data:\n", "data:\n  exclude: [film]\n")
    cli = Cli(capsys, shop)
    result = cli("init")
    assert result.code == 0, result.err
    left_out = cli("show", "dev", "--json").json()["data"]["left_out"]
    assert left_out == [
        "the foreign key of inventory to film, not copied",
        "the view film_list, which reads film",
        "the view rental_by_category, which reads film",
        "the view popular_films, which reads film_list",  # after the views it reads
    ]
    assert "Left out of dev: the foreign key of inventory to film" in result.err
    assert "left out: the foreign key of inventory to film" in cli("show", "dev").out


def test_a_refresh_brings_the_parents_structure_and_keeps_the_kitchens_own_views(
    shop_project: tuple[Cli, str], postgres: PostgresServer
) -> None:
    """A refresh builds the parent's schema aside and moves all of it in, in place of what
    the kitchen had from before; the team's own views (dbt models, say) are built again on
    the new tables."""
    cli, dev_database = shop_project
    assert cli("create", "feature", "--sample", "30%").code == 0
    with psycopg.connect(postgres.dsn(dev_database), autocommit=True) as connection:
        connection.execute(f'SET ROLE "{login_of(dev_database)}"')  # as the team works
        connection.execute("SET search_path TO feature")
        connection.execute(
            "CREATE VIEW team_spend AS SELECT customer_id, sum(amount) AS spent"
            " FROM payment GROUP BY customer_id"
        )
        connection.execute("CREATE VIEW team_customers AS SELECT * FROM customer_list")
        connection.execute("INSERT INTO country (country) VALUES ('Atlantis')")
        # the parent's type changes: the kitchen's, which its tables use, is replaced
        connection.execute("ALTER TYPE dev.mpaa_rating ADD VALUE 'U' BEFORE 'G'")
    refreshed = cli("data", "refresh", "feature")
    assert refreshed.code == 0, refreshed.err
    parent = statements(schema_dump(postgres, dev_database, "dev"))
    kitchen = statements(schema_dump(postgres, dev_database, "feature"))
    assert [text for text in kitchen if "team_" not in text] == parent
    assert len(kitchen) == len(parent) + 2
    with psycopg.connect(postgres.dsn(dev_database), autocommit=True) as connection:
        connection.execute("SET search_path TO feature")
        assert connection.execute(
            "SELECT count(*) FROM country WHERE country = 'Atlantis'"
        ).fetchone() == (0,)
        (listed,) = connection.execute("SELECT count(*) FROM team_customers").fetchone()
        (customers,) = connection.execute("SELECT count(*) FROM customer").fetchone()
        assert listed == customers > 0
        (spent,) = connection.execute("SELECT sum(spent) FROM team_spend").fetchone()
        (paid,) = connection.execute("SELECT sum(amount) FROM payment").fetchone()
        assert spent == paid
        (country,) = connection.execute(
            "INSERT INTO country (country) VALUES ('Atlantis') RETURNING country_id"
        ).fetchone()
        assert country == 21  # the sequence stands where the parent's does
        left = connection.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE '%feature%'"
        ).fetchall()
    assert left == [("feature",)]  # nothing of the staging schema stays


def test_a_refresh_whose_masking_check_fails_keeps_the_old_kitchen(
    shop_project: tuple[Cli, str], pg_project: Path, postgres: PostgresServer
) -> None:
    cli, dev_database = shop_project
    before = statements(schema_dump(postgres, dev_database, "dev"))
    with psycopg.connect(postgres.dsn(dev_database)) as connection:
        emails = connection.execute("SELECT email FROM dev.customer ORDER BY 1").fetchall()
    edit_config(pg_project, "customer.email: email", 'customer.email: {sql: "{column}"}')
    failed = cli("data", "refresh", "dev", "--json")
    assert failed.code == 1
    assert "customer.email: 250 original values present" in failed.out
    assert statements(schema_dump(postgres, dev_database, "dev")) == before
    with psycopg.connect(postgres.dsn(dev_database)) as connection:
        assert connection.execute("SELECT email FROM dev.customer ORDER BY 1").fetchall() == emails
    assert cli("show", "dev", "--json").json()["data"]["verified_at"]


def test_the_scan_finds_what_a_rental_shop_must_not_copy(shop_project: tuple[Cli, str]) -> None:
    """The scan's recall on this schema was 0.67: it missed the username, the password hash,
    the photo and the postal codes."""
    cli, _ = shop_project
    scanned = cli("data", "scan", "production", "--json")
    assert scanned.code == 0, scanned.err
    kinds = {(f["table"], f["column"]): f["kind"] for f in scanned.json()["findings"]}
    for column, kind in {
        ("staff", "username"): "username",
        ("staff", "password"): "credential",
        ("staff", "picture"): "image or document",
        ("address", "postal_code"): "postal code",
        ("customer", "email"): "email",
    }.items():
        assert kinds.get(column) == kind, (column, kinds)
    assert ("film", "title") not in kinds and ("film", "fulltext") not in kinds


def test_show_describes_the_tables_kitchen_did_not_load(shop_project: tuple[Cli, str]) -> None:
    """`show production` said "no data" while listing the 10 tables the team already had."""
    cli, _ = shop_project
    shown = cli("show", "production")
    assert shown.code == 0, shown.err
    assert "existing tables (10 tables" in shown.out and "not loaded by kitchen" in shown.out
    assert "no data" not in shown.out


def copy_shop(
    origin: PostgresWarehouse, destination: PostgresWarehouse, schema: str, home: str | None
) -> None:
    """The shop's structure and rows, as a copy does, unmasked."""
    tables = origin.list_tables("analytics")
    columns = {t: masking.plan([], t, origin.column_types("analytics", t)) for t in tables}
    with destination.snapshot(origin, "analytics", tables):
        structure = origin.read_structure("analytics", tables, {})
        assert structure is not None
        destination.build_before(structure, schema, home)
        moved = datacopy.move(
            origin,
            destination,
            "analytics",
            schema,
            columns=columns,
            rows_of={},
            into_existing=True,
        )
        assert sum(count for _, count in moved) > 1000
    destination.build_after(structure, schema)


def test_the_wheels_postgresql_16_builds_and_refreshes_a_kitchen_as_its_parent(
    postgres16: PostgresServer,
) -> None:
    """The system's PostgreSQL is 15; the pgserver wheel's, which a machine without one
    uses, is 16: the same oracle across databases, then a refresh moved in whole."""
    with psycopg.connect(postgres16.dsn(), autocommit=True) as admin:
        for name in ("shop16", "dev16"):
            admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {}").format(pgsql.Identifier(name)))
            admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(name)))
        (version,) = admin.execute("SHOW server_version_num").fetchone()
    assert int(version) // 10000 == 16
    load_shop(postgres16.dsn("shop16"), "analytics")
    settings = {
        name: config.PostgresWarehouse(type="postgres", dsn=postgres16.dsn(name))
        for name in ("shop16", "dev16")
    }
    origin = PostgresWarehouse(settings["shop16"], "production")
    destination = PostgresWarehouse(settings["dev16"], "dev")
    parent = statements(schema_dump(postgres16, "shop16", "analytics"))
    destination.create_schema("dev")
    copy_shop(origin, destination, "dev", None)
    assert statements(schema_dump(postgres16, "dev16", "dev")) == parent
    destination.create_schema("kitchen_stage_dev")
    copy_shop(origin, destination, "kitchen_stage_dev", "dev")
    destination.swap_in("kitchen_stage_dev", "dev", origin.list_tables("analytics"))
    assert statements(schema_dump(postgres16, "dev16", "dev")) == parent
    assert not destination.schema_exists("kitchen_stage_dev")
    origin.close()
    destination.close()


def test_a_kitchens_login_owns_every_object_of_the_rental_shop_in_its_schema(
    capsys, shop: Path, postgres: PostgresServer
) -> None:
    """The hand-over to a kitchen's login on a team's schema: enum, domains, a composite and
    a range type, partitions, trigger and plain functions, views and a materialized view,
    sequences; again after a refresh. The range's multirange stayed kitchen's; its
    constructors are PostgreSQL's own (the bootstrap superuser's), whoever made the range."""
    edit_config(shop, ", dbname:", ", kitchen_roles: true, dbname:")
    cli = Cli(capsys, shop)
    assert cli("init").code == 0
    assert cli("create", "feature", "--no-checkout").code == 0
    owned = (
        "SELECT 'relation', relname, pg_get_userbyid(relowner) FROM pg_class"
        " WHERE relnamespace = 'feature'::regnamespace AND relkind IN ('r','p','v','m','S')"
        " UNION ALL SELECT 'type', typname, pg_get_userbyid(typowner) FROM pg_type t"
        " WHERE typnamespace = 'feature'::regnamespace AND (typtype IN ('e','d','r','m')"
        " OR typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')"
        " UNION ALL SELECT 'routine', proname, pg_get_userbyid(proowner) FROM pg_proc p"
        " WHERE pronamespace = 'feature'::regnamespace AND NOT EXISTS (SELECT 1 FROM pg_depend"
        " WHERE classid = 'pg_proc'::regclass AND objid = p.oid AND deptype = 'i')"
    )
    login = login_name(CONFIG_DEV[shop], "dev", "feature")
    for moment in ("created", "refreshed"):
        with psycopg.connect(postgres.dsn(CONFIG_DEV[shop])) as connection:
            rows = connection.execute(owned).fetchall()
        kinds = {kind for kind, _, _ in rows}
        assert kinds == {"relation", "type", "routine"}
        assert {"payment_p2022_01", "minutes", "year", "film_in_stock"} <= {n for _, n, _ in rows}
        left = [(kind, name) for kind, name, owner in rows if owner != login]
        assert left == [], (moment, left)
        assert cli("data", "refresh", "feature").code == 0


def test_kitchen_diff_on_the_rental_shop_as_the_least_privilege_login(
    shop_project: tuple[Cli, str],
) -> None:
    """Enums, domains, composite and range columns (each schema has its own copy of the
    types: dev.year against feature.year was 'retyped', and not compared), a table
    partitioned with its keys on the partitions: compared as the login that is no superuser.
    A sample keeps its rows' values: none changed, only rows left out."""
    cli, _ = shop_project
    assert cli("create", "feature", "--sample", "30%").code == 0
    tables = ("film", "payment", "customer", "rental")
    found = cli("diff", "feature", *(f"--table={t}" for t in tables), "--json")
    assert found.code == 0, found.err
    compared = {t["table"]: t for t in found.json()["tables"]}
    assert set(compared) == set(tables)
    for name, table in compared.items():
        rows = table["rows"]
        keyed = name != "payment"  # its keys are on its partitions: whole rows for it
        assert bool(table["key"]) is keyed and not table["duplicate_keys"], name
        assert table["changed"] == (0 if keyed else None), name
        assert table["only_in_kitchen"] == 0, name
        assert table["only_in_other"] == rows["other"] - rows["kitchen"], name
        assert table["columns"] == {"added": [], "removed": [], "retyped": []}, name
    assert compared["payment"]["only_in_other"] > 0  # sampled; parents of kept rows stay


LOOK = """
import json, psycopg
seen = {}
with psycopg.connect("", autocommit=True) as connection:
    for query in (
        "SELECT count(*) FROM payment",  # partitioned, keys declared on the partitions
        "SELECT count(*) FROM dev.payment",
        "SELECT count(DISTINCT rating) FROM film",  # an enum
        "DELETE FROM payment",
    ):
        try:
            row = connection.execute(query).fetchone()
            seen[query] = row[0] if row else "done"
        except psycopg.Error as exc:
            seen[query] = type(exc).__name__
print(json.dumps(seen))
"""


def test_a_kitchen_of_views_of_the_rental_shop_reads_as_its_login_and_writes_nothing(
    capsys, shop: Path, postgres: PostgresServer
) -> None:
    """Views mode on a team's schema (partitions, an enum, domains), with a login per
    kitchen and kitchen itself no superuser: ten views, read as the kitchen's login, never
    written through; refreshed, checked by doctor and deleted like any kitchen."""
    edit_config(shop, ", dbname:", ", kitchen_roles: true, dbname:")
    cli = Cli(capsys, shop)
    assert cli("init").code == 0
    made = cli("create", "glance", "--data", "views", "--no-checkout")
    assert made.code == 0, made.err
    assert "Views onto 10 tables of dev (nothing copied)" in made.err
    with psycopg.connect(postgres.dsn(CONFIG_DEV[shop])) as connection:
        payments = connection.execute("SELECT count(*) FROM dev.payment").fetchone()
        kinds = connection.execute(
            "SELECT DISTINCT relkind FROM pg_class WHERE relnamespace = 'glance'::regnamespace"
        ).fetchall()
    assert payments is not None and payments[0] > 0 and kinds == [("v",)]
    seen = as_login(shop, "glance", "-c", LOOK)
    assert seen["SELECT count(*) FROM payment"] == payments[0]
    assert seen["SELECT count(*) FROM dev.payment"] == payments[0]
    assert seen["SELECT count(DISTINCT rating) FROM film"] > 1
    assert seen["DELETE FROM payment"] == "ObjectNotInPrerequisiteState"  # not updatable
    assert cli("data", "refresh", "glance").code == 0
    assert cli("doctor").code == 0
    assert cli("delete", "glance", "--yes").code == 0
