"""The whole kitchen flow with both release environments on a real PostgreSQL server."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import psycopg.conninfo
import pytest
import yaml

from kitchen import config
from kitchen.backends.warehouse import postgres as warehouse_postgres
from kitchen.backends.warehouse.postgres import connection as pg_connection
from kitchen.backends.warehouse.postgres import structure as pg_structure
from kitchen.backends.warehouse.postgres import swap as pg_swap
from tests.conftest import CONFIG, CONFIG_DEV, LOGINS, Cli, edit_config
from tests.servers import PostgresServer, free_port


def schemas(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute("SELECT nspname FROM pg_namespace").fetchall()
    return {row[0] for row in rows if not row[0].startswith(("pg_", "information_schema"))}


def production_dsn(project: Path) -> str:
    config = yaml.safe_load((project / "kitchen.yaml").read_text())
    return str(config["environments"]["production"]["warehouse"]["dsn"])


def on_production(project: Path, statements: str) -> None:
    """Run ``statements`` in the project's production database, as its team would."""
    with psycopg.connect(production_dsn(project), autocommit=True) as connection:
        connection.execute(statements)


def test_init_create_delete_on_postgres(capsys, pg_project: Path, postgres: PostgresServer) -> None:
    cli = Cli(capsys, pg_project)
    result = cli("init", "--demo")
    assert result.code == 0, result.err
    dev = cli("show", "dev", "--json").json()
    assert dev["data"]["masked"] and dev["data"]["verified_at"] and dev["data"]["rules"] == 3
    assert {t["name"]: t["rows"] for t in dev["tables"]} == {
        "customers": 1000,
        "orders": 4000,
        "products": 40,
    }
    created = cli("create", "feature", "--json")
    assert created.code == 0, created.err
    feature = cli("show", "feature", "--json").json()
    assert sum(t["rows"] for t in feature["tables"]) == 5040
    assert cli("delete", "feature", "--yes").code == 0
    assert cli("show", "feature").code == 2


