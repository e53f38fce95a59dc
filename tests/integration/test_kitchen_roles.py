"""A PostgreSQL login per kitchen: its own schema only, never production; gone on delete."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import psycopg.conninfo
import pytest
from psycopg import sql as pgsql
from psycopg.conninfo import make_conninfo

from kitchen.backends.warehouse.postgres import login_name
from tests.conftest import CONFIG, CONFIG_DEV, LOGINS, Cli, edit_config, run_kitchen
from tests.gitrepo import commit, git
from tests.integration.test_postgres import production_dsn
from tests.servers import PostgresServer, let_in

# Tries each action as the kitchen's login (libpq reads the PG* variables kitchen run sets).
PROBE = """
import json, os, psycopg
attempts = {
    "who": "SELECT current_user",
    "read own": "SELECT count(*) FROM orders",
    "create own": "CREATE TABLE mine AS SELECT 1 AS x",
    "read parent": "SELECT count(*) FROM dev.orders",
    "write parent": "DELETE FROM dev.orders",
    "create in parent": "CREATE TABLE dev.intruder (x int)",
    "create in public": "CREATE TABLE public.intruder (x int)",
}
results = {}
with psycopg.connect("", autocommit=True) as connection:
    for name, statement in attempts.items():
        try:
            row = connection.execute(statement).fetchone() if "SELECT" in statement[:6] else (
                connection.execute(statement), "ok")[1]
            results[name] = row[0] if isinstance(row, tuple) else row
        except psycopg.errors.InsufficientPrivilege:
            results[name] = "denied"
try:
    with psycopg.connect(dbname=os.environ["PRODUCTION_DB"]) as production:
        production.execute("SELECT count(*) FROM analytics.customers").fetchone()
        results["read production"] = "allowed"
except (psycopg.errors.InsufficientPrivilege, psycopg.OperationalError):  # may not connect
    results["read production"] = "denied"
print(json.dumps(results))
"""


@pytest.fixture
def roles_project(capsys, pg_project: Path) -> Cli:
    edit_config(pg_project, ", dbname:", ", kitchen_roles: true, dbname:")
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    return cli


def as_login(project: Path, kitchen: str, *script: str) -> Any:
    """What a Python ``script`` run as ``kitchen``'s login printed, read as JSON; it is told
    production's database as PRODUCTION_DB."""
    production = psycopg.conninfo.conninfo_to_dict(production_dsn(project))["dbname"]
    result = run_kitchen(
        project,
        "run",
        kitchen,
        "--",
        sys.executable,
        *script,
        env={"PRODUCTION_DB": str(production)},
    )
    assert result.code == 0, result.err
    return json.loads(result.out)


def probe(project: Path, kitchen: str) -> dict[str, object]:
    return dict(as_login(project, kitchen, "-c", PROBE))


def roles(postgres: PostgresServer, project: Path) -> set[str]:
    """The kitchen logins on the server that the project's dev database was granted to:
    other tests' projects have theirs, in other databases."""
    with psycopg.connect(postgres.dsn()) as connection:
        rows = connection.execute(
            "SELECT r.rolname FROM pg_roles r, pg_database d, aclexplode(d.datacl) a"
            " WHERE r.rolname LIKE 'kitchen%%' AND d.datname = %s AND a.grantee = r.oid",
            [CONFIG_DEV[project]],
        )
        return {row[0] for row in rows.fetchall()}


def login(project: Path, kitchen: str) -> str:
    """The name of a kitchen's login in the project's dev environment."""
    return login_name(CONFIG_DEV[project], "dev", kitchen)


