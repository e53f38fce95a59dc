"""An environment's registry in a store of its own (`registry:`), apart from its warehouse:
as a team keeps it where its warehouse cannot hold it (an engine without keys or
transactions), or where the warehouse's login may not make schemas of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from tests.conftest import CONFIG_DEV, LOGINS, Cli, edit_config
from tests.integration.test_postgres import production_dsn
from tests.servers import PostgresServer, let_in


def schemas(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute("SELECT nspname FROM pg_namespace").fetchall()
    return {name for (name,) in rows}


def kitchens_in(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True) as connection:
        rows = connection.execute("SELECT name FROM kitchen_meta.kitchens ORDER BY name")
        return [name for (name,) in rows.fetchall()]


def test_registries_kept_apart_from_the_warehouses(
    capsys: pytest.CaptureFixture[str],
    pg_project: Path,
    postgres: PostgresServer,
    postgres_database: Callable[[str], str],
) -> None:
    """production's registry in a database of its own (reached by the same least-privilege
    login), dev's in a DuckDB file: neither warehouse gets kitchen's tables."""
    store = postgres_database("registry")
    user = LOGINS[pg_project][0]
    database = conninfo_to_dict(store)["dbname"]
    let_in(postgres, user, [database])
    # its password: PGPASSWORD, as the warehouses'
    login = make_conninfo(host=postgres.host, port=postgres.port, user=user, dbname=database)
    edit_config(
        pg_project,
        "    secrets: {type: file, path: .kitchen/secrets/production.yaml}",
        f'    registry: {{type: postgres, dsn: "{login}"}}\n'
        "    secrets: {type: file, path: .kitchen/secrets/production.yaml}",
    )
    edit_config(
        pg_project,
        "    secrets: {type: file, path: .kitchen/secrets/dev.yaml}",
        "    registry: {type: duckdb, path: .kitchen/dev-registry.duckdb}\n"
        "    secrets: {type: file, path: .kitchen/secrets/dev.yaml}",
    )
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    created = cli("create", "feature", "--no-checkout")
    assert created.code == 0, created.err
    assert cli("test", "feature").code == 0

    dev_dsn = postgres.dsn(CONFIG_DEV[pg_project])
    assert "kitchen_meta" not in schemas(production_dsn(pg_project))
    assert "kitchen_meta" not in schemas(dev_dsn)
    assert {"dev", "feature"} <= schemas(dev_dsn)
    registry_file = pg_project / ".kitchen/dev-registry.duckdb"
    assert kitchens_in(registry_file) == ["dev", "feature"]
    with psycopg.connect(store) as connection:
        names = connection.execute("SELECT name FROM kitchen_meta.kitchens").fetchall()
    assert names == [("production",)]

    listed = {k["name"]: k["status"] for k in cli("list", "--json").json()["kitchens"]}
    assert listed == {"production": "ready", "dev": "ready", "feature": "ready"}
    runs = cli("runs", "feature", "--json").json()
    assert [run["status"] for run in runs["runs"]] == ["passed"]
    doctor = cli("doctor")
    assert doctor.code == 0, doctor.out + doctor.err
    assert "✓ dev registry (duckdb)" in doctor.out
    assert "✓ production registry (postgres)" in doctor.out

    assert cli("delete", "feature", "--yes").code == 0
    assert kitchens_in(registry_file) == ["dev"]
    assert "feature" not in schemas(dev_dsn)


def test_an_unreachable_registry_store_is_named_as_the_registry(cli: Cli, shop: Path) -> None:
    edit_config(
        shop,
        "    secrets: {type: file, path: .kitchen/secrets/dev.yaml}",
        "    registry: {type: postgres, host: 127.0.0.1, port: 9, dbname: x, user: x}\n"
        "    secrets: {type: file, path: .kitchen/secrets/dev.yaml}",
    )
    shown = cli("show", "dev")
    assert shown.code == 5
    expected = "error: Cannot connect to the dev registry (PostgreSQL at 127.0.0.1:9,"
    assert shown.err.startswith(expected)
    assert "environments.dev.registry" in shown.err and "Traceback" not in shown.err
    doctor = cli("doctor")
    assert doctor.code == 5
    assert "✓ dev warehouse (duckdb)" in doctor.out
    assert "✗ dev registry (postgres): " in doctor.out


def test_two_environments_may_not_share_a_registry_store(cli: Cli, shop: Path) -> None:
    edit_config(
        shop,
        "    secrets: {type: file, path: .kitchen/secrets/dev.yaml}",
        "    registry: {type: duckdb, path: .kitchen/warehouse/production_warehouse.duckdb}\n"
        "    secrets: {type: file, path: .kitchen/secrets/dev.yaml}",
    )
    result = cli("list")
    assert result.code == 2
    assert "environments.dev.registry: the registry of environment 'production' is kept" in (
        result.err
    )