def test_refresh_on_postgres_swaps_atomically_and_builds_views_again(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    """A view on a kitchen's table (a dbt model) made every refresh fail: 'cannot drop table
    orders because other objects depend on it'. Views are built again on the new tables as
    they were, and the tables keep their grants; a view the new tables no longer fit stops
    the swap whole, and the old data stays."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    assert cli("create", "feature").code == 0
    dev_dsn = postgres.dsn(CONFIG_DEV[pg_project])
    reader = f"reader_{CONFIG_DEV[pg_project]}"  # roles belong to the whole server
    login, _ = LOGINS[pg_project]
    with psycopg.connect(dev_dsn, autocommit=True) as admin:  # the DBA makes a role kitchen
        admin.execute(f"CREATE ROLE {reader}; GRANT {reader} TO {login}")  # may act as
    # the team's models, made through kitchen's login (PGPASSWORD is its password)
    params = {**psycopg.conninfo.conninfo_to_dict(dev_dsn), "user": login}
    del params["password"]
    as_login = psycopg.conninfo.make_conninfo(**params)
    with psycopg.connect(as_login, autocommit=True) as connection:
        connection.execute(
            "CREATE SCHEMA reports;"
            " CREATE VIEW feature.big_orders WITH (security_barrier) AS"
            "  SELECT * FROM feature.orders WHERE amount > 0;"
            " CREATE MATERIALIZED VIEW feature.order_count AS"
            "  SELECT count(*) AS n FROM feature.big_orders;"
            " CREATE UNIQUE INDEX order_count_n ON feature.order_count (n);"
            " COMMENT ON VIEW feature.big_orders IS 'a dbt model';"
            f" GRANT SELECT ON feature.orders TO {reader};"
            f" GRANT USAGE, CREATE ON SCHEMA feature TO {reader};"
            f" ALTER VIEW feature.big_orders OWNER TO {reader};"
            " CREATE VIEW reports.feature_orders AS SELECT order_id FROM feature.orders;"
            " DELETE FROM dev.orders WHERE order_id > 100"
        )
    refreshed = cli("data", "refresh", "feature")
    assert refreshed.code == 0, refreshed.err
    tables = {t["name"]: t["rows"] for t in cli("show", "feature", "--json").json()["tables"]}
    assert tables["orders"] == 100
    with psycopg.connect(dev_dsn) as connection:
        row = connection.execute(
            "SELECT (SELECT n FROM feature.order_count),"
            " (SELECT count(*) FROM reports.feature_orders),"
            " obj_description('feature.big_orders'::regclass, 'pg_class'),"
            " (SELECT reloptions FROM pg_class WHERE oid = 'feature.big_orders'::regclass),"
            " pg_get_userbyid((SELECT relowner FROM pg_class"
            "  WHERE oid = 'feature.big_orders'::regclass)),"
            " has_table_privilege(%s, 'feature.orders', 'SELECT'),"
            " to_regclass('feature.order_count_n') IS NOT NULL",
            [reader],
        ).fetchone()
    assert row == (100, 100, "a dbt model", ["security_barrier=true"], reader, True, True)
    assert "kitchen_stage_feature" not in schemas(dev_dsn)

    with psycopg.connect(dev_dsn, autocommit=True) as connection:
        connection.execute("ALTER TABLE dev.orders DROP COLUMN amount")
    blocked = cli("data", "refresh", "feature")  # big_orders reads amount
    assert blocked.code == 3
    assert "would break the view feature.big_orders: column" in blocked.err
    with psycopg.connect(dev_dsn) as connection:
        kept = connection.execute("SELECT count(*) FROM feature.big_orders").fetchone()
    assert kept == (100,) and "kitchen_stage_feature" not in schemas(dev_dsn)

    # deleting the kitchen would take reports.feature_orders too: said first, not done
    refused = cli("delete", "feature", "--yes")
    assert refused.code == 3 and "reports.feature_orders" in refused.err
    assert "feature" in schemas(dev_dsn)
    assert cli("delete", "feature", "--yes", "--force").code == 0
    with psycopg.connect(dev_dsn) as connection:
        gone = connection.execute("SELECT to_regclass('reports.feature_orders')").fetchone()
    assert gone == (None,)


def test_failed_create_on_postgres_leaves_nothing(
    capsys, pg_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    before = cli("list", "--json").json()["kitchens"]
    monkeypatch.setenv("KITCHEN_FAIL_AT", "copy.table")
    assert cli("create", "fragile").code == 3
    monkeypatch.delenv("KITCHEN_FAIL_AT")
    assert cli("list", "--json").json()["kitchens"] == before
    assert cli("create", "fragile").code == 0


def test_unreachable_server_is_exit_5_naming_host_and_port_not_the_password(
    capsys, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens there
    project = tmp_path / "down"
    project.mkdir()
    dsn = f"postgresql://kitchen:canary-pw-123@127.0.0.1:{port}/analytics"
    (project / "kitchen.yaml").write_text(
        CONFIG.format(production=dsn, port=port, dev="dev", user="kitchen")
    )
    result = Cli(capsys, project)("show", "production")
    assert result.code == 5
    assert f"127.0.0.1:{port}" in result.err
    assert "canary-pw-123" not in result.err + result.out


def test_wrong_password_is_exit_5_without_the_password(
    capsys, pg_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", "wrong-canary-pw")
    result = Cli(capsys, pg_project)("show", "dev")
    assert result.code == 5
    assert "password authentication failed" in result.err
    assert "wrong-canary-pw" not in result.err + result.out


def test_warehouse_password_from_a_secret_reference_never_printed(
    capsys, pg_project: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PGPASSWORD")
    _, password = LOGINS[pg_project]  # quotes, a space, an ampersand, a non-ASCII letter
    reference = "password: \"{{ secret('warehouse#password') }}\""
    edit_config(pg_project, ", dbname:", f", {reference}, dbname:")
    edit_config(pg_project, 'dsn: "host=', f'{reference}, dsn: "host=')
    cli = Cli(capsys, pg_project)
    assert cli("init").code == 2  # the secrets files have no warehouse#password yet
    for environment in ("dev", "production"):
        secrets = pg_project / ".kitchen" / "secrets" / f"{environment}.yaml"
        secrets.write_text(secrets.read_text() + f"warehouse#password: {json.dumps(password)}\n")
    result = cli("--verbose", "init", "--demo")
    assert result.code == 0, result.err
    shown = cli("--verbose", "show", "dev", "--json")
    assert shown.code == 0 and shown.json()["data"]["masked"]
    for output in (result.out, result.err, shown.out, shown.err):
        assert password not in output


@pytest.mark.parametrize("structured", [True, False], ids=["pg12+", "bare"])
def test_types_only_the_source_database_has_reach_another_database(
    capsys,
    pg_project: Path,
    postgres: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
    structured: bool,
) -> None:
    """Production and dev are other databases: a type of production's schema does not exist
    in dev (the copy failed with 'schema "analytics" does not exist'). From PostgreSQL 12 the
    kitchen gets its own copy of each; before (or on Redshift) a domain arrives as the type
    it constrains, an enum, composite or range (or an extension's type) as text, with a
    warning. A type both databases have is kept."""
    if not structured:
        monkeypatch.setattr(pg_structure, "STRUCTURE_SINCE", 10**7)
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    # the team's migrations run as a role of their own (the superuser here), not kitchen's
    production = postgres.dsn(
        psycopg.conninfo.conninfo_to_dict(production_dsn(pg_project))["dbname"]
    )
    dev_dsn = postgres.dsn(CONFIG_DEV[pg_project])
    for dsn in (production, dev_dsn):  # the same migration ran in both
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("CREATE TYPE public.mood AS ENUM ('ok', 'sad')")
    with psycopg.connect(production, autocommit=True) as connection:
        connection.execute("CREATE TYPE analytics.tier AS ENUM ('gold', 'silver')")
        connection.execute("CREATE DOMAIN analytics.visits AS integer CHECK (VALUE >= 0)")
        connection.execute("CREATE TYPE analytics.price AS (amount numeric, currency text)")
        connection.execute("CREATE TYPE analytics.band AS RANGE (subtype = float8)")
        connection.execute(
            "ALTER TABLE analytics.customers ADD COLUMN tier analytics.tier DEFAULT 'gold',"
            " ADD COLUMN tiers analytics.tier[] DEFAULT '{silver}',"
            " ADD COLUMN visits analytics.visits DEFAULT 3, ADD COLUMN mood mood DEFAULT 'ok',"
            " ADD COLUMN price analytics.price DEFAULT (9.5, 'EUR'),"
            " ADD COLUMN prices analytics.price[] DEFAULT ARRAY[(1, 'USD')::analytics.price],"
            " ADD COLUMN band analytics.band DEFAULT '[1, 2)',"
            " ADD COLUMN span int4range DEFAULT '[1, 3)'"
        )
    result = cli("data", "refresh", "dev")
    assert result.code == 0, result.err
    changes = {
        "tier (analytics.tier -> text)",
        "visits (analytics.visits -> integer)",
        "price (analytics.price -> text)",
        "prices (analytics.price[] -> text[])",
        "band (analytics.band -> text)",
    }
    warned = {change for change in changes if f"customers.{change}" in result.err}
    assert warned == (set() if structured else changes)
    assert "mood" not in result.err and "span" not in result.err  # in every database
    with psycopg.connect(dev_dsn) as connection:
        row = connection.execute(
            "SELECT tier::text, tiers::text[], visits, mood::text, pg_typeof(mood)::text,"
            " price::text, prices::text[], band::text, span::text, pg_typeof(span)::text,"
            " pg_typeof(tier)::text, pg_typeof(visits)::text, pg_typeof(band)::text"
            " FROM dev.customers LIMIT 1"
        ).fetchone()
    assert row[:10] == (
        "gold",
        ["silver"],
        3,
        "ok",
        "mood",
        "(9.5,EUR)",
        ["(1,USD)"],
        "[1,2)",
        "[1,3)",
        "int4range",
    )
    own = ("dev.tier", "dev.visits", "dev.band") if structured else ("text", "integer", "text")
    assert row[10:] == own


def test_a_partitioned_table_is_copied_once_and_masked_by_its_own_rules(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    """Each partition was listed as a table of its own: a kitchen held the partitioned
    table's rows twice, and the partitions' emails unmasked (rules name the table)."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    on_production(
        pg_project,
        "CREATE TABLE analytics.visits (customer_id integer REFERENCES"
        " analytics.customers, email text, day date) PARTITION BY RANGE (day);"
        " CREATE TABLE analytics.visits_2024 PARTITION OF analytics.visits"
        "  FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
        " CREATE TABLE analytics.visits_2025 PARTITION OF analytics.visits"
        "  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"
        " INSERT INTO analytics.visits SELECT customer_id, email,"
        "  DATE '2024-06-01' + customer_id % 400 FROM analytics.customers",
    )
    edit_config(pg_project, "customers.email: email", "'*.email': email")
    assert "visits_2024" not in cli("data", "scan", "production").out
    result = cli("data", "refresh", "dev", "--sample", "10%")
    assert result.code == 0, result.err
    tables = {t["name"]: t["rows"] for t in cli("show", "dev", "--json").json()["tables"]}
    assert set(tables) == {"customers", "orders", "products", "visits"}
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project])) as connection:
        orphans, raw = connection.execute(
            "SELECT count(*) FILTER (WHERE c.customer_id IS NULL),"
            " count(*) FILTER (WHERE v.email NOT LIKE 'user-%') FROM dev.visits v"
            " LEFT JOIN dev.customers c USING (customer_id)"
        ).fetchone()  # type: ignore[misc]
    assert tables["visits"] > 0 and orphans == 0 and raw == 0


