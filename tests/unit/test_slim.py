"""How a recorded run says what it built of a dbt node (kitchen.workflows.slim)."""

from __future__ import annotations

from kitchen.model import Run
from kitchen.workflows.slim import _ran


def run(status: str, *nodes: tuple[str, str, str], message: str = "") -> Run:
    listed = [
        {"pipeline": "shop", "node": name, "type": kind, "status": done, "message": message}
        for name, kind, done in nodes
    ]
    at = "2026-12-04T01:00:00+00:00"
    return Run("r1", "k", "shop", "a" * 40, False, at, at, status, {"nodes": listed})


def test_a_run_that_built_all_it_set_out_to_is_a_state_whatever_its_tests_said() -> None:
    tests_failed = run("failed", ("build", "dbt", "failed"), ("build.stg", "dbt model", "passed"))
    assert _ran(tests_failed, "shop", "build") == ("whole", ["stg"])
    nothing_changed = run("passed", ("build", "dbt", "passed"))
    assert _ran(nothing_changed, "shop", "build") == ("whole", [])


def test_a_run_that_built_part_says_what_it_built() -> None:
    half = run(
        "failed",
        ("build", "dbt", "failed"),
        ("build.stg", "dbt model", "passed"),
        ("build.mart", "dbt model", "failed"),
        ("build.report", "dbt model", "skipped"),
    )
    assert _ran(half, "shop", "build") == ("part", ["stg"])


def test_runs_that_built_nothing_and_runs_that_cannot_say() -> None:
    other = run("passed", ("load", "sql", "passed"))
    assert _ran(other, "shop", "build") == ("none", [])
    stopped_first = run("failed", ("build", "dbt", "failed"), message="dbt: Compilation Error")
    assert _ran(stopped_first, "shop", "build") == ("none", [])
    skipped = run("failed", ("build", "dbt", "skipped"))
    assert _ran(skipped, "shop", "build") == ("none", [])
    timed_out = run("failed", ("build", "dbt", "failed"), message="timed out after 60 s")
    assert _ran(timed_out, "shop", "build") == ("unknown", [])
    assert _ran(run("interrupted"), "shop", "build") == ("unknown", [])