def test_a_kitchens_login_works_in_its_schema_and_nowhere_else(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    assert roles_project("create", "feature").code == 0
    assert roles(postgres, pg_project) == {login(pg_project, "feature")}
    seen = probe(pg_project, "feature")
    assert seen == {
        "who": login(pg_project, "feature"),
        "read own": 4000,
        "create own": "ok",
        "read parent": "denied",
        "write parent": "denied",
        "create in parent": "denied",
        "create in public": "denied",
        "read production": "denied",
    }
    secrets = (pg_project / ".kitchen/secrets/dev.yaml").read_text()
    assert f"kitchens/feature/warehouse#user: {login(pg_project, 'feature')}" in secrets


def test_a_pipelines_sql_and_checks_run_as_the_kitchens_login(
    roles_project: Cli, pg_project: Path
) -> None:
    """Tools ran as the kitchen's login, but SQL nodes and check queries ran as kitchen's own
    account, which could write the parent's schema, or any other."""
    assert roles_project("create", "feature").code == 0
    folder = pg_project / "pipelines" / "probe"
    folder.mkdir()
    (folder / "who.sql").write_text("create table who as select current_user as login;\n")
    (folder / "intrude.sql").write_text("create table dev.intruder as select 1 as x;\n")
    query = "select count(*) from who where login = current_user and login like 'kitchen_%'"
    check = f'{{type: sql, query: "{query}", expect: 1}}'
    (folder / "pipeline.yaml").write_text(
        "nodes:\n"
        f"  - {{name: who, type: sql, file: who.sql, tests: [{{name: same, check: {check}}}]}}\n"
        "  - {name: intrude, type: sql, file: intrude.sql}\n"
    )
    run = roles_project("test", "feature", "--pipeline", "probe", "--json").json()
    nodes = {node["node"]: node for node in run["nodes"]}
    assert nodes["who"]["status"] == "passed" and run["checks"][0]["status"] == "pass"
    assert nodes["intrude"]["status"] == "failed"
    assert "permission denied for schema dev" in nodes["intrude"]["message"]
    assert probe(pg_project, "feature")["who"] == login(pg_project, "feature")
    who = (
        "import psycopg; print(psycopg.connect('').execute('SELECT login FROM who').fetchone()[0])"
    )
    made = run_kitchen(pg_project, "run", "feature", "--", sys.executable, "-c", who)
    assert made.out.strip() == login(pg_project, "feature"), made.err


def test_a_root_kitchen_has_no_login_of_its_own_and_runs_with_kitchens(
    roles_project: Cli, pg_project: Path
) -> None:
    who = "import psycopg; print(psycopg.connect('').execute('SELECT current_user').fetchone()[0])"
    result = run_kitchen(pg_project, "run", "dev", "--", sys.executable, "-c", who)
    assert result.code == 0, result.err
    assert result.out.strip() == LOGINS[pg_project][0]  # the environment's, as init and CI use


def test_read_parent_lets_it_read_but_not_write_the_parent(
    roles_project: Cli, pg_project: Path
) -> None:
    edit_config(pg_project, "kitchen_roles: true,", "kitchen_roles: true, read_parent: true,")
    assert roles_project("create", "feature").code == 0
    seen = probe(pg_project, "feature")
    assert (seen["read parent"], seen["write parent"], seen["read production"]) == (
        4000,
        "denied",
        "denied",
    )
    # a refresh of the parent replaces its tables: the child's login could no longer read
    # them (the new tables had none of the old ones' grants)
    assert roles_project("data", "refresh", "dev").code == 0
    count = "import psycopg; print(psycopg.connect('').execute(" + (
        "'SELECT count(*) FROM dev.orders').fetchone()[0])"
    )
    read = run_kitchen(pg_project, "run", "feature", "--", sys.executable, "-c", count)
    assert (read.code, read.out.strip()) == (0, "4000"), read.err


def test_refresh_keeps_the_logins_rights_and_delete_removes_role_and_secret(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    assert roles_project("create", "feature").code == 0
    assert roles_project("data", "refresh", "feature").code == 0
    assert probe(pg_project, "feature")["read own"] == 4000
    assert roles_project("delete", "feature", "--yes").code == 0
    assert roles(postgres, pg_project) == set()
    assert "kitchens/feature" not in (pg_project / ".kitchen/secrets/dev.yaml").read_text()


@pytest.mark.parametrize("mode", ["", ":crash"])
def test_a_create_failing_at_the_login_leaves_no_role(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer, mode: str
) -> None:
    failed = run_kitchen(
        pg_project, "create", "fragile", env={"KITCHEN_FAIL_AT": f"create.identity{mode}"}
    )
    assert failed.code != 0
    if mode:  # killed: the half-made kitchen is cleaned up by delete
        assert roles_project("delete", "fragile", "--yes").code == 0
    assert roles(postgres, pg_project) == set()
    assert roles_project("create", "fragile").code == 0
    assert roles(postgres, pg_project) == {login(pg_project, "fragile")}


def test_the_login_password_never_appears_in_output(roles_project: Cli, pg_project: Path) -> None:
    created = roles_project("--verbose", "create", "feature")
    secrets = (pg_project / ".kitchen/secrets/dev.yaml").read_text()
    password = re.search(r"kitchens/feature/warehouse#password: (\S+)", secrets)
    assert password is not None
    assert password[1] not in created.out + created.err


def test_doctor_removes_the_login_and_secrets_of_a_kitchen_whose_record_is_lost(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    assert roles_project("create", "feature", "--no-checkout").code == 0
    assert roles(postgres, pg_project) == {login(pg_project, "feature")}
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project]), autocommit=True) as connection:
        connection.execute("DELETE FROM kitchen_meta.kitchens WHERE name = 'feature'")
    found = roles_project("doctor", "--json")
    assert found.code == 3
    problems = {(f["kind"], f["subject"]) for f in found.json()["findings"]}
    assert problems == {
        ("orphan", "feature"),  # the schema
        ("orphan", login(pg_project, "feature")),
        ("orphan", "kitchens/feature/"),
        ("stray-branch", "kitchen/feature"),
    }
    assert roles_project("doctor", "--repair").code == 0
    assert roles(postgres, pg_project) == set()
    assert "kitchens/feature" not in (pg_project / ".kitchen/secrets/dev.yaml").read_text()
    assert roles_project("doctor").code == 0