def test_a_table_without_columns_is_copied_whole_by_a_sample(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    """PostgreSQL allows a table of no columns; its sample fingerprint was invalid SQL."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    on_production(
        pg_project,
        "CREATE TABLE analytics.heartbeat (); INSERT INTO analytics.heartbeat DEFAULT VALUES;"
        " INSERT INTO analytics.heartbeat DEFAULT VALUES",
    )
    result = cli("data", "refresh", "dev", "--sample", "10%")
    assert result.code == 0, result.err
    sampled, whole = (
        {t["name"]: t["rows"] for t in cli("show", kitchen, "--json").json()["tables"]}
        for kitchen in ("dev", "production")
    )
    assert sampled["heartbeat"] == 2 and sampled["orders"] < whole["orders"] / 5


def test_tables_the_source_login_may_not_read_stop_the_copy_until_excluded(
    capsys, pg_project: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """information_schema hides a table the login may not read: a refresh copied the rest,
    said nothing, and dropped the kitchen's copy of it as if production had none."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    reader = f"reader_{pg_project.parent.name[-12:].replace('-', '_')}"
    database = psycopg.conninfo.conninfo_to_dict(production_dsn(pg_project))["dbname"]
    on_production(
        pg_project,
        f"CREATE ROLE {reader} LOGIN PASSWORD 'reader-secret';"
        f" GRANT USAGE ON SCHEMA analytics, kitchen_meta TO {reader};"
        f" GRANT SELECT ON ALL TABLES IN SCHEMA analytics, kitchen_meta TO {reader};"
        f" REVOKE SELECT ON analytics.products FROM {reader};"
        f" REVOKE SELECT ON analytics.orders FROM {reader};"
        f" GRANT SELECT (order_id, customer_id) ON analytics.orders TO {reader}",
    )
    with psycopg.connect(postgres.dsn(database), autocommit=True) as admin:  # the DBA
        admin.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {reader}')
    dsn = production_dsn(pg_project)
    as_reader = f"{dsn} user={reader} password=reader-secret"
    edit_config(pg_project, dsn, as_reader)
    refused = cli("data", "refresh", "dev")
    assert refused.code == 4, refused.err
    assert (
        "may not read all of orders (columns product_id, quantity, amount, ordered_at),"
        " products in analytics" in refused.err
    )
    assert "data.exclude" in refused.err
    with monkeypatch.context() as old:  # Redshift (8.0.2) is asked about whole tables only,
        old.setattr(pg_connection, "CATALOGUE_SINCE", 10**7)  # so some columns read
        settings = config.PostgresWarehouse(type="postgres", dsn=as_reader)  # as none
        redshift = warehouse_postgres.PostgresWarehouse(settings, "production")
        assert redshift.unreadable("analytics") == {"orders": [], "products": []}
        redshift.close()
    scan = cli("data", "scan", "production")
    assert scan.code == 0 and "Not scanned, as this login may not read them: orders" in scan.err
    assert "customers.email" in scan.out
    assert "reader-secret" not in refused.err
    kept = {t["name"] for t in cli("show", "dev", "--json").json()["tables"]}
    assert kept == {"customers", "orders", "products"}  # the old data, as it was
    edit_config(pg_project, "data:\n", "data:\n  exclude: [products, ord*]\n")
    result = cli("data", "refresh", "dev")
    assert result.code == 0, result.err
    assert {t["name"] for t in cli("show", "dev", "--json").json()["tables"]} == {"customers"}
    # the registry hidden the same way read as 'production is missing: run kitchen init'
    with psycopg.connect(dsn, autocommit=True) as connection:  # as the owner, not the reader
        connection.execute(f"REVOKE SELECT ON ALL TABLES IN SCHEMA kitchen_meta FROM {reader}")
    hidden = cli("data", "refresh", "dev")
    assert hidden.code == 4 and "may not read kitchen's registry" in hidden.err
    assert "kitchen init" not in hidden.err


def test_dates_python_cannot_hold_are_read_as_postgresql_writes_them(
    capsys, pg_project: Path
) -> None:
    """'infinity' (an SCD table's open valid_to), a date BC, a 300-year interval: the gate's
    scan read them into Python and every copy failed ('timestamp too small')."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    on_production(
        pg_project,
        "CREATE TABLE analytics.contracts (id int, valid_to date, seen timestamptz,"
        " founded date, term interval); INSERT INTO analytics.contracts VALUES"
        " (1, 'infinity', '-infinity', '0044-03-15 BC', '3000000 years'),"
        " (2, '2030-01-01', now(), '1999-01-01', '1 day')",
    )
    assert cli("data", "scan", "production").code == 0
    assert cli("data", "refresh", "dev").code == 0
    shown = cli("show", "dev", "--table", "contracts", "--json").json()["preview"]["contracts"]
    assert shown["rows"][0][1:] == ["infinity", "-infinity", "0044-03-15 BC", "3000000 years"]


def test_a_domain_column_is_masked_as_the_type_it_constrains(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    """A text domain was 'other' to masking: email on it was refused, the scan suggested
    null, and a cast back to the domain would meet its check with the masked value."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    on_production(
        pg_project,
        "CREATE DOMAIN analytics.email_t AS varchar(60) CHECK (VALUE LIKE '%@%');"
        " CREATE DOMAIN analytics.ssn_t AS text CHECK (VALUE ~ '^\\d{3}-\\d{2}-\\d{4}$');"
        " ALTER TABLE analytics.customers ADD COLUMN contact analytics.email_t,"
        "  ADD COLUMN ssn analytics.ssn_t;"
        " UPDATE analytics.customers SET contact = email,"
        "  ssn = format('%s-%s-%s', 100 + customer_id % 800, 10 + customer_id % 80,"
        "  1000 + customer_id)",
    )
    scan = cli("data", "scan", "production", "--json").json()["findings"]
    suggested = {f["column"]: (f["kind"], f["suggested_rule"]) for f in scan}
    assert suggested["contact"] == ("email", "email")
    assert suggested["ssn"] == ("national id", "redact")
    edit_config(
        pg_project,
        "customers.email: email",
        "customers.email: email, customers.contact: email, customers.ssn: redact",
    )
    result = cli("data", "refresh", "dev")
    assert result.code == 0, result.err
    assert "customers.contact (email_t -> character varying(60))" in result.err
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project])) as connection:
        rows, joined, ssns, ssn = connection.execute(
            "SELECT count(*), count(*) FILTER (WHERE contact = email AND email LIKE 'user-%'),"
            " count(DISTINCT ssn), min(ssn) FROM dev.customers"
        ).fetchone()  # type: ignore[misc]
    # the same original gives the same masked email in both columns
    assert rows > 0 and joined == rows and (ssns, ssn) == (1, "REDACTED")


