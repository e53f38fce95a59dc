"""Isolation for every test: HOME, git identity and backend variables cannot leak in."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from kitchen import config, redaction
from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.duckdb import DuckDBWarehouse
from kitchen.backends.warehouse.postgres import PostgresWarehouse
from kitchen.cli.main import main
from kitchen.workflows import datacopy
from tests.servers import (
    OpenBaoServer,
    PostgresServer,
    S3Server,
    SparkServer,
    free_port,
    let_in,
    start_openbao,
    start_postgres,
    start_s3,
    start_spark,
    wheel_binaries,
)

USER = "dev@acme.example"
LEAKY_PREFIXES = ("VAULT_", "AWS_", "PG", "KITCHEN_", "GIT_")


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in list(os.environ):
        if name.startswith(LEAKY_PREFIXES):
            monkeypatch.delenv(name)
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        f"[user]\n\tname = Dev\n\temail = {USER}\n[init]\n\tdefaultBranch = main\n"
    )
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that rich never wraps a name
    # a run's HTML report costs ~1 s of Vega start-up per process: the report's own tests
    # (test_report.py) switch it on with the ``reports`` fixture
    monkeypatch.setenv("KITCHEN_REPORT", "0")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate(monkeypatch, tmp_path / "home")
    monkeypatch.chdir(tmp_path)
    # each test is a process of its own: it knows only the secrets it resolved
    monkeypatch.setattr(redaction, "_known", redaction._Known())


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


# Every secret value the tests plant contains this word; kitchen must never print one.
CANARY = re.compile(r"[\w.-]*canary[\w.-]*")
PRINTED: list[tuple[str, str]] = []  # (command, what kitchen printed) over the whole session


def record(args: tuple[str, ...], result: Result) -> Result:
    PRINTED.append((" ".join(args), result.out + result.err))
    return result


def leaked(printed: list[tuple[str, str]]) -> list[str]:
    return [
        f"kitchen {command}: {sorted(set(CANARY.findall(text)))}"
        for command, text in printed
        if CANARY.search(text)
    ]


WRITTEN = ("*/.kitchen/artifacts/**/*", "**/*.xml", "**/report.json", "**/*.log", "**/*.html")


def written(base: Path) -> list[tuple[str, str]]:
    """What kitchen wrote to disk in the suite's folders: artifacts (reports, JUnit, node
    logs), JUnit files, downloads. Secrets files and git's own files are not its output."""
    found = {path for pattern in WRITTEN for path in base.glob(pattern) if path.is_file()}
    return [
        (str(path.relative_to(base)), path.read_text(errors="replace"))
        for path in sorted(found)
        if ".git" not in path.parts and "secrets" not in path.parts
    ]


@pytest.fixture(autouse=True)
def no_canary_in_output(request: pytest.FixtureRequest) -> Iterator[None]:
    """The canary check of each test: what kitchen printed during it, and what it wrote in
    the test's folder. A leak fails that test (so it counts under pytest-xdist too)."""
    start = len(PRINTED)
    yield
    folder = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    files = written(folder) if folder is not None else []
    CHECKED_FILES.update(name for name, _ in files)
    leaks = leaked(PRINTED[start:] + files)
    if leaks:
        pytest.fail("Secret canaries in kitchen's output:\n" + "\n".join(leaks), pytrace=False)


CHECKED_FILES: set[str] = set()


