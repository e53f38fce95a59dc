"""The outcome of the tests after a change landed, as `merge --json`, `promote --json` and a
release record say it (docs/json.md): each status with its own fields, read back alike."""

from __future__ import annotations

import pytest

from kitchen.model import INTERRUPTED_TEST, Outcome


@pytest.mark.parametrize(
    ("outcome", "said"),
    [
        (Outcome("passed", run_id="r1"), {"status": "passed", "run_id": "r1"}),
        (Outcome("failed", run_id="r2"), {"status": "failed", "run_id": "r2"}),
        (
            Outcome("skipped", reason="no pipelines"),
            {"status": "skipped", "reason": "no pipelines"},
        ),
        (INTERRUPTED_TEST, {"status": "not run", "reason": "interrupted"}),
        (
            Outcome("error", message="The dev warehouse is down.", exit_code=5),
            {
                "status": "error",
                "message": "The dev warehouse is down.",
                "hint": None,
                "exit_code": 5,
            },
        ),
    ],
)
def test_each_status_says_its_own_fields_and_reads_back(outcome: Outcome, said: dict) -> None:
    assert outcome.to_json() == said
    assert Outcome.load(said) == outcome


def test_a_field_a_later_version_added_is_left_out_when_read() -> None:
    assert Outcome.load({"status": "passed", "run_id": "r1", "seconds": 3}) == Outcome(
        "passed", run_id="r1"
    )