def test_a_session_holding_a_kitchens_tables_is_named_not_waited_on_for_ever(
    capsys, pg_project: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session left idle in a transaction (a BI tool, a psql window) that had read a
    kitchen's table made refresh and delete hang for good at the swap or the drop; and the
    lock timeout, were one set, read as 'Lost the dev warehouse'."""
    monkeypatch.setattr(pg_swap, "LOCK_WAIT_MS", 100)
    monkeypatch.setattr(pg_swap, "LOCK_PATIENCE", 0.3)
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    assert cli("create", "feature").code == 0
    dev_dsn = postgres.dsn(CONFIG_DEV[pg_project])
    with psycopg.connect(dev_dsn, application_name="dashboard") as holder:
        holder.execute("SELECT count(*) FROM feature.orders")  # and stays in its transaction
        pid = holder.info.backend_pid
        for command in (("data", "refresh", "feature"), ("delete", "feature", "--yes")):
            blocked = cli(*command)
            assert blocked.code == 3, blocked.err
            # what it is doing is hidden from a login that may not read others' statistics
            assert f"pid {pid} (dashboard, user postgres)" in " ".join(blocked.err.split())
            assert "Lost" not in blocked.err
            assert "feature" in schemas(dev_dsn) and "kitchen_stage_feature" not in schemas(dev_dsn)
        holder.rollback()
        assert cli("delete", "feature", "--yes").code == 0  # takes up where it stopped
    assert "feature" not in schemas(dev_dsn)


def test_servers_older_than_9_3_swap_and_drop_as_before(
    capsys, pg_project: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redshift says 8.0.2: no lock_timeout, relispopulated or aclexplode. The swap and the
    drop must not ask for them; a view on a table then stops the swap, as it always did."""
    monkeypatch.setattr(pg_connection, "CATALOGUE_SINCE", 10**7)
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    assert cli("create", "feature").code == 0
    assert cli("data", "refresh", "feature").code == 0
    dev_dsn = postgres.dsn(CONFIG_DEV[pg_project])
    with psycopg.connect(dev_dsn, autocommit=True) as connection:
        connection.execute("CREATE VIEW feature.big_orders AS SELECT * FROM feature.orders")
        connection.execute("DELETE FROM dev.orders WHERE customer_id > 10")  # dev has its keys
        connection.execute("DELETE FROM dev.customers WHERE customer_id > 10")
    blocked = cli("data", "refresh", "feature")
    assert blocked.code == 3 and "Could not replace the tables of feature" in blocked.err
    assert "view feature.big_orders depends on table feature.orders" in blocked.err
    # customers, swapped before orders failed, went back with the rest: one transaction
    assert {t["name"]: t["rows"] for t in cli("show", "feature", "--json").json()["tables"]}[
        "customers"
    ] > 10
    assert cli("delete", "feature", "--yes").code == 0
    assert "feature" not in schemas(dev_dsn)


def test_the_masking_salt_never_reaches_the_servers_log(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    """With log_statement = all the server logged the salt: a statement's parameters."""
    production = psycopg.conninfo.conninfo_to_dict(production_dsn(pg_project))["dbname"]
    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        for database in (production, CONFIG_DEV[pg_project]):
            admin.execute(f"ALTER DATABASE \"{database}\" SET log_statement = 'all'")
    assert Cli(capsys, pg_project)("init", "--demo").code == 0  # masks production into dev
    salts = {
        str(yaml.safe_load(path.read_text())["masking#salt"])
        for path in (pg_project / ".kitchen" / "secrets").glob("*.yaml")
    }
    log = (postgres.folder / "server.log").read_text(errors="replace")
    assert "set_config('kitchen.salt'" in log  # the statements were logged
    assert salts and not [salt for salt in salts if salt in log]