def pytest_configure(config: pytest.Config) -> None:
    """The suite starts kitchen as a process of its own hundreds of times: where the machine
    says not to write bytecode (PYTHONDONTWRITEBYTECODE), each start compiled kitchen's
    modules again, 0.15 to 0.2 s of its 1 s. They are cached in the system's temporary
    folder instead, never in the clone."""
    import tempfile

    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    os.environ.setdefault("PYTHONPYCACHEPREFIX", str(Path(tempfile.gettempdir()) / "kitchen-pyc"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The canary check's tally (each worker's, under pytest-xdist); at the very end (in
    the process that started the workers) the shared Spark server is stopped."""
    if not hasattr(session.config, "workerinput"):
        factory = session.config._tmp_path_factory  # type: ignore[attr-defined]
        server = SparkServer.saved(factory.getbasetemp() / SPARK_FILE)
        if server is not None:
            server.stop()
    if PRINTED and exitstatus == pytest.ExitCode.OK:
        sys.stderr.write(
            f"\ncanary check: {len(PRINTED)} kitchen outputs and {len(CHECKED_FILES)} files it "
            "wrote, no secret in any\n"
        )


class Cli:
    """Runs `kitchen` in-process, as the console script would, capturing its output."""

    def __init__(self, capsys: pytest.CaptureFixture[str], directory: Path) -> None:
        self.capsys = capsys
        self.directory = directory

    def __call__(self, *args: str) -> Result:
        self.capsys.readouterr()
        code = main(["-C", str(self.directory), *args])
        captured = self.capsys.readouterr()
        return record(args, Result(code, captured.out, captured.err))


def run_kitchen(
    directory: Path, *args: str, env: dict[str, str] | None = None, tool_output: bool = False
) -> Result:
    """Runs `kitchen` in a subprocess: for crashes, start-up cost and the real entry point.

    ``tool_output``: the output is a tool's own (``kitchen run``), not kitchen's, and may hold
    the secrets the tool was given; it is left out of the canary check.
    """
    completed = subprocess.run(
        [sys.executable, "-m", "kitchen", "-C", str(directory), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )
    result = Result(completed.returncode, completed.stdout, completed.stderr)
    return result if tool_output else record(args, result)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session, on loopback."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres16() -> Iterator[PostgresServer]:
    """The pgserver wheel's PostgreSQL 16, beside the system's (15 here; where a machine has
    none, the session's server is this one too)."""
    server = start_postgres(wheel_binaries())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def openbao() -> Iterator[OpenBaoServer]:
    """One real OpenBao dev server (the Vault API) for the whole session, on loopback."""
    server = start_openbao()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    """One S3-compatible server (moto_server) for the whole session, on loopback."""
    server = start_s3()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A fresh bucket, with the credentials boto3 finds in the standard variables."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing-canary-key")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    name = f"kitchen-{tmp_path.name.replace('_', '-').lower()}"[:63]
    boto3.client("s3", endpoint_url=s3.url).create_bucket(Bucket=name)
    return name


@pytest.fixture
def postgres_database(postgres: PostgresServer) -> Iterator[Callable[[str], str]]:
    """Creates fresh databases on the session's server; returns their DSNs."""
    import psycopg

    created: list[str] = []

    def make(label: str) -> str:
        name = f"t{len(created)}_{label}_{os.getpid()}_{id(created) % 100000}"
        with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return postgres.dsn(name)

    yield make
    import psycopg as driver

    with driver.connect(postgres.dsn(), autocommit=True) as admin:
        for name in created:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


WarehouseFactory = Callable[[str], "Warehouse"]


def _run_folder(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The folder every worker of this run shares."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


@contextlib.contextmanager
def _taking_turns(lock: Path) -> Iterator[None]:
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def spark(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[SparkServer]:
    """One Spark Connect server on loopback (Java 17) for the whole run: the first test to
    need it starts it, the run's end stops it. Its tests take turns, across workers: they
    share its catalog, and each starts with no database but the default."""
    if shutil.which("java") is None:
        pytest.skip("no Java: the Spark Connect server needs Java 17 (.ci/run installs it)")
    shared = _run_folder(tmp_path_factory, worker_id)
    with _taking_turns(shared / "spark.lock"):
        server = SparkServer.saved(shared / SPARK_FILE)
        if server is None:
            server = start_spark()
            server.save(shared / SPARK_FILE)
        _empty_catalog(server)
        yield server


SPARK_FILE = "spark-server.json"


def _empty_catalog(server: SparkServer) -> None:
    from kitchen.backends.warehouse.spark import SparkWarehouse

    warehouse = SparkWarehouse(config.SparkWarehouse(type="spark", url=server.url), "test")
    for schema in warehouse.list_schemas():
        if schema != "default":
            warehouse.drop_schema(schema)
    warehouse.close()


def _opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarehouseFactory]:
    """Opens the warehouse of an environment on the engine ``request.param`` names, each in
    its own file or database (on Spark, one catalog, which each test finds empty)."""
    opened: list[Warehouse] = []

    def duckdb(environment: str) -> Warehouse:
        return DuckDBWarehouse(tmp_path / f"{environment}_warehouse.duckdb", environment)

    def postgres(environment: str) -> Warehouse:
        dsn = request.getfixturevalue("postgres_database")(environment)
        return PostgresWarehouse(config.PostgresWarehouse(type="postgres", dsn=dsn), environment)

    def spark(environment: str) -> Warehouse:
        from kitchen.backends.warehouse.spark import SparkWarehouse

        server = request.getfixturevalue("spark")
        return SparkWarehouse(config.SparkWarehouse(type="spark", url=server.url), environment)

    def make(environment: str) -> Warehouse:
        engines = {"duckdb": duckdb, "postgres": postgres, "spark": spark}
        warehouse = engines[request.param](environment)
        opened.append(warehouse)
        return warehouse

    yield make
    for warehouse in opened:
        warehouse.close()


@pytest.fixture(params=["duckdb", "postgres"])
def open_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WarehouseFactory]:
    """The engines the data layer's tests run on (Spark's: tests/integration/test_spark.py)."""
    yield from _opener(request, tmp_path)


@pytest.fixture(params=["duckdb", "postgres", "spark"])
def open_any_warehouse(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[WarehouseFactory]:
    """Every engine: the port's contract suite runs on each."""
    yield from _opener(request, tmp_path)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One `kitchen init --demo` per session; tests get a copy of it."""
    base = tmp_path_factory.mktemp("template")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, base / "home")
        assert main(["init", "--demo", str(base / "shop")]) == 0
    yield base / "shop"


@pytest.fixture
def shop(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(demo_template, target, symlinks=True)
    return target


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], shop: Path) -> Cli:
    return Cli(capsys, shop)


def snapshot(project: Path, *, trail: bool = False) -> dict[str, Any]:
    """Everything a kitchen command may change: branches, schemas, tables, registry rows
    (with ``trail``, the audit trail's too, where a failed command is recorded).

    Read with git and duckdb directly, not through kitchen, so a bug cannot hide itself.
    """
    import duckdb

    heads = subprocess.run(
        ["git", "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    state: dict[str, Any] = {"branches": sorted(line for line in heads if line)}
    for path in sorted((project / ".kitchen" / "warehouse").glob("*.duckdb")):
        connection = duckdb.connect(str(path), read_only=True)
        try:
            tables = connection.execute(
                "SELECT table_schema, table_name FROM information_schema.tables ORDER BY 1, 2"
            ).fetchall()
            schemas = connection.execute(
                "SELECT schema_name FROM information_schema.schemata"
                " WHERE catalog_name = current_database() ORDER BY 1"
            ).fetchall()
            rows = connection.execute(
                "SELECT name, status FROM kitchen_meta.kitchens ORDER BY 1"
            ).fetchall()
            # runs, releases, operations, locks and what kitchen made, and the trail
            records = {
                name: sorted(map(str, connection.execute(f"FROM kitchen_meta.{name}").fetchall()))
                for (name,) in connection.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = 'kitchen_meta' AND table_name <> 'kitchens'"
                ).fetchall()
                if trail or name != "events"
            }
        finally:
            connection.close()
        environment = path.stem.removesuffix("_warehouse")
        state[environment] = {
            "schemas": schemas,
            "tables": tables,
            "registry": rows,
            "records": records,
        }
    return state


def copy_args(projection: Any) -> dict[str, Any]:
    """copy_table's keyword arguments for a projection.Projection."""
    return {"select": projection.columns, "derived": projection.derived}


def edit_config(project: Path, old: str, new: str) -> None:
    """Change one passage of a project's kitchen.yaml (which must contain it)."""
    path = project / "kitchen.yaml"
    text = path.read_text()
    assert old in text, f"kitchen.yaml has no {old!r}"
    path.write_text(text.replace(old, new, 1))


Done = TypeVar("Done")


def after_the_first_table(
    monkeypatch: pytest.MonkeyPatch, action: Callable[[], Done]
) -> list[Done]:
    """Run ``action`` once, when a copy has copied its first table; its result is listed."""
    ran: list[Done] = []

    def checkpoint(step: str) -> None:
        if step == "copy.table" and not ran:
            ran.append(action())

    monkeypatch.setattr(datacopy.faults, "checkpoint", checkpoint)
    return ran


CONFIG = """\
project: shop
environments:
  production:
    warehouse: {{type: postgres, dsn: "{production}"}}
    secrets: {{type: file, path: .kitchen/secrets/production.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/production}}
  dev:
    warehouse: {{type: postgres, host: 127.0.0.1, port: {port}, user: {user}, dbname: {dev}}}
    secrets: {{type: file, path: .kitchen/secrets/dev.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/dev}}
kitchens:
  production: {{environment: production, branch: main, schema: analytics, protected: true}}
  dev: {{environment: dev, parent: production, branch: develop}}
data:
  masking:
    salt: "{{{{ secret('masking#salt') }}}}"
    rules: {{customers.email: email, customers.full_name: name, customers.phone: phone}}
"""


CONFIG_DEV: dict[Path, str] = {}  # each project's dev database
LOGINS: dict[Path, tuple[str, str]] = {}  # each project's login (user, password)


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A real HTTP server on loopback taking webhook messages: its URL and what it got."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[dict[str, str]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook-canary-token", received
    server.shutdown()


@pytest.fixture
def pg_project(
    tmp_path: Path,
    postgres: PostgresServer,
    postgres_database: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    """A project on the session's PostgreSQL, where kitchen logs in as a team's DBA lets
    it: a login that is no superuser, may create roles (for kitchen_roles) and may create
    schemas in both databases (docs/secrets.md); its password has quotes, an ampersand, a
    space and a non-ASCII letter, and reaches libpq as PGPASSWORD. The superuser only sets
    the server up and looks."""
    import psycopg
    from psycopg import sql as pgsql
    from psycopg.conninfo import make_conninfo

    databases = [postgres_database(label).split("dbname=")[1] for label in ("production", "dev")]
    production, dev = databases
    user = f"login_{dev}"[:63]
    password = "canary-p'a\"ss wörd&<" + secrets.token_urlsafe(8)
    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        admin.execute(
            pgsql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                pgsql.Identifier(user), pgsql.Literal(password)
            )
        )
    let_in(postgres, user, databases)
    project = tmp_path / "pg"
    project.mkdir()
    CONFIG_DEV[project], LOGINS[project] = dev, (user, password)
    source = make_conninfo(host=postgres.host, port=postgres.port, user=user, dbname=production)
    (project / "kitchen.yaml").write_text(
        CONFIG.format(production=source, port=postgres.port, dev=dev, user=user)
    )
    monkeypatch.setenv("PGPASSWORD", password)  # libpq's own variable, as users set it
    yield project
    # the server outlives the test: the login and the kitchens' logins it made go, with what
    # they own (what a kitchen's login owns in another test's database stays with it)
    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        made = admin.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
            " JOIN pg_roles l ON l.oid = m.member WHERE l.rolname = %s",
            [user],
        ).fetchall()
    roles = [pgsql.Identifier(name) for name in [*(row[0] for row in made), user]]
    for database in [*databases, "postgres"]:
        with psycopg.connect(postgres.dsn(database), autocommit=True) as admin:
            for role in roles:
                admin.execute(pgsql.SQL("DROP OWNED BY {} CASCADE").format(role))
    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        for role in roles:
            with contextlib.suppress(psycopg.errors.DependentObjectsStillExist):
                admin.execute(pgsql.SQL("DROP ROLE {}").format(role))
