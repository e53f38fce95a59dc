"""Schedules: declared in a pipeline, enabled in a kitchen, run by `kitchen schedule
run-due` when due, at the tip of the kitchen's branch, once per slot. The clock is the
tests' (KITCHEN_NOW)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.gitrepo import git

SCHEDULES = """\
schedules:
  - {name: weekly, cron: "0 6 * * 1", timezone: Europe/Berlin}
  - {name: nightly, cron: "30 2 * * *", timezone: Europe/Berlin, nodes: [staging], catch_up: true}
"""


def declare(project: Path) -> None:
    with (project / "pipelines" / "shop" / "pipeline.yaml").open("a") as pipeline:
        pipeline.write(SCHEDULES)
    git(project, "commit", "-qam", "the shop runs on Mondays at 6 and its staging nightly")


def test_a_schedule_runs_when_due_at_its_branchs_tip_and_once(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(shop)
    monkeypatch.setenv("KITCHEN_NOW", "2026-11-29T12:00:00+00:00")
    assert cli("schedule", "run-due").out == "Nothing is due.\n"  # declared is not enabled
    listed = cli("schedule", "list", "--json").json()["schedules"]
    assert [(s["kitchen"], s["schedule"], s["enabled"]) for s in listed] == [
        ("dev", "shop.weekly", False),
        ("dev", "shop.nightly", False),
    ]
    enabled = cli("schedule", "enable", "dev", "weekly")
    assert enabled.code == 0 and enabled.out == "✓ Schedule shop.weekly is enabled in dev.\n"
    staging = shop / "pipelines" / "shop" / "staging.sql"
    staging.write_text("this is not SQL\n")  # someone's work in progress, not committed
    monkeypatch.setenv("KITCHEN_NOW", "2026-12-01T12:00:00+00:00")
    due = cli("schedule", "run-due", "--json")
    assert due.code == 0, due.err
    (ran,) = due.json()["runs"]
    assert ran["slot"] == "2026-11-30T05:00:00+00:00"  # Monday, 6:00 in Berlin
    assert ran["status"] == "passed"
    (run,) = cli("runs", "dev", "--json").json()["runs"]
    assert run["id"] == ran["run_id"]
    assert run["results"]["trigger"] == "schedule shop.weekly, slot 2026-11-30T05:00:00+00:00"
    assert staging.read_text() == "this is not SQL\n"
    assert git(shop, "status", "--porcelain") == "M pipelines/shop/staging.sql"
    assert cli("schedule", "run-due").out == "Nothing is due.\n"  # its slot has run
    (weekly,) = (
        s for s in cli("schedule", "list", "dev", "--json").json()["schedules"] if s["enabled"]
    )
    assert (weekly["last_run"], weekly["last_status"]) == (ran["run_id"], "passed")
    assert cli("schedule", "disable", "dev", "shop.weekly").code == 0
    monkeypatch.setenv("KITCHEN_NOW", "2026-12-08T12:00:00+00:00")
    assert cli("schedule", "run-due").out == "Nothing is due.\n"
    trail = [e["action"] for e in cli("log", "dev", "--json").json()["events"]]
    assert trail[:2] == ["schedule-disable", "schedule-enable"]


def test_a_schedule_its_branch_no_longer_declares_fails_the_call(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(shop)
    monkeypatch.setenv("KITCHEN_NOW", "2026-11-29T12:00:00+00:00")
    assert cli("schedule", "enable", "dev", "shop.weekly").code == 0
    pipeline = shop / "pipelines" / "shop" / "pipeline.yaml"
    pipeline.write_text(pipeline.read_text().replace(SCHEDULES, ""))
    git(shop, "commit", "-qam", "no schedules after all")
    monkeypatch.setenv("KITCHEN_NOW", "2026-12-01T12:00:00+00:00")
    due = cli("schedule", "run-due")
    assert due.code == 1
    assert (
        "Schedule shop.weekly of dev was not run: the tip of develop no longer declares it"
        in due.err
    )
    assert cli("schedule", "enable", "dev", "nope").code == 2


def test_only_an_approver_switches_a_protected_kitchens_schedules(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    declare(shop)
    git(shop, "checkout", "-q", "main")
    git(shop, "merge", "-q", "--ff-only", "develop")  # as a promotion brings it
    git(shop, "checkout", "-q", "develop")
    refused = cli("schedule", "enable", "production", "shop.weekly")
    assert refused.code == 4
    assert refused.err.startswith("error: production is protected: only its approvers may")
    assert (
        cli("schedule", "list", "production", "--json").json()["schedules"][0]["enabled"] is False
    )
    git(shop, "config", "user.email", "lead@shop.example")
    assert cli("schedule", "enable", "production", "shop.weekly").code == 0
    crontab = cli("schedule", "export", "--format", "crontab").out
    assert "#   production: shop.weekly at 0 6 * * 1 (Europe/Berlin)" in crontab
    assert f"* * * * * cd {shop} && flock -n " in crontab
    assert f"{sys.executable} -m kitchen schedule run-due >> " in crontab


def test_two_schedulers_at_once_run_each_slot_once(
    capsys: pytest.CaptureFixture[str], pg_project: Path
) -> None:
    """cron, and a CI schedule as a fallback, call run-due in the same minute: a slot taken
    by one was refused by the other's test of the same kitchen, and lost."""
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    declare(pg_project)
    clock = {"KITCHEN_NOW": "2026-11-29T12:00:00+00:00"}
    os.environ.update(clock)
    try:
        assert cli("schedule", "enable", "dev", "nightly").code == 0
    finally:
        del os.environ["KITCHEN_NOW"]
    command = [sys.executable, "-m", "kitchen", "-C", str(pg_project), "schedule", "run-due"]
    later = {**os.environ, "KITCHEN_NOW": "2026-12-02T12:00:00+00:00"}
    schedulers = [
        subprocess.Popen(
            [*command, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=later
        )
        for _ in range(2)
    ]
    said = [scheduler.communicate(timeout=120) for scheduler in schedulers]
    assert [scheduler.returncode for scheduler in schedulers] == [0, 0], said
    entries = [entry for out, _ in said for entry in json.loads(out)["runs"]]
    passed = sorted(entry["slot"] for entry in entries if entry["status"] == "passed")
    assert passed == [
        "2026-11-30T01:30:00+00:00",
        "2026-12-01T01:30:00+00:00",
        "2026-12-02T01:30:00+00:00",
    ]
    assert {entry["status"] for entry in entries} <= {"passed", "taken", "busy"}
    runs = cli("runs", "dev", "--json").json()["runs"]
    assert len(runs) == 3 and {run["results"]["trigger"].split(",")[0] for run in runs} == {
        "schedule shop.nightly"
    }
