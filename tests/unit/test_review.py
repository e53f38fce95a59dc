"""The review CI posts on a kitchen's pull or merge request, made from kitchen's JSON."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from kitchen import review

PREVIEW = {
    "kitchen": "feature",
    "into": "dev",
    "commits": ["abc1234 double the amounts"],
    "files": ["pipelines/shop/staging.sql"],
    "pipelines": ["shop"],
    "conflicts": [],
    "downstream": ["profitability", "stg_orders"],
    "diffs": [
        {
            "table": "stg_orders",
            "same": False,
            "rows": {"kitchen": 4000, "other": 4000},
            "only_in_kitchen": 0,
            "only_in_other": 0,
            "changed": 4000,
            "changed_columns": {"amount": 4000},
        },
        {
            "table": "profitability",
            "same": True,
            "rows": {"kitchen": 987, "other": 987},
            "only_in_kitchen": 0,
            "only_in_other": 0,
            "changed": 0,
            "changed_columns": {},
        },
    ],
    "no_diff": None,
}
RUN = {
    "run_id": "2fc135efc918",
    "commit": "3bf09d4890aa",
    "status": "failed",
    "checks": [
        {
            "node": "mart",
            "name": "revenue-adds-up",
            "severity": "error",
            "status": "fail",
            "message": "1,234 outside [0, 0.01]",
        },
        {"node": "mart", "name": "columns", "severity": "error", "status": "pass", "message": ""},
    ],
}


def test_the_review_shows_the_preview_the_diff_and_the_checks() -> None:
    text = review.markdown(PREVIEW, RUN)
    assert text.startswith(review.MARKER)
    assert "1 commit, 1 file changed; pipelines touched: `shop`." in text
    assert "**Tables downstream of the change**: `profitability`, `stg_orders`" in text
    assert "| `stg_orders` | 4,000 | 4,000 | 0 | 0 | 4,000 (amount 4,000) |" in text
    assert "| `profitability` | 987 | 987 | 0 | 0 | the same |" in text
    assert "**Run `2fc135efc918`** at `3bf09d4890`: failed; 1 check passed, these did not:" in text
    assert "- `mart.revenue-adds-up` (error): 1,234 outside [0, 0.01]" in text


def test_the_review_says_why_there_is_no_diff_and_what_conflicts() -> None:
    blocked = PREVIEW | {
        "conflicts": ["pipelines/shop/mart.sql"],
        "diffs": [],
        "no_diff": "no passing run of feature yet: `kitchen test feature`",
    }
    text = review.markdown(blocked, None)
    assert (
        "**Conflicts** with `dev`: `pipelines/shop/mart.sql`: `kitchen update feature` first."
        in text
    )
    assert "_No data diff: no passing run of feature yet: `kitchen test feature`._" in text
    assert "Run" not in text
    refused = {"error": {"message": "No kitchen named 'feature'.", "hint": "See `kitchen list`."}}
    assert "No kitchen named 'feature'. See `kitchen list`." in review.markdown(refused, None)


def test_the_job_finds_its_own_note_to_update() -> None:
    notes = [{"id": 7, "body": "LGTM"}, {"id": 9, "body": f"{review.MARKER}\n### kitchen"}]
    assert review.our_note(notes) == 9
    assert review.our_note(notes[:1]) is None


def test_the_command_reads_a_test_run_or_the_newest_of_kitchen_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "preview.json").write_text(json.dumps(PREVIEW))
    (tmp_path / "runs.json").write_text(
        json.dumps(
            {
                "runs": [
                    {"id": "r1", "status": "passed", "results": {"checks": [], "commit": "c" * 40}}
                ]
            }
        )
    )
    assert review.main([str(tmp_path / "preview.json"), str(tmp_path / "runs.json")]) == 0
    assert "**Run `r1`** at `cccccccccc`: passed; 0 checks passed." in capsys.readouterr().out
    assert review.main([str(tmp_path / "preview.json"), str(tmp_path / "missing.json")]) == 0
    assert "Run" not in capsys.readouterr().out  # no run yet: the preview alone
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps([{"id": 3, "body": review.MARKER}])))
    assert review.main(["--note-id"]) == 0 and capsys.readouterr().out == "3\n"
    assert review.main([]) == 2
