"""Many kitchen commands at once on one PostgreSQL warehouse: nothing lost, nothing mixed up."""

from __future__ import annotations

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
    shown = cli("show", "twin", "--json").json()
    assert shown["status"] == "ready"
    assert sum(table["rows"] for table in shown["tables"]) == 5040
    assert cli("doctor", "--json").json()["findings"] == []
