"""Many kitchen commands at once on one PostgreSQL warehouse: nothing lost, nothing mixed up."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import psycopg
import pytest

from tests.conftest import CONFIG_DEV, Cli, Result, after_the_first_table, edit_config, record
from tests.integration.test_kitchen_roles import login, roles
from tests.servers import PostgresServer

CREATES = 20


def at_once(project: Path, commands: list[list[str]]) -> list[Result]:
    """Start every command, then wait for all: they run at the same time."""
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "kitchen", "-C", str(project), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in commands
    ]
    results = []
    for args, process in zip(commands, started, strict=True):
        out, err = process.communicate(timeout=300)
        results.append(record(tuple(args), Result(process.returncode, out, err)))
    return results


def schemas(postgres: PostgresServer, project: Path) -> set[str]:
    with psycopg.connect(postgres.dsn(CONFIG_DEV[project])) as connection:
        rows = connection.execute("SELECT nspname FROM pg_namespace").fetchall()
    return {row[0] for row in rows}


def whole_and_healthy(cli: Cli, name: str) -> None:
    """The kitchen is ready with all the demo's rows, and doctor finds nothing amiss."""
    shown = cli("show", name, "--json").json()
    assert shown["status"] == "ready"
    assert sum(table["rows"] for table in shown["tables"]) == 5040
    assert cli("doctor", "--json").json()["findings"] == []


