"""The fault-injection matrix: every recorded step of every multi-step command, killed there.

Each case kills the command at one step (``KITCHEN_FAIL_AT=<command>.<step>:crash``, an
``os._exit`` as abrupt as ``kill -9``), then brings it to a consistent end in one of two
ways: running the command again, or ``kitchen doctor --repair`` and then running it again.
Either way the command's result is there exactly once, doctor finds nothing, the shared
branches on the remote equal the local ones, and a bystander kitchen's data is untouched.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from kitchen import journal
from kitchen.cli.main import main
from kitchen.faults import CRASH_EXIT
from tests.conftest import Cli, isolate, run_kitchen
from tests.gitrepo import commit, git, share

APPROVAL = ("--approved-by", "lead@shop.example")
RELEASE = ("promote", "dev", "--to", "production", "--release", "v1.0.0", *APPROVAL, "--yes")


def contains(repo: Path, branch: str, commit: str) -> bool:
    asked = ["git", "merge-base", "--is-ancestor", commit, branch]
    found = subprocess.run(asked, cwd=repo, check=False)
    return found.returncode == 0


def dev_sql(shop: Path, statement: str) -> None:
    connection = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    try:
        connection.execute(statement)
    finally:
        connection.close()


def rows(cli: Cli, kitchen: str) -> dict[str, int]:
    shown = cli("show", kitchen, "--json")
    assert shown.code == 0, shown.err
    return {table["name"]: table["rows"] for table in shown.json()["tables"]}


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    steps: tuple[str, ...]
    prepare: Callable[[Cli, Path], None]
    done: Callable[[Cli, Path], None]  # the command's end state, reached exactly once
    again_when_done: int = 0  # the exit code of running it again once done (delete: 2)


def nothing(cli: Cli, shop: Path) -> None:
    pass


def created(cli: Cli, shop: Path) -> None:
    assert sum(rows(cli, "crashy").values()) == 5040
    assert cli("show", "crashy", "--json").json()["status"] == "ready"


def doomed(cli: Cli, shop: Path) -> None:
    assert cli("create", "doomed", "--no-checkout").code == 0


def deleted(cli: Cli, shop: Path) -> None:
    assert cli("show", "doomed").code == 2
    assert "kitchen/doomed" not in git(shop, "branch", "--list")


def fewer_orders(cli: Cli, shop: Path) -> None:
    dev_sql(shop, "DELETE FROM dev.orders WHERE order_id > 1000")


def refreshed(cli: Cli, shop: Path) -> None:
    counts = rows(cli, "feature")
    copied = counts["customers"] + counts["orders"] + counts["products"]
    assert counts["orders"] == 1000
    assert cli("show", "feature", "--json").json()["data"]["rows"] == copied  # its record too


def relinked(cli: Cli, shop: Path) -> None:
    shown = cli("show", "feature", "--json").json()
    assert shown["data"]["mode"] == "views"  # its record too
    viewed = {t["name"]: t.get("view_of") for t in shown["tables"]}
    assert {viewed[name] for name in ("customers", "orders", "products")} == {"dev"}
    assert rows(cli, "feature")["orders"] == 1000


def dev_moved(cli: Cli, shop: Path) -> None:
    assert cli("checkout", "dev").code == 0
    commit(shop, "dev.md", "dev moved on\n")
    git(shop, "push", "-q", "origin", "develop")
    assert cli("checkout", "feature").code == 0


def updated(cli: Cli, shop: Path) -> None:
    assert contains(shop, "kitchen/feature", "develop")
    assert not (shop / ".git/MERGE_HEAD").exists()


def events(cli: Cli, kitchen: str, action: str) -> int:
    trail = cli("log", kitchen, "--json").json()["events"]
    return sum(1 for event in trail if event["action"] == action)


def merged(cli: Cli, shop: Path) -> None:
    assert contains(shop, "develop", "kitchen/feature")
    assert events(cli, "feature", "merge") == 1


def ready_to_release(cli: Cli, shop: Path) -> None:
    assert cli("merge", "feature", "--yes").code == 0  # dev's tests run after the merge


def released(cli: Cli, shop: Path) -> None:
    listed = cli("releases", "production", "--json").json()["releases"]
    assert [(r["tag"], r["kind"]) for r in listed] == [("v1.0.0", "promote")]
    assert git(shop, "rev-parse", "v1.0.0^{commit}") == git(shop, "rev-parse", "main")


def ready_to_roll_back(cli: Cli, shop: Path) -> None:
    """v1.0.0 is released, then a bad change lands on production's branch."""
    ready_to_release(cli, shop)
    assert cli(*RELEASE).code == 0
    git(shop, "checkout", "-q", "main")
    commit(shop, "bad.md", "a bad hotfix\n")
    git(shop, "push", "-q", "origin", "main")


