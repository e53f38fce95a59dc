"""Many kitchen commands at once on one PostgreSQL warehouse: nothing lost, nothing mixed up."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.conftest import CONFIG_DEV, Cli, Result, record
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


def test_twenty_creates_at_once_all_succeed_with_their_own_data(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
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


def test_two_creates_of_one_name_give_one_kitchen_and_one_clear_refusal(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    results = at_once(pg_project, [["create", "twin", "--no-checkout"]] * 2)
    assert sorted(result.code for result in results) == [0, 3], [r.err for r in results]
    (refused,) = (result for result in results if result.code == 3)
    said = refused.err.splitlines()[0]
    assert said in {
        "error: Kitchen 'twin' is being created right now by dev@acme.example.",  # usually
        "error: Kitchen 'twin' already exists.",  # when the other one was quicker still
    }, refused.err
    assert len(refused.err.strip().splitlines()) == 2  # what happened, what to do
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


def test_a_live_refresh_refuses_a_second_and_a_dead_one_is_taken_over(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    assert cli("create", "twin", "--no-checkout").code == 0
    paused = subprocess.Popen(
        [sys.executable, "-m", "kitchen", "-C", str(pg_project), "data", "refresh", "twin"],
        env={**os.environ, "KITCHEN_FAIL_AT": "refresh.staging:pause"},
        stderr=subprocess.PIPE,
        text=True,
    )
    assert paused.stderr is not None
    for line in paused.stderr:  # alive, half-way: its staging schema is being filled
        if "paused at refresh.staging" in line:
            break
    refused = cli("data", "refresh", "twin")
    assert refused.code == 3 and REFUSED.fullmatch(refused.err), refused.err
    os.kill(paused.pid, signal.SIGKILL)
    assert paused.wait(timeout=30) == -signal.SIGKILL
    again = cli("data", "refresh", "twin")
    assert again.code == 0, again.err
    assert "An earlier `kitchen data refresh` of twin stopped after step 'staging'" in again.err
    whole_and_healthy(cli, "twin")