def test_a_role_kitchen_did_not_make_is_never_taken_over(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    """Create used to adopt any role of its login's name and reset its password."""
    theirs, password = login(pg_project, "feature"), "their-canary-password"
    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        admin.execute(
            pgsql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                pgsql.Identifier(theirs), pgsql.Literal(password)
            )
        )
    try:
        refused = roles_project("create", "feature")
        assert refused.code == 3, refused.err
        assert f"has a role {theirs} that kitchen did not make" in refused.err
        # the role is as its owner left it: its password works, it got nothing here
        with psycopg.connect(make_conninfo(postgres.dsn(), user=theirs, password=password)):
            pass
        assert roles(postgres, pg_project) == set()
        listed = roles_project("list", "--json").json()["kitchens"]
        assert "feature" not in {kitchen["name"] for kitchen in listed}
    finally:
        with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
            admin.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(theirs)))


def test_two_projects_on_one_server_each_have_their_own_login(
    roles_project: Cli,
    pg_project: Path,
    postgres: PostgresServer,
    postgres_database: Callable[[str], str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Same environment and kitchen names, other databases: the second project's create
    took over the first's login (same role name) and reset its password."""
    other = pg_project.parent / "other"
    other.mkdir()
    dev = postgres_database("dev").split("dbname=")[1]
    CONFIG_DEV[other] = dev
    production = postgres_database("production").split("dbname=")[1]
    user = LOGINS[pg_project][0]  # the same login, let into the other project's databases
    let_in(postgres, user, [production, dev])
    source = make_conninfo(host=postgres.host, port=postgres.port, user=user, dbname=production)
    config = CONFIG.format(production=source, port=postgres.port, dev=dev, user=user)
    (other / "kitchen.yaml").write_text(
        config.replace(", dbname:", ", kitchen_roles: true, dbname:")
    )
    second = Cli(capsys, other)
    assert second("init", "--demo").code == 0
    assert roles_project("create", "feature").code == 0
    assert second("create", "feature").code == 0
    mine, theirs = login(pg_project, "feature"), login(other, "feature")
    assert mine != theirs
    assert roles(postgres, pg_project) == {mine} and roles(postgres, other) == {theirs}
    assert probe(pg_project, "feature")["who"] == mine  # its password still works
    assert probe(other, "feature")["who"] == theirs
    assert second("delete", "feature", "--yes").code == 0
    count = "import psycopg; print(psycopg.connect('').execute('SELECT count(*) FROM orders')"
    read = run_kitchen(
        pg_project, "run", "feature", "--", sys.executable, "-c", count + ".fetchone()[0])"
    )
    assert (read.code, read.out.strip()) == (0, "4000"), read.err  # the other's delete left it be


def test_a_kitchen_of_a_tested_parent_runs_its_pipeline_as_its_login(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    """The parent's pipeline built stg_orders; copied into the kitchen, it was kitchen's
    account's, and the kitchen's login could not drop it ("must be owner of table")."""
    assert roles_project("test", "dev").code == 0
    assert roles_project("create", "feature").code == 0
    tested = roles_project("test", "feature", "--json")
    assert tested.code == 0, tested.err
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project])) as connection:
        owners = connection.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relnamespace = 'feature'::regnamespace AND relkind IN ('r', 'p', 'v', 'm')"
        ).fetchall()
    assert owners == [(login(pg_project, "feature"),)]
    assert roles_project("data", "refresh", "feature").code == 0  # and after a refresh
    assert roles_project("test", "feature").code == 0
    assert roles_project("delete", "feature", "--yes").code == 0