def rolled_back(cli: Cli, shop: Path) -> None:
    listed = cli("releases", "production", "--json").json()["releases"]
    assert [r["kind"] for r in listed] == ["rollback", "promote"]
    assert git(shop, "rev-parse", "main^{tree}") == git(shop, "rev-parse", "v1.0.0^{tree}")


def expired(cli: Cli, shop: Path) -> None:
    for name in ("old-one", "old-two"):
        assert cli("create", name, "--no-checkout", "--no-data", "--ttl", "1m").code == 0
    dev_sql(
        shop,
        "UPDATE kitchen_meta.kitchens SET expires_at = '2026-01-01T00:00:00+00:00'"
        " WHERE name LIKE 'old-%'",
    )


def collected(cli: Cli, shop: Path) -> None:
    names = {kitchen["name"] for kitchen in cli("list", "--json").json()["kitchens"]}
    assert not {"old-one", "old-two"} & names


CASES = {
    "create": Case(
        ("create", "crashy", "--parent", "dev"),
        ("create.registry", "create.branch", "create.schema", "copy.table", "create.data"),
        nothing,
        created,
    ),
    "delete": Case(
        ("delete", "doomed", "--yes"),
        ("delete.marked", "delete.schema", "delete.identity", "delete.branch"),
        doomed,
        deleted,
        again_when_done=2,  # no kitchen named doomed
    ),
    "refresh": Case(
        ("data", "refresh", "feature"),
        ("refresh.staging", "refresh.copied", "refresh.swapped"),
        fewer_orders,
        refreshed,
    ),
    "refresh to views": Case(
        ("data", "refresh", "feature", "--data", "views"),
        ("refresh.swapped",),
        fewer_orders,
        relinked,
    ),
    "update": Case(("update", "feature"), ("update.fetched", "update.merged"), dev_moved, updated),
    "merge": Case(
        ("merge", "feature", "--yes", "--no-post-test"),
        ("merge.locked", "merge.merged", "merge.pushed", "merge.recorded"),
        nothing,
        merged,
    ),
    "promote": Case(
        RELEASE,
        (
            "promote.locked",
            "promote.merged",
            "promote.tagged",
            "promote.pushed",
            "promote.tested",
            "promote.recorded",
        ),
        ready_to_release,
        released,
    ),
    "rollback": Case(
        ("rollback", "production", "--to", "v1.0.0", "--yes"),
        ("rollback.committed", "rollback.pushed", "rollback.tested", "rollback.recorded"),
        ready_to_roll_back,
        rolled_back,
    ),
    "gc": Case(("gc",), ("gc.kitchen",), expired, collected),
}
MATRIX = [(name, step) for name, case in CASES.items() for step in case.steps]
CRASHED_ELSEWHERE = {
    "create.identity": "test_kitchen_roles: logins are PostgreSQL's",
    "test.pipelines": "test_concurrency and test_doctor",
    "merge.tagged": "a promotion's step, which a merge shares",
    "merge.tested": "a promotion's step, which a merge shares",
}


def test_the_matrix_crashes_every_step_each_command_declares() -> None:
    """A step added to a command is crashed at here, or said to be tested elsewhere."""
    from kitchen.workflows.recover import COMMANDS

    declared = {f"{name}.{step.value}" for name, c in COMMANDS.items() for step in c.steps}
    crashed = {step for _, step in MATRIX}
    assert declared - crashed == set(CRASHED_ELSEWHERE)


