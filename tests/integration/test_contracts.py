"""One contract per port, run against every adapter (more arrive with PostgreSQL, Vault, S3)."""

from __future__ import annotations

import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kitchen import config
from kitchen.backends.artifacts.base import ArtifactStore
from kitchen.backends.artifacts.local import LocalArtifactStore
from kitchen.backends.artifacts.s3 import S3ArtifactStore
from kitchen.backends.registry import Registry
from kitchen.backends.secrets.base import SecretStore
from kitchen.backends.secrets.file import FileSecretStore
from kitchen.backends.secrets.vault import VaultSecretStore
from kitchen.backends.warehouse.base import Column, Reference, TableSpec, Warehouse
from kitchen.backends.warehouse.duckdb import DuckDBWarehouse
from kitchen.backends.warehouse.postgres import PostgresWarehouse
from kitchen.backends.warehouse.sql import Literal, Query, sql
from kitchen.errors import ArtifactsError, SecretsError, WarehouseError, WarehouseUnreachable
from kitchen.model import DataState, Event, Kitchen, Run, Status
from tests.conftest import WarehouseFactory

SECRETS = ["file", "vault"]
ARTIFACTS = ["local", "s3"]
PEOPLE = TableSpec("people", (Column("id", "INTEGER"), Column("name", "TEXT")), primary_key="id")


@pytest.fixture
def warehouse(open_any_warehouse: WarehouseFactory) -> Warehouse:
    return open_any_warehouse("dev")


@pytest.fixture
def other_environment(open_any_warehouse: WarehouseFactory) -> Warehouse:
    return open_any_warehouse("production")


def needs(warehouse: Warehouse, capability: str, why: str) -> None:
    """Skip a contract of what this engine, by its own account, does not do."""
    if not getattr(warehouse, capability):
        pytest.skip(f"{warehouse.dialect.name}: {why}")


def test_schemas_tables_rows(warehouse: Warehouse) -> None:
    warehouse.create_schema("alpha")
    warehouse.create_schema("alpha")  # idempotent
    assert warehouse.schema_exists("alpha") and not warehouse.schema_exists("beta")
    warehouse.create_table("alpha", PEOPLE)
    warehouse.insert_rows("alpha", "people", ["id", "name"], [(i, f"p{i}") for i in range(1234)])
    assert warehouse.list_tables("alpha") == ["people"]
    assert warehouse.row_count("alpha", "people") == 1234
    columns, rows = warehouse.preview("alpha", "people", 2)
    assert columns == ["id", "name"] and rows == [(0, "p0"), (1, "p1")]
    warehouse.drop_schema("alpha")
    warehouse.drop_schema("alpha")  # idempotent
    assert not warehouse.schema_exists("alpha")


def test_present_finds_values_that_the_first_rows_leave_empty(warehouse: Warehouse) -> None:
    spec = TableSpec("people", (Column("id", "INTEGER"), Column("mail", "TEXT")))
    warehouse.create_schema("alpha")
    warehouse.create_table("alpha", spec)
    rows = [(i, f"p{i}@corp.example" if i >= 500 else None) for i in range(1000)]
    warehouse.insert_rows("alpha", "people", ["id", "mail"], rows)
    found = warehouse.present("alpha", "people", ["mail"], 10, within=1000)
    assert len(found) == 10 and all(mail.endswith("@corp.example") for (mail,) in found)
    if warehouse.dialect.name != "spark":  # Spark reads a table's files in no set order
        assert warehouse.present("alpha", "people", ["mail"], 10, within=500) == []


def test_preview_reads_times_with_their_zone(warehouse: Warehouse) -> None:
    """DuckDB hands a TIMESTAMPTZ to Python only with pytz installed (kitchen show)."""
    events = TableSpec("events", (Column("id", "INTEGER"), Column("seen", "TIMESTAMPTZ")))
    seen = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    warehouse.create_schema("alpha")
    warehouse.create_table("alpha", events)
    warehouse.insert_rows("alpha", "events", ["id", "seen"], [(1, seen)])
    (row,) = warehouse.preview("alpha", "events", 1)[1]
    assert row[1] == seen and row[1].utcoffset() is not None