def test_twenty_creates_at_once_then_deletes_beside_creates_leave_no_orphan(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    """Each with a login of its own that may read the parent (the create without one is the
    same but for that step): one of 15 failed with "tuple concurrently updated", their
    GRANTs updating one catalogue row at once, and all wrote one secrets file. Then half of
    them are deleted while as many others are made: no schema, login, branch or registry
    row is left of the deleted, and the others are whole."""
    edit_config(pg_project, ", dbname:", ", kitchen_roles: true, read_parent: true, dbname:")
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    names = [f"k{number:02d}" for number in range(CREATES)]
    results = at_once(pg_project, [["create", name, "--no-checkout"] for name in names])
    assert [result.code for result in results] == [0] * CREATES, [r.err for r in results]
    listed = {k["name"]: k for k in cli("list", "--json").json()["kitchens"]}
    for name in names:
        assert listed[name]["status"] == "ready"
        shown = cli("show", name, "--json").json()
        assert sum(table["rows"] for table in shown["tables"]) == 5040
    listing = ["git", "branch", "--list", "kitchen/*"]
    branches = subprocess.run(
        listing, cwd=pg_project, capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(branches) == [f"kitchen/{name}" for name in names]
    assert set(names) <= schemas(postgres, pg_project)
    assert cli("doctor", "--json").json()["findings"] == []
    doomed, kept, new = names[::2], names[1::2], [f"n{number:02d}" for number in range(10)]
    results = at_once(
        pg_project,
        [
            *(["delete", name, "--yes"] for name in doomed),
            *(["create", name, "--no-checkout"] for name in new),
        ],
    )
    assert [result.code for result in results] == [0] * 20, [
        r.err[-600:] for r in results if r.code
    ]
    living = sorted([*kept, *new])
    listed = {k["name"]: k["status"] for k in cli("list", "--json").json()["kitchens"]}
    assert listed == {"dev": "ready", "production": "ready", **dict.fromkeys(living, "ready")}
    branches = subprocess.run(
        listing, cwd=pg_project, capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(branches) == [f"kitchen/{name}" for name in living]
    present = {name for name in schemas(postgres, pg_project) if not name.startswith("pg_")}
    assert present == {"dev", "kitchen_meta", "public", "information_schema", *living}
    assert roles(postgres, pg_project) == {login(pg_project, name) for name in living}
    assert cli("doctor", "--json").json()["findings"] == []


BUSY = re.compile(
    r"error: Kitchen '(\w+)' (is being created|is being tested|is having its data refreshed)"
    r" right now, "
    r"by dev@acme\.example on .+ since .+\.\n"
    r"hint: Wait for it to finish, then run this again\.\n"
)


def test_two_creates_of_one_name_give_one_kitchen_and_one_clear_refusal(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    results = at_once(pg_project, [["create", "twin", "--no-checkout"]] * 2)
    assert sorted(result.code for result in results) == [0, 3], [r.err for r in results]
    (refused,) = (result for result in results if result.code == 3)
    busy = BUSY.fullmatch(refused.err)  # usually; or the other one was quicker still
    assert (busy and busy.groups() == ("twin", "is being created")) or refused.err == (
        "error: Kitchen 'twin' already exists.\nhint: Use `kitchen checkout twin`.\n"
    ), refused.err
    whole_and_healthy(cli, "twin")


REFUSED = re.compile(
    r"error: Another `kitchen data refresh` of twin is running: "
    r"dev@acme\.example's, on .+ since .+\.\n"
    r"hint: Wait for it to finish; run this again only if you still need to\.\n"
)


def test_refreshes_of_one_kitchen_at_once_go_one_at_a_time(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    assert cli("create", "twin", "--no-checkout").code == 0
    results = at_once(pg_project, [["data", "refresh", "twin"]] * 3)
    assert 0 in [result.code for result in results], [r.err for r in results]
    for result in results:  # each went on alone, or was told another run was on
        assert result.code == 0 or (result.code == 3 and REFUSED.search(result.err)), result.err
    whole_and_healthy(cli, "twin")


def paused_at(project: Path, step: str, *args: str) -> subprocess.Popen[str]:
    """A kitchen command started in the background, alive and stopped half-way at ``step``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kitchen", "-C", str(project), *args],
        env={**os.environ, "KITCHEN_FAIL_AT": f"{step}:pause"},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        if f"paused at {step}" in line:
            return process
    raise AssertionError(f"kitchen {' '.join(args)} ended before {step}: {process.wait()}")


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


def test_a_kitchen_another_command_is_working_on_is_left_alone(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    """A delete, test or refresh of a kitchen being created, or a delete of one being
    refreshed, is refused with who is at it; once that process is gone, they go ahead."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    assert cli("create", "twin", "--no-checkout").code == 0
    refreshing = paused_at(pg_project, "refresh.copied", "data", "refresh", "twin")
    refused = cli("delete", "twin", "--yes")
    said = BUSY.fullmatch(refused.err)
    assert refused.code == 3 and said, refused.err
    assert said.groups() == ("twin", "is having its data refreshed")
    creating = paused_at(pg_project, "create.schema", "create", "young", "--no-checkout")
    for command in (("delete", "young", "--yes"), ("test", "young"), ("data", "refresh", "young")):
        refused = cli(*command)
        said = BUSY.fullmatch(refused.err)
        assert refused.code == 3 and said, refused.err
        assert said.groups() == ("young", "is being created")
    kill(refreshing)
    kill(creating)
    assert cli("delete", "twin", "--yes").code == 0
    assert cli("delete", "young", "--yes").code == 0
    assert {"twin", "young"}.isdisjoint(schemas(postgres, pg_project))
    assert cli("doctor", "--json").json()["findings"] == []


def test_a_live_refresh_refuses_a_second_and_a_dead_one_is_taken_over(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    assert cli("create", "twin", "--no-checkout").code == 0
    refreshing = paused_at(pg_project, "refresh.staging", "data", "refresh", "twin")
    refused = cli("data", "refresh", "twin")  # while its staging schema is being filled
    assert refused.code == 3 and REFUSED.fullmatch(refused.err), refused.err
    kill(refreshing)
    again = cli("data", "refresh", "twin")
    assert again.code == 0, again.err
    assert "An earlier `kitchen data refresh` of twin stopped after step 'staging'" in again.err
    whole_and_healthy(cli, "twin")


def test_one_test_run_at_a_time_in_a_kitchen(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    """Two runs in one schema (CI's and its developer's) read each other's tables, and
    either could be recorded as the run that lets the kitchen merge."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    assert cli("create", "twin", "--no-checkout").code == 0
    testing = paused_at(pg_project, "test.pipelines", "test", "twin")
    refused = cli("test", "twin")
    assert refused.code == 3 and re.fullmatch(
        r"error: Another `kitchen test` of twin is running: dev@acme\.example's, on .+ since"
        r" .+\.\nhint: Wait for it to finish; run this again only if you still need to\.\n",
        refused.err,
    ), refused.err
    deleting = cli("delete", "twin", "--yes")
    said = BUSY.fullmatch(deleting.err)
    assert deleting.code == 3 and said and said.groups() == ("twin", "is being tested")
    kill(testing)
    again = cli("test", "twin")
    assert again.code == 0, again.err
    runs = cli("runs", "twin", "--json").json()["runs"]
    assert [run["status"] for run in runs] == ["passed", "interrupted"]  # what it built: unknown
    assert (
        "An earlier `kitchen test` of twin stopped after step 'pipelines': its run "
        f"{runs[1]['id']} is recorded as interrupted; there is nothing to undo." in again.err
    )
    assert cli("doctor", "--json").json()["findings"] == []


def one_table_at_a_time(project: Path) -> None:
    dev = CONFIG_DEV[project]
    edit_config(project, f"dbname: {dev}}}", f"dbname: {dev}, threads: 1}}")


def rows(postgres: PostgresServer, project: Path, schema: str) -> dict[str, int]:
    with psycopg.connect(postgres.dsn(CONFIG_DEV[project])) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {schema}.{table}").fetchone()[0]
            for table in ("customers", "orders", "products")
        }


def a_customer_and_their_order_arrive(dsn: str, schema: str) -> None:
    with psycopg.connect(dsn) as connection:
        connection.execute(f"INSERT INTO {schema}.customers (customer_id) VALUES (99999)")
        connection.execute(
            f"INSERT INTO {schema}.orders (order_id, customer_id, product_id)"
            " VALUES (99999, 99999, 1)"
        )


def test_a_copy_reads_its_source_as_of_one_moment_while_others_write_to_it(
    capsys, pg_project: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tables are copied one after the other here; between the customers and the orders,
    a customer and their order arrive in the source. Neither may be copied, or the order
    would be an orphan: in the same database (dev -> feature) and across databases
    (production -> dev, masked)."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    one_table_at_a_time(pg_project)
    production = re.search(r'dsn: "([^"]+)"', (pg_project / "kitchen.yaml").read_text())
    assert production is not None
    for kitchen, command, dsn, source in (
        (
            "feature",
            ("create", "feature", "--no-checkout"),
            postgres.dsn(CONFIG_DEV[pg_project]),
            "dev",
        ),
        ("dev", ("data", "refresh", "dev"), production[1], "analytics"),
    ):
        ran = after_the_first_table(
            monkeypatch, partial(a_customer_and_their_order_arrive, dsn, source)
        )
        assert cli(*command).code == 0
        assert ran  # the write happened half-way through the copy
        with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project])) as connection:
            orphans = connection.execute(
                f"SELECT count(*) FROM {kitchen}.orders WHERE customer_id NOT IN"
                f" (SELECT customer_id FROM {kitchen}.customers)"
            ).fetchone()
        assert orphans == (0,), kitchen


def test_a_refresh_of_a_kitchen_being_copied_waits_until_the_copy_is_whole(
    capsys, pg_project: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """feature copies dev's customers; dev is refreshed (to a 10% sample) meanwhile. The
    refresh swaps its tables in only when feature has dev's old orders and products too."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    one_table_at_a_time(pg_project)
    before = rows(postgres, pg_project, "dev")
    refresh = ["data", "refresh", "dev", "--sample", "10%"]
    started: list[subprocess.Popen[str]] = []

    def dev_is_refreshed_meanwhile() -> None:
        started.append(
            subprocess.Popen(
                [sys.executable, "-m", "kitchen", "-C", str(pg_project), *refresh],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project]), autocommit=True) as watch:
            while (
                started[0].poll() is None
                and not watch.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                ).fetchone()[0]
            ):  # until it is done, or waits for the copy
                time.sleep(0.05)

    after_the_first_table(monkeypatch, dev_is_refreshed_meanwhile)
    assert cli("create", "feature", "--no-checkout").code == 0
    (refreshing,) = started
    _, err = refreshing.communicate(timeout=120)
    assert record(tuple(refresh), Result(refreshing.returncode, "", err)).code == 0, err
    assert rows(postgres, pg_project, "feature") == before  # dev as it was, whole
    assert rows(postgres, pg_project, "dev") != before  # then the refresh went through