def test_doctor_reports_a_database_every_login_may_enter(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    """PostgreSQL lets PUBLIC connect to a new database and make temporary tables there: a
    dev kitchen's login could enter production's. The docs' setup revokes it; doctor says
    where it is not, with the statement its owner runs."""
    assert roles_project("create", "feature").code == 0
    assert probe(pg_project, "feature")["read production"] == "denied"
    assert roles_project("doctor").code == 0
    production = psycopg.conninfo.conninfo_to_dict(production_dsn(pg_project))["dbname"]
    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        admin.execute(
            pgsql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO PUBLIC").format(
                pgsql.Identifier(production)
            )
        )
    found = roles_project("doctor", "--json")
    assert found.code == 3
    (finding,) = found.json()["findings"]
    assert (finding["kind"], finding["environment"], finding["subject"]) == (
        "open-database",
        "production",
        production,
    )
    assert (
        f'REVOKE CONNECT, TEMPORARY ON DATABASE "{production}" FROM PUBLIC' in (finding["repair"])
    )
    assert roles_project("doctor", "--repair").code == 3  # kitchen cannot, and says so


def places(own: str, parent: str) -> dict[str, tuple[str, str]]:
    """Where a kitchen's rights are tried: schema and a table there."""
    return {
        "own": (own, "orders"),
        "parent": (parent, "orders"),
        "sibling": ("sibling", "orders"),
        "registry": ("kitchen_meta", "kitchens"),
    }


KINDS, ACTIONS = ("table", "view", "sequence", "function"), ("read", "write", "create", "drop")
LOGIN_PROBE = Path(__file__).parent.parent / "fixtures" / "login_probe.py"


def rights(project: Path, kitchen: str, parent: str) -> dict[str, str]:
    """What ``kitchen``'s login may do, cell by cell (tests/fixtures/login_probe.py)."""
    tried = json.dumps({place: list(where) for place, where in places(kitchen, parent).items()})
    return dict(as_login(project, kitchen, str(LOGIN_PROBE), tried))