def test_copy_inside_and_across_environments(
    warehouse: Warehouse, other_environment: Warehouse
) -> None:
    other_environment.create_schema("production")
    other_environment.create_table("production", PEOPLE)
    other_environment.insert_rows("production", "people", ["id", "name"], [(1, "ann"), (2, "bo")])
    warehouse.create_schema("dev")
    assert warehouse.copy_table(other_environment, "production", "people", "dev") == 2
    warehouse.create_schema("feature")
    assert warehouse.copy_table(warehouse, "dev", "people", "feature") == 2
    assert warehouse.preview("feature", "people", 5)[1] == [(1, "ann"), (2, "bo")]
    if warehouse.location != other_environment.location:  # one Spark server: one catalog
        assert not other_environment.schema_exists("dev")  # environments stay separate


def test_identifiers_are_quoted_not_interpreted(warehouse: Warehouse) -> None:
    hostile = 'x"; DROP SCHEMA victim CASCADE; --'
    warehouse.create_schema("victim")
    if not warehouse.any_names:  # refused as a name, never read as SQL
        with pytest.raises(WarehouseError, match="not a valid name"):
            warehouse.create_schema(hostile)
        assert warehouse.schema_exists("victim")
        return
    warehouse.create_schema(hostile)
    assert warehouse.schema_exists(hostile) and warehouse.schema_exists("victim")


def test_transaction_rolls_back_on_error(warehouse: Warehouse) -> None:
    needs(warehouse, "transactional", "no transactions")
    warehouse.create_schema("t")
    warehouse.create_table("t", PEOPLE)
    with pytest.raises(WarehouseError), warehouse.transaction():
        warehouse.insert_rows("t", "people", ["id", "name"], [(1, "a")])
        warehouse.insert_rows("t", "people", ["id", "name"], [(1, "duplicate")])
    assert warehouse.row_count("t", "people") == 0


def test_a_bad_statement_is_a_warehouse_error(warehouse: Warehouse) -> None:
    with pytest.raises(WarehouseError, match="refused"):
        warehouse.row_count("nowhere", "nothing")


def test_swap_in_moves_the_new_tables_and_drops_the_gone_ones(warehouse: Warehouse) -> None:
    """In one transaction; the staging schema is left empty, which recovery relies on."""
    table = TableSpec("t", (Column("v", "INTEGER"),))
    for schema in ("kitchen", "staging"):
        warehouse.create_schema(schema)
        warehouse.create_table(schema, table)
    warehouse.create_table("kitchen", TableSpec("old", (Column("v", "INTEGER"),)))
    warehouse.create_table("kitchen", TableSpec("own", (Column("v", "INTEGER"),)))
    warehouse.insert_rows("staging", "t", ["v"], [(1,), (2,)])
    warehouse.swap_in("staging", "kitchen", ["t"], gone=["old"])
    assert warehouse.list_tables("kitchen") == ["own", "t"]
    assert warehouse.row_count("kitchen", "t") == 2
    assert warehouse.list_tables("staging") == []


def test_registry_round_trip(warehouse: Warehouse) -> None:
    needs(warehouse, "holds_registry", "the registry is kept in a store of its own")
    registry = Registry(warehouse)
    assert registry.all() == [] and registry.get("x") is None  # no registry yet: empty
    kitchen = Kitchen(
        "feature",
        "dev",
        "dev",
        "kitchen/feature",
        "feature",
        Status.PROVISIONING,
        staff=["a@x.io"],
        created_by="a@x.io",
        created_at="2026-01-01T00:00:00+00:00",
    )
    registry.add(kitchen)
    registry.set_status("feature", Status.FAILED, "boom")
    registry.set_data("feature", DataState("dev", False, 3, 10, "2026-01-01T00:00:00+00:00"))
    stored = registry.get("feature")
    assert stored is not None
    assert (stored.status, stored.error, stored.staff) == (Status.FAILED, "boom", ["a@x.io"])
    assert stored.data == DataState("dev", False, 3, 10, "2026-01-01T00:00:00+00:00")
    assert [k.name for k in Registry(warehouse).all()] == ["feature"]
    # a record a later kitchen version wrote, with a field this one does not know, still reads
    later = '{"source": "dev", "masked": false, "tables": 3, "rows": 10, "copied_at": "t", "x": 1}'
    warehouse.execute(
        sql("UPDATE kitchen_meta.kitchens SET data = {} WHERE name = 'feature'", Literal(later))
    )
    assert registry.get("feature").data == DataState("dev", False, 3, 10, "t")  # type: ignore[union-attr]
    registry.remove("feature")
    assert registry.all() == []