@pytest.fixture(scope="module")
def team_template(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shop with a bare remote, a bystander kitchen, and a tested feature kitchen: made
    once, copied by each case (it took 3 to 5 s of each of the matrix's 85 cases)."""
    base = tmp_path_factory.mktemp("team")
    shop = base / "shop"
    shutil.copytree(demo_template, shop, symlinks=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate(monkeypatch, base / "home")
        share(shop, base / "remote.git")
        for args in (("create", "bystander", "--no-checkout"), ("create", "feature")):
            assert main(["-C", str(shop), *args]) == 0
        commit(shop, "notes.md", "profitability notes\n")
        assert main(["-C", str(shop), "test", "feature"]) == 0
    return base


@pytest.fixture
def team(shop: Path, tmp_path: Path, team_template: Path) -> Path:
    """A copy of the team's shop in place of the plain one, and its bare remote."""
    shutil.rmtree(shop)
    shutil.copytree(team_template / "shop", shop, symlinks=True)
    bare = tmp_path / "remote.git"
    shutil.copytree(team_template / "remote.git", bare, symlinks=True)
    git(shop, "remote", "set-url", "origin", str(bare))
    return bare


def holds(check: Callable[[Cli, Path], None], cli: Cli, shop: Path) -> bool:
    try:
        check(cli, shop)
    except AssertionError:
        return False
    return True


def consistent(cli: Cli, shop: Path, remote: Path, bystander: dict[str, int]) -> None:
    checked = cli("doctor", "--json")
    assert checked.code == 0 and checked.json()["findings"] == [], checked.out
    for branch in ("main", "develop"):
        assert git(remote, "rev-parse", branch) == git(shop, "rev-parse", branch)
    assert rows(cli, "bystander") == bystander  # no other kitchen's data was touched


@pytest.mark.parametrize("recovery", ["run again", "doctor --repair"])
@pytest.mark.parametrize(("command", "step"), MATRIX)
def test_a_command_killed_at_any_step_ends_consistent(
    cli: Cli, shop: Path, team: Path, command: str, step: str, recovery: str
) -> None:
    case = CASES[command]
    case.prepare(cli, shop)
    bystander = rows(cli, "bystander")
    killed = run_kitchen(shop, *case.args, env={"KITCHEN_FAIL_AT": f"{step}:crash"})
    assert killed.code == CRASH_EXIT, killed.err
    expected = 0
    if recovery == "doctor --repair":
        repaired = cli("doctor", "--repair", "--json")
        assert repaired.code == 0, repaired.out
        assert cli("doctor", "--json").json()["findings"] == []
        if holds(case.done, cli, shop):  # the repair finished the command
            expected = case.again_when_done
    again = cli(*case.args)
    assert again.code == expected, again.err
    case.done(cli, shop)
    consistent(cli, shop, team, bystander)


def test_a_real_kill_9_half_way_through_a_create(cli: Cli, shop: Path) -> None:
    """Not an injected exit: SIGKILL from outside, while the data is being copied."""
    process = subprocess.Popen(
        [sys.executable, "-m", "kitchen", "-C", str(shop), "create", "victim"],
        env={**os.environ, "KITCHEN_FAIL_AT": "copy.table:pause"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:  # the pause says where it stopped, then waits
        if "paused at copy.table" in line:
            break
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    found = cli("doctor", "--json")
    assert found.code == 3
    assert [f["kind"] for f in found.json()["findings"]] == ["interrupted"]
    assert cli("doctor", "--repair").code == 0
    assert cli("show", "victim").code == 2  # removed whole
    assert cli("create", "victim").code == 0
    assert sum(rows(cli, "victim").values()) == 5040


ON_FEATURE = [(name, step) for name in ("refresh", "update", "merge") for step in CASES[name].steps]


@pytest.mark.parametrize(("command", "step"), ON_FEATURE)
def test_a_kitchen_deleted_after_a_command_on_it_was_killed_leaves_nothing_behind(
    cli: Cli, shop: Path, team: Path, command: str, step: str
) -> None:
    """Instead of running the command again, its user deletes the kitchen: what the command
    left is finished or undone first, so a merge that reached the remote is still recorded."""
    case = CASES[command]
    case.prepare(cli, shop)
    bystander = rows(cli, "bystander")
    killed = run_kitchen(shop, *case.args, env={"KITCHEN_FAIL_AT": f"{step}:crash"})
    assert killed.code == CRASH_EXIT, killed.err
    deleted = cli("delete", "feature", "--yes", "--force")
    assert deleted.code == 0, deleted.err
    assert f"An earlier `{journal.typed(command)}` of feature stopped after step" in deleted.err
    landed = step in ("merge.pushed", "merge.recorded")
    assert events(cli, "feature", "merge") == landed
    assert ("notes.md" in git(shop, "ls-tree", "--name-only", "develop")) == landed
    consistent(cli, shop, team, bystander)