def test_the_permission_matrix_of_a_kitchens_login(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    """Every kind of object in its own schema, its parent's (read_parent: true), a sibling's
    and kitchen's registry, by every action, and another environment's database: it may do
    anything in its own schema, read its parent, and nothing else, also after the parent's
    and its own data are refreshed. Its functions and sequences were kitchen's (its
    pipelines could not replace them), a parent's sequences unreadable, temporary tables
    (dbt's incremental models) refused, and a refreshed parent's views lost its grants."""
    edit_config(pg_project, "kitchen_roles: true,", "kitchen_roles: true, read_parent: true,")
    user, password = LOGINS[pg_project]
    dev = make_conninfo(postgres.dsn(CONFIG_DEV[pg_project]), user=user, password=password)
    with psycopg.connect(dev, autocommit=True) as connection:  # as dev's pipelines would
        connection.execute(
            "CREATE VIEW dev.big_orders AS SELECT * FROM dev.orders WHERE amount > 100"
        )
        connection.execute("CREATE SEQUENCE dev.ticket")
        connection.execute("SELECT nextval('dev.ticket')")
        connection.execute(
            "CREATE FUNCTION dev.twice(x int) RETURNS int LANGUAGE sql AS 'SELECT x * 2'"
        )
    assert roles_project("create", "feature", "--no-checkout").code == 0
    assert roles_project("create", "sibling", "--no-checkout").code == 0
    expected = {
        "database connect": "ok",
        "database temporary": "ok",  # dbt's incremental models build in temporary tables
        "public table create": "denied",
        "other environment connect": "denied",
        **{f"registry table {action}": "denied" for action in ACTIONS},
    }
    for place in ("own", "parent", "sibling"):
        for kind in KINDS:
            for action in ACTIONS:
                allowed = place == "own" or (place == "parent" and action == "read")
                expected[f"{place} {kind} {action}"] = "ok" if allowed else "denied"
    assert rights(pg_project, "feature", "dev") == expected
    assert roles_project("data", "refresh", "dev").code == 0
    assert roles_project("data", "refresh", "feature").code == 0
    assert rights(pg_project, "feature", "dev") == expected
    # the parent's views and sequences that a refresh brings keep their grants to its child
    assert roles_project("create", "child", "--parent", "feature", "--no-checkout").code == 0
    assert roles_project("data", "refresh", "feature").code == 0
    assert rights(pg_project, "child", "feature") == expected


def test_a_refresh_under_a_view_of_a_role_kitchen_cannot_act_as_is_refused_first(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    """A view the team's reporting role owns on dev's tables: the refresh dropped it, then
    failed to build it again as reporting's ("must be member of role"), in the swap."""
    reporting = f"reporting_{CONFIG_DEV[pg_project]}"[:63]
    user = LOGINS[pg_project][0]
    statements = [
        "CREATE ROLE {reporting}",
        "GRANT USAGE, CREATE ON SCHEMA dev TO {reporting}",
        "GRANT SELECT ON dev.orders TO {reporting}",
        "CREATE VIEW dev.revenue AS SELECT sum(amount) AS total FROM dev.orders",
        "ALTER VIEW dev.revenue OWNER TO {reporting}",
    ]
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project]), autocommit=True) as admin:
        for statement in statements:
            admin.execute(pgsql.SQL(statement).format(reporting=pgsql.Identifier(reporting)))
    try:
        before = roles_project("show", "dev", "--json").json()
        refused = roles_project("data", "refresh", "dev")
        assert refused.code == 3, refused.err
        assert refused.err.endswith(  # after the copy, before the swap touches dev
            f"error: The view dev.revenue is {reporting}'s, built on tables this would "
            f"replace, and kitchen's login may not act as {reporting} to build it again.\n"
            f"hint: Ask the server's administrator to `GRANT {reporting} TO {user}` (or drop "
            "the view), then run this again; nothing changed.\n"
        )
        assert roles_project("show", "dev", "--json").json() == before
        assert roles_project("doctor").code == 0
        with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
            admin.execute(
                pgsql.SQL("GRANT {} TO {}").format(
                    pgsql.Identifier(reporting), pgsql.Identifier(user)
                )
            )
        assert roles_project("data", "refresh", "dev").code == 0
        with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project])) as connection:
            owner = connection.execute(
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'dev.revenue'::regclass"
            ).fetchone()
        assert owner == (reporting,)
    finally:
        with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project]), autocommit=True) as admin:
            admin.execute(pgsql.SQL("DROP OWNED BY {}").format(pgsql.Identifier(reporting)))
            admin.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(reporting)))


def test_every_command_works_as_a_login_that_is_no_superuser(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    """The whole life of a change on the login docs/secrets.md makes (no superuser), with a
    login per kitchen: create, test, update, merge, promote, rollback, gc, doctor, delete.
    Without a superuser, delete, gc and repair stopped at `DROP OWNED BY`."""
    approver = "lead@shop.example"
    edit_config(pg_project, "protected: true}", f"protected: true, approvers: [{approver}]}}")
    git(pg_project, "commit", "-qam", "production's approver")
    git(pg_project, "tag", "v0.9.0", "main")  # where a rollback goes back to
    assert roles_project("create", "feature").code == 0
    commit(pg_project, "notes.md", "profitability notes\n")
    assert roles_project("checkout", "dev").code == 0
    commit(pg_project, "dev.md", "dev moved on\n")
    assert roles_project("checkout", "feature").code == 0
    for args in (
        ("update", "feature"),
        ("test", "feature"),
        ("merge", "feature", "--yes"),  # and dev's tests, as kitchen's login
        ("promote", "dev", "--to", "production", "--release", "v1.0.0", "--approved-by", approver),
        ("rollback", "production", "--to", "v0.9.0", "--yes"),
        ("create", "brief", "--ttl", "1d", "--no-checkout"),
    ):
        done = roles_project(*args)
        assert done.code == 0, (args, done.err)
    releases = roles_project("releases", "production", "--json").json()["releases"]
    assert [(r["tag"], r["kind"]) for r in releases] == [
        ("v0.9.0", "rollback"),
        ("v1.0.0", "promote"),
    ]
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project]), autocommit=True) as admin:
        admin.execute(
            "UPDATE kitchen_meta.kitchens SET expires_at = '2026-01-01T00:00:00+00:00'"
            " WHERE name = 'brief'"
        )
    assert roles_project("gc").code == 0
    assert roles(postgres, pg_project) == {login(pg_project, "feature")}
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project]), autocommit=True) as admin:
        admin.execute("DELETE FROM kitchen_meta.kitchens WHERE name = 'feature'")  # lost
    assert roles_project("doctor").code == 3
    assert roles_project("doctor", "--repair").code == 0
    assert roles(postgres, pg_project) == set()
    assert roles_project("doctor").code == 0