def test_registry_pages_kitchens_in_byte_order(warehouse: Warehouse) -> None:
    """Pages of several environments' registries merge in Python, which sorts by code point:
    a database collation that skips '-' and '_' (en_US) would order 'a-b' after 'ab'."""
    needs(warehouse, "holds_registry", "the registry is kept in a store of its own")
    registry = Registry(warehouse)
    names = ["ab", "a_b", "a-b", "b", "a"]
    registry.add_all(
        [Kitchen(n, "dev", "dev", f"kitchen/{n}", n, Status.READY) for n in names], [], []
    )
    if isinstance(warehouse, PostgresWarehouse):  # as in a database made with en_US.UTF-8
        warehouse.execute(
            sql('ALTER TABLE kitchen_meta.kitchens ALTER name TYPE text COLLATE "en-US-x-icu"')
        )
    assert [k.name for k in registry.all()] == sorted(names) == ["a", "a-b", "a_b", "ab", "b"]
    assert [k.name for k in registry.all(limit=2)] == ["a", "a-b"]
    assert [k.name for k in registry.all(after="a-b", limit=2)] == ["a_b", "ab"]
    assert [k.name for k in registry.all(after="ab")] == ["b"]
    assert registry.all(after="b") == []


def test_registry_pages_the_trail_by_time_and_never_ends_a_page_inside_one(
    warehouse: Warehouse,
) -> None:
    needs(warehouse, "holds_registry", "the registry is kept in a store of its own")
    registry = Registry(warehouse)
    times = ["2026-01-05", "2026-01-04", "2026-01-04", "2026-01-04", "2026-01-03", "2026-01-01"]
    for number, at in enumerate(times):
        registry.record(Event(at, "a", f"a{number}", "k", "ok"))
    first = [event.at for event in registry.events("k", limit=2)]
    assert first == times[:4]  # the two newest, and the rest of the second's time
    assert [event.at for event in registry.events("k", 2, before="2026-01-04")] == times[4:]
    assert registry.events("k", 2, before="2026-01-01") == []
    assert registry.events("other", 2) == [] and len(registry.events(limit=0)) == 6


