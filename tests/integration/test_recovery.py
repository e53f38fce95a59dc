"""A create or delete that fails at any step leaves nothing, or something delete cleans up."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from kitchen.faults import CRASH_EXIT
from tests.conftest import Cli, after_the_first_table, run_kitchen, snapshot

CREATE_STEPS = ["create.registry", "create.branch", "create.schema", "copy.table", "create.data"]


@pytest.mark.parametrize("step", CREATE_STEPS)
def test_failed_create_leaves_nothing_and_can_be_retried(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    before = snapshot(shop)
    monkeypatch.setenv("KITCHEN_FAIL_AT", step)
    result = cli("create", "fragile")
    assert result.code == 3
    assert f"Injected failure at step '{step}'" in result.err
    assert "nothing was left behind" in result.err
    assert snapshot(shop) == before
    monkeypatch.delenv("KITCHEN_FAIL_AT")
    assert cli("create", "fragile").code == 0
    tables = cli("show", "fragile", "--json").json()["tables"]
    assert sum(table["rows"] for table in tables) == 5040


def ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # as a terminal sends it: the handler, then the raise


def test_create_and_refresh_stopped_by_ctrl_c_say_so_and_leave_the_old_state(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """typer turned Ctrl-C into a silent exit 130, and create's warning said "failed"."""
    before = snapshot(shop)
    after_the_first_table(monkeypatch, ctrl_c)
    result = cli("create", "fragile")
    assert result.code == 130
    assert "Create of 'fragile' was interrupted; nothing was left behind." in result.err
    assert result.err.rstrip().endswith("Interrupted.")
    assert snapshot(shop) == before
    monkeypatch.undo()
    assert cli("create", "fragile", "--no-data").code == 0
    before = snapshot(shop)
    after_the_first_table(monkeypatch, ctrl_c)
    result = cli("data", "refresh", "fragile")
    assert result.code == 130 and result.err.rstrip().endswith("Interrupted.")
    assert snapshot(shop) == before  # nothing copied in, no staging schema left
    assert cli("doctor").code == 0


@pytest.mark.parametrize("step", CREATE_STEPS)
def test_create_killed_at_any_step_is_cleaned_up_by_delete(shop: Path, step: str) -> None:
    before = snapshot(shop)
    crashed = run_kitchen(shop, "create", "crashy", env={"KITCHEN_FAIL_AT": f"{step}:crash"})
    assert crashed.code == CRASH_EXIT
    shown = run_kitchen(shop, "show", "crashy", "--json")
    assert shown.code == 0 and '"status": "provisioning"' in shown.out
    assert run_kitchen(shop, "delete", "crashy", "--yes").code == 0
    assert snapshot(shop) == before


@pytest.mark.parametrize("step", CREATE_STEPS)
def test_create_killed_at_any_step_completes_when_run_again(shop: Path, step: str) -> None:
    crashed = run_kitchen(shop, "create", "crashy", env={"KITCHEN_FAIL_AT": f"{step}:crash"})
    assert crashed.code == CRASH_EXIT
    again = run_kitchen(shop, "create", "crashy", "--json")
    assert again.code == 0, again.err
    assert "An earlier `kitchen create` of crashy stopped after step" in again.err
    shown = run_kitchen(shop, "show", "crashy", "--json").json()
    assert shown["status"] == "ready" and sum(t["rows"] for t in shown["tables"]) == 5040


def test_a_half_made_kitchen_is_refused_until_repaired(cli: Cli, shop: Path) -> None:
    """A create killed after the schema step leaves a kitchen no command may work on (its
    data, branch or tests would be half there) until doctor or delete settles it."""
    crashed = run_kitchen(shop, "create", "crashy", env={"KITCHEN_FAIL_AT": "create.schema:crash"})
    assert crashed.code == CRASH_EXIT
    before = snapshot(shop)
    for command in (
        ("checkout", "crashy"),
        ("test", "crashy"),
        ("data", "refresh", "crashy"),
        ("data", "refresh", "dev", "--from", "crashy"),
        ("update", "crashy"),
        ("merge", "crashy", "--yes"),
        ("run", "crashy", "--", "true"),
    ):
        refused = cli(*command)
        assert (refused.code, refused.err) == (
            3,
            "error: Kitchen 'crashy' is provisioning, not ready.\n"
            "hint: Run `kitchen doctor --repair`, or `kitchen delete crashy` and create it "
            "again.\n",
        ), command
    assert snapshot(shop) == before
    assert cli("doctor", "--repair").code == 0
    assert cli("show", "crashy").code == 2  # gone: it can be created again


@pytest.mark.parametrize(
    "step", ["delete.marked", "delete.schema", "delete.identity", "delete.branch"]
)
def test_delete_killed_half_way_finishes_when_run_again(cli: Cli, shop: Path, step: str) -> None:
    before = snapshot(shop)
    assert cli("create", "doomed", "--no-checkout").code == 0
    crashed = run_kitchen(
        shop, "delete", "doomed", "--yes", env={"KITCHEN_FAIL_AT": f"{step}:crash"}
    )
    assert crashed.code == CRASH_EXIT
    assert '"status": "deleting"' in cli("show", "doomed", "--json").out
    assert cli("delete", "doomed", "--yes").code == 0
    assert snapshot(shop) == before


def test_unknown_command_errors_never_show_a_traceback(cli: Cli) -> None:
    result = cli("create", "--parent")
    assert result.code == 2 and "Traceback" not in result.err