def test_a_registry_of_the_earlier_layout_is_brought_forward_by_a_login_that_is_no_superuser(
    roles_project: Cli, pg_project: Path, postgres: PostgresServer
) -> None:
    """The registry as the release of 2026-12-03 left it, changed by the login that made
    it (no superuser): no migrations recorded, no byte-order indexes, kitchens without
    ticket and notify, locks without host and pid. The next write brings it forward."""
    user, password = LOGINS[pg_project]
    dsn = make_conninfo(postgres.dsn(CONFIG_DEV[pg_project]), user=user, password=password)
    with psycopg.connect(dsn, autocommit=True) as earlier:
        earlier.execute("DROP TABLE kitchen_meta.migrations")
        for index in ("runs_by_kitchen", "events_by_kitchen", "events_by_time"):
            earlier.execute(f"DROP INDEX kitchen_meta.kitchen_meta_{index}_bytewise")
        earlier.execute("ALTER TABLE kitchen_meta.kitchens DROP COLUMN ticket")
        earlier.execute("ALTER TABLE kitchen_meta.kitchens DROP COLUMN notify")
        earlier.execute("DROP TABLE kitchen_meta.locks")
        earlier.execute("CREATE TABLE kitchen_meta.locks (target TEXT PRIMARY KEY, holder TEXT)")
    assert roles_project("list").code == 0  # read as it is
    assert roles_project("create", "feature", "--ticket", "SHOP-9").code == 0
    assert roles_project("show", "feature", "--json").json()["ticket"] == "SHOP-9"
    with psycopg.connect(dsn, autocommit=True) as now:
        versions = now.execute("SELECT version FROM kitchen_meta.migrations ORDER BY 1")
        assert [row[0] for row in versions.fetchall()] == [1, 2, 3, 4]
        indexes = now.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'kitchen_meta'"
            " AND indexname LIKE '%bytewise'"
        ).fetchall()
        assert len(indexes) == 3
        columns = now.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'kitchen_meta' AND table_name = 'locks'"
        ).fetchall()
        assert {"host", "pid"} <= {row[0] for row in columns}


SHOWN = """
import json, psycopg
results = {}
with psycopg.connect("", autocommit=True) as connection:
    for table in ("customers", "orders", "products"):
        for name in (table, f"dev.{table}"):
            try:
                results[name] = connection.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            except psycopg.Error as exc:
                results[name] = type(exc).__name__
print(json.dumps(results))
"""


def test_a_views_kitchens_login_reads_the_tables_it_shows_and_no_other(
    roles_project: Cli, pg_project: Path
) -> None:
    """Without read_parent, a kitchen of views is granted its views' origins alone: a table
    of the parent that data.exclude keeps out of kitchens stays closed to its login."""
    edit_config(pg_project, "data:\n", "data:\n  exclude: [products]\n")
    created = roles_project("create", "glance", "--data", "views", "--no-checkout")
    assert created.code == 0, created.err
    seen = as_login(pg_project, "glance", "-c", SHOWN)
    assert seen == {
        "customers": 1000,
        "dev.customers": 1000,
        "orders": 4000,
        "dev.orders": 4000,
        "products": "UndefinedTable",  # not shown
        "dev.products": "InsufficientPrivilege",  # and not readable where it is
    }