def test_registry_reads_a_kitchens_runs_a_page_at_a_time_none_twice_none_skipped(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs(warehouse, "holds_registry", "the registry is kept in a store of its own")
    registry = Registry(warehouse)
    times = ["2026-01-05", "2026-01-04", "2026-01-04", "2026-01-04", "2026-01-03", "2026-01-01"]
    for number, at in enumerate(times):
        for kitchen in ("k", "other"):
            run = {"id": f"{kitchen}{number}", "kitchen": kitchen, "pipelines": "p"}
            run |= {"commit_sha": "c", "dirty": False, "started_at": at, "ended_at": at}
            registry.add_run(Run(**run, status="passed", results={}))
    everything = [run.id for run in registry.runs("k")]
    assert [run.id for run in registry.each_run("k", page=2)] == everything
    assert sorted(everything) == [f"k{number}" for number in range(6)]
    read: list[tuple[object, ...]] = []
    original = registry.runs

    def spy(*args: object) -> list[Run]:
        read.append(args)
        return original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(registry, "runs", spy)
    assert next(run.id for run in registry.each_run("k", page=2)) == "k0"
    assert read == [("k", 2, None)]  # the first page only: the caller stopped there


def test_a_registry_made_before_migrations_is_brought_forward_once_by_the_next_write(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A registry as the release of 2026-12-03 made it: its tables and indexes, no record of
    migrations, locks without host and pid, kitchens without ticket and notify."""
    from kitchen.backends import registry_layout as layout

    needs(warehouse, "holds_registry", "the registry is kept in a store of its own")

    warehouse.create_schema("kitchen_meta")
    for spec in (layout.KITCHENS, *layout.TABLES):
        old = [c for c in spec.columns if c.name not in ("ticket", "notify", "host", "pid")]
        warehouse.create_table("kitchen_meta", TableSpec(spec.name, tuple(old), spec.primary_key))
    warehouse.insert_rows("kitchen_meta", "kitchens", ["name", "status"], [("kept", "ready")])
    registry = Registry(warehouse)
    assert [k.name for k in registry.all()] == ["kept"]  # read as it is
    registry.record(Event("2026-12-04", "a", "x", "k", "ok"))
    table = warehouse.table("kitchen_meta", "migrations")
    recorded = warehouse.execute(sql("SELECT version, name FROM {} ORDER BY version", table))
    assert [tuple(row) for row in recorded] == [(m.version, m.name) for m in layout.MIGRATIONS]
    columns = {name for name, _ in warehouse.column_types("kitchen_meta", "locks")}
    assert {"host", "pid"} <= columns
    assert [k.name for k in registry.all()] == ["kept"]
    registry.lock("dev", "someone@acme.example")  # the renewed locks table takes holders
    monkeypatch.setattr(layout, "migrate", lambda *args: pytest.fail("migrated twice"))
    Registry(warehouse).record(Event("2026-12-05", "a", "y", "k", "ok"))


def test_duckdb_file_in_use_is_unreachable(tmp_path: Path) -> None:
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(tmp_path / 'dev.duckdb')!r}); "
            "print('open', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(WarehouseUnreachable) as caught:
            DuckDBWarehouse(tmp_path / "dev.duckdb", "dev").list_schemas()
        assert caught.value.exit_code == 5 and "dev warehouse" in caught.value.message
    finally:
        holder.kill()
        holder.wait()


@pytest.fixture(params=SECRETS)
def secrets(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> SecretStore:
    if request.param == "file":
        return FileSecretStore(tmp_path / "secrets.yaml", "dev")
    server = request.getfixturevalue("openbao")
    monkeypatch.setenv("VAULT_TOKEN", server.root_token)
    settings = config.VaultSecrets(type="vault", url=server.url, path=f"kitchen/{tmp_path.name}")
    return VaultSecretStore(settings, "dev", tmp_path)


def test_a_hand_written_secrets_file_lists_and_edits_fields_as_referenced(
    tmp_path: Path,
) -> None:
    """`pg: {password: ...}` is referenced as pg#password: it was listed as `pg`."""
    path = tmp_path / "secrets.yaml"
    path.write_text("pg:\n  password: pw-1\n  user: etl\nplain: v\n")
    path.chmod(0o600)
    store = FileSecretStore(path, "dev")
    assert store.keys() == ["pg#password", "pg#user", "plain"]
    store.set("pg#password", "pw-2")
    assert store.get("pg#password") == "pw-2" and "pw-1" not in path.read_text()
    store.delete("pg#password")
    store.delete("pg#user")
    assert store.keys() == ["plain"]


def test_secrets_round_trip_without_leaking(secrets: SecretStore) -> None:
    secrets.set("masking#salt", "s3cr3t-canary")
    secrets.set("warehouse#password", "pw-canary")
    assert secrets.get("masking#salt") == "s3cr3t-canary"
    assert secrets.keys() == ["masking#salt", "warehouse#password"]
    secrets.delete("masking#salt")
    with pytest.raises(SecretsError) as caught:
        secrets.get("masking#salt")
    assert caught.value.exit_code == 2
    assert "masking" in caught.value.message and "s3cr3t" not in caught.value.message
    assert secrets.get("warehouse#password") == "pw-canary"


def test_a_misspelt_key_is_named_with_the_one_meant_and_no_value(secrets: SecretStore) -> None:
    secrets.set("warehouse#password", "pw-canary-4")
    with pytest.raises(SecretsError) as refused:
        secrets.get("warehouse#pasword")
    assert "Did you mean 'warehouse#password'?" in refused.value.message
    assert "canary" not in refused.value.message + (refused.value.hint or "")


def test_fields_of_one_secret_are_independent(secrets: SecretStore) -> None:
    secrets.set("db#user", "kitchen")
    secrets.set("db#password", "pw")
    secrets.set("db#password", "pw2")
    assert (secrets.get("db#user"), secrets.get("db#password")) == ("kitchen", "pw2")


def test_secrets_file_is_private(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "s" / "dev.yaml", "dev")
    assert store.create() and not store.create()
    store.set("k", "v")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    store.path.chmod(0o644)
    with pytest.raises(SecretsError, match="readable by others") as caught:
        store.get("k")
    assert caught.value.hint == f"Run `chmod 600 {store.path}`."


def test_broken_secrets_file_does_not_echo_its_content(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "dev.yaml", "dev")
    store.create()
    store.path.write_text("user: kitchen\ntoken: [s3cr3t-canary\n")
    with pytest.raises(SecretsError) as caught:
        store.get("token")
    assert "s3cr3t" not in f"{caught.value} {caught.value.hint}"
    assert "is not valid YAML (line 3, column 1)" in str(caught.value)  # where, never what


@pytest.fixture(params=ARTIFACTS)
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "artifacts", "dev")
    server = request.getfixturevalue("s3")
    bucket = request.getfixturevalue("s3_bucket")
    settings = config.S3Artifacts(type="s3", bucket=bucket, prefix="team", endpoint_url=server.url)
    return S3ArtifactStore(settings, "dev")


def test_s3_failures_have_exit_codes(s3, s3_bucket: str) -> None:
    from kitchen.errors import ExitCode, KitchenError
    from tests.servers import free_port

    missing = config.S3Artifacts(type="s3", bucket="no-such-bucket", endpoint_url=s3.url)
    with pytest.raises(KitchenError) as caught:
        S3ArtifactStore(missing, "dev").put("a/b", b"x")
    assert (
        caught.value.exit_code == ExitCode.PRECONDITION and "does not exist" in caught.value.message
    )
    down = config.S3Artifacts(
        type="s3", bucket=s3_bucket, endpoint_url=f"http://127.0.0.1:{free_port()}"
    )
    with pytest.raises(KitchenError) as caught:
        S3ArtifactStore(down, "dev").put("a/b", b"x")
    assert caught.value.exit_code == ExitCode.UNREACHABLE


def test_artifacts_round_trip(artifacts: ArtifactStore) -> None:
    artifacts.put("kitchens/a/runs/1/log.txt", b"hello")
    artifacts.put("kitchens/a/runs/1/report.json", b"{}")
    artifacts.put("kitchens/b/runs/2/log.txt", b"other")
    assert artifacts.get("kitchens/a/runs/1/log.txt") == b"hello"
    assert artifacts.list("kitchens/a/") == [
        "kitchens/a/runs/1/log.txt",
        "kitchens/a/runs/1/report.json",
    ]
    assert artifacts.delete("kitchens/a/") == 2
    assert artifacts.list() == ["kitchens/b/runs/2/log.txt"]
    with pytest.raises(ArtifactsError):
        artifacts.get("kitchens/a/runs/1/log.txt")


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", ""])
def test_artifact_keys_cannot_escape(artifacts: ArtifactStore, key: str) -> None:
    with pytest.raises(ArtifactsError):
        artifacts.put(key, b"x")


def test_foreign_keys_with_nullability(warehouse: Warehouse) -> None:
    from kitchen.backends.warehouse.base import ForeignKey, Reference

    needs(warehouse, "declares_keys", "no keys in its catalog (data.sample.foreign_keys)")

    warehouse.create_schema("shop")
    warehouse.create_table("shop", PEOPLE)
    staff = TableSpec(
        "staff",
        (Column("id", "INTEGER"), Column("person", "INTEGER NOT NULL"), Column("boss", "INTEGER")),
        primary_key="id",
        foreign_keys=(ForeignKey("person", "people", "id"), ForeignKey("boss", "staff", "id")),
    )
    warehouse.create_table("shop", staff)
    assert sorted(warehouse.foreign_keys("shop"), key=lambda r: r.parent) == [
        Reference("staff", ("person",), "people", ("id",), nullable=False),
        Reference("staff", ("boss",), "staff", ("id",), nullable=True),
    ]
    assert warehouse.foreign_keys("public") == []


def test_primary_keys_in_key_order(warehouse: Warehouse) -> None:
    needs(warehouse, "declares_keys", "no keys in its catalog")
    warehouse.create_schema("shop")
    warehouse.create_table("shop", PEOPLE)
    warehouse.execute(sql("CREATE TABLE shop.visits (day DATE, person INTEGER, note TEXT)"))
    warehouse.execute(
        sql("CREATE TABLE shop.shifts (team TEXT, day DATE, PRIMARY KEY (day, team))")
    )
    assert warehouse.primary_keys("shop") == {"people": ("id",), "shifts": ("day", "team")}
    assert warehouse.primary_keys("public") == {}


ODD = 'we"ird;--%s{x}'  # a quote, a comment, a psycopg placeholder, a format field


def test_odd_names_reach_every_query_as_names(warehouse: Warehouse) -> None:
    """A table so named made every query with parameters fail on PostgreSQL ("the query
    has 2 placeholders but 1 parameters"): the PII scan's, and so every refresh."""
    needs(warehouse, "any_names", "its catalog takes letters, digits and _ in names")
    column = "e%s'mail{0}"
    spec = TableSpec(ODD, (Column("id", "INTEGER"), Column(column, "TEXT")), primary_key="id")
    warehouse.create_schema("shop")
    warehouse.create_table("shop", spec)
    warehouse.insert_rows("shop", ODD, ["id", column], [(1, "a@b.example"), (2, None)])
    assert warehouse.list_tables("shop") == [ODD]
    assert [name for name, _ in warehouse.column_types("shop", ODD)] == ["id", column]
    assert warehouse.present("shop", ODD, [column], 5, within=10) == [("a@b.example",)]
    assert warehouse.primary_keys("shop") == {ODD: ("id",)}
    warehouse.create_schema("copy")
    structure = warehouse.read_structure("shop", [ODD], {})
    assert structure is not None
    warehouse.build_before(structure, "copy")
    warehouse.copy_table(warehouse, "shop", ODD, "copy", into_existing=True)
    warehouse.build_after(structure, "copy")
    assert warehouse.row_count("copy", ODD) == 2
    assert warehouse.primary_keys("copy") == {ODD: ("id",)}


# A parent with what every engine keeps in a kitchen; in the schema {s}
SHOP = [
    "CREATE SEQUENCE {s}.ids START 10",
    "CREATE TABLE {s}.people (id INTEGER PRIMARY KEY DEFAULT nextval('{s}.ids'),"
    " name VARCHAR NOT NULL UNIQUE, team VARCHAR DEFAULT 'data')",
    "CREATE TABLE {s}.visits (id INTEGER PRIMARY KEY,"
    " person INTEGER NOT NULL REFERENCES {s}.people (id), day DATE)",
    "CREATE INDEX visits_day ON {s}.visits (day)",
    "CREATE VIEW {s}.regulars AS SELECT p.name, count(*) AS visits FROM {s}.people AS p"
    " JOIN {s}.visits AS v ON v.person = p.id GROUP BY p.name",
    "INSERT INTO {s}.people (name) VALUES ('ann'), ('bo')",
    "INSERT INTO {s}.visits VALUES (1, 10, DATE '2026-01-01'), (2, 10, DATE '2026-01-02'),"
    " (3, 11, DATE '2026-01-02')",
]


@pytest.mark.parametrize("across", [False, True], ids=["same", "across"])
def test_a_copy_keeps_keys_defaults_sequences_and_views(
    warehouse: Warehouse, other_environment: Warehouse, across: bool
) -> None:
    needs(warehouse, "declares_keys", "tables alone: no keys, defaults or sequences")
    source = other_environment if across else warehouse
    source.create_schema("alpha")
    for statement in SHOP:
        source.execute(Query((statement.format(s="alpha"),)))
    tables = ["people", "visits"]
    warehouse.create_schema("beta")
    with warehouse.snapshot(source, "alpha", tables):
        structure = source.read_structure("alpha", tables, {})
        assert structure is not None
        warehouse.build_before(structure, "beta")
        for table in structure.arrival:
            warehouse.copy_table(source, "alpha", table, "beta", into_existing=True)
    warehouse.build_after(structure, "beta")
    assert structure.arrival.index("people") < structure.arrival.index("visits")
    warehouse.execute(sql("INSERT INTO beta.people (name) VALUES ('cy')"))
    assert warehouse.execute(sql("SELECT id, team FROM beta.people WHERE name = 'cy'")) == [
        (12, "data")  # the sequence stood where the parent's did
    ]
    refused = [
        "INSERT INTO beta.people (id, name) VALUES (10, 'again')",
        "INSERT INTO beta.people (name) VALUES ('ann')",
        "INSERT INTO beta.people (id, name) VALUES (99, NULL)",
        "INSERT INTO beta.visits VALUES (9, 99, NULL)",
    ]
    for statement in refused:
        with pytest.raises(WarehouseError):
            warehouse.execute(Query((statement,)))
    assert warehouse.execute(sql("SELECT name, visits FROM beta.regulars ORDER BY name")) == [
        ("ann", 2),
        ("bo", 1),
    ]
    assert warehouse.primary_keys("beta") == {"people": ("id",), "visits": ("id",)}
    assert warehouse.foreign_keys("beta") == [
        Reference("visits", ("person",), "people", ("id",), nullable=False)
    ]
    assert source.execute(sql("SELECT count(*) FROM alpha.people")) == [(2,)]


def test_postgres_copy_works_where_the_parallel_hint_is_unknown(
    postgres_database: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Servers that speak the protocol without PostgreSQL's settings (Redshift) still copy."""
    from kitchen.backends.warehouse.postgres import copying

    monkeypatch.setattr(copying, "PARALLEL_COPY", ("no_such_setting", "parallel_setup_cost"))
    dsn = postgres_database("dev")
    warehouse = PostgresWarehouse(config.PostgresWarehouse(type="postgres", dsn=dsn), "dev")
    warehouse.create_schema("a")
    warehouse.create_table("a", PEOPLE)
    warehouse.insert_rows("a", "people", ["id", "name"], [(1, "x")])
    warehouse.create_schema("b")
    assert warehouse.copy_table(warehouse, "a", "people", "b") == 1
    assert warehouse.execute(sql("SHOW parallel_setup_cost"))[0][0] == "1000"  # reset after
    warehouse.close()


@pytest.mark.parametrize("across", [False, True], ids=["same database", "another database"])
def test_a_sampled_copy_joins_by_hash_where_its_query_runs(
    postgres_database: Callable[[str], str], across: bool
) -> None:
    """A sample's semi-joins have row counts the planner cannot estimate: with nested loops
    a 100,000-payment shop's customers took 14.5 s instead of 0.13 s. The setting is on the
    session that runs the query (the source's, between databases), and reset after."""

    def open_one(label: str) -> PostgresWarehouse:
        dsn = postgres_database(label)
        return PostgresWarehouse(config.PostgresWarehouse(type="postgres", dsn=dsn), label)

    source = open_one("dev")
    into = open_one("other") if across else source
    source.create_schema("a")
    source.create_table("a", PEOPLE)
    source.insert_rows("a", "people", ["id", "name"], [(1, "x"), (2, "y")])
    into.create_schema("b")
    planned = sql("current_setting('enable_nestloop') = 'off'")  # true only while copying
    assert into.copy_table(source, "a", "people", "b", where=[planned]) == 2
    assert into.copy_table(source, "a", "people", "b", where=[], into_existing=True) == 4
    for warehouse in {source, into}:
        assert warehouse.execute(sql("SHOW enable_nestloop"))[0][0] == "on"
        warehouse.close()
