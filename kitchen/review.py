"""The review a CI job posts on a kitchen's pull or merge request: the merge preview (files,
the tables downstream of the change, each one's data diff) and the checks of the latest run,
as Markdown, from the documents `kitchen merge --preview --json` and `kitchen test --json`
(or `kitchen runs --limit 1 --json`) wrote. Secrets were scrubbed from both already.

    python -m kitchen.review preview.json run.json > review.md
    curl ... /notes | python -m kitchen.review --note-id      # GitLab: the note to update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kitchen.text import counted

MARKER = "<!-- kitchen review -->"  # how the job finds its own comment to update it


def markdown(preview: dict[str, Any], run: dict[str, Any] | None) -> str:
    if "error" in preview:  # kitchen said why it could not preview, as --json says errors
        error = preview["error"]
        said = f"{error['message']} {error.get('hint') or ''}".strip()
        return f"{MARKER}\n### kitchen could not preview the merge\n\n{said}\n"
    mine, theirs = preview["kitchen"], preview["into"]
    lines = [MARKER, f"### kitchen: `{mine}` into `{theirs}`", ""]
    pipelines = ", ".join(f"`{p}`" for p in preview["pipelines"]) or "none"
    lines.append(
        f"{counted(len(preview['commits']), 'commit')}, "
        f"{counted(len(preview['files']), 'file')} changed; pipelines touched: {pipelines}."
    )
    if preview["conflicts"]:
        listed = ", ".join(f"`{c}`" for c in preview["conflicts"])
        lines.append(f"**Conflicts** with `{theirs}`: {listed}: `kitchen update {mine}` first.")
    downstream = preview.get("downstream") or []
    if downstream:
        lines += [
            "",
            f"**Tables downstream of the change**: {', '.join(f'`{t}`' for t in downstream)}",
        ]
    diffs = preview.get("diffs") or []
    if diffs:
        lines += [
            "",
            f"| table | rows in `{mine}` | rows in `{theirs}` | only in `{mine}` "
            f"| only in `{theirs}` | changed |",
            "| --- | ---: | ---: | ---: | ---: | --- |",
        ]
        lines += [_diff_row(found) for found in diffs]
    if preview.get("no_diff"):
        lines += ["", f"_No data diff: {preview['no_diff']}._"]
    if run is not None:
        lines += ["", *_checks(run)]
    return "\n".join(lines) + "\n"


def _diff_row(found: dict[str, Any]) -> str:
    rows = found["rows"]
    if found["same"]:
        changed = "the same"
    elif found["changed"] is None:
        changed = "(no key)"
    else:
        columns = ", ".join(f"{c} {n:,}" for c, n in found["changed_columns"].items())
        changed = f"{found['changed']:,}" + (f" ({columns})" if columns else "")
    return (
        f"| `{found['table']}` | {_number(rows['kitchen'])} | {_number(rows['other'])} "
        f"| {found['only_in_kitchen']:,} | {found['only_in_other']:,} | {changed} |"
    )


def _checks(run: dict[str, Any]) -> list[str]:
    checks = run.get("checks", [])
    failing = [c for c in checks if c["status"] in ("fail", "error")]
    head = (
        f"**Run `{run.get('run_id', '?')}`** at `{str(run.get('commit', ''))[:10]}`: "
        f"{run.get('status', '?')}; {counted(len(checks) - len(failing), 'check')} passed"
    )
    if not failing:
        return [head + "."]
    lines = [head + ", these did not:", ""]
    for check in failing:
        lines.append(
            f"- `{check['node']}.{check['name']}` ({check['severity']}): {check['message']}"
        )
    return lines


def our_note(notes: list[dict[str, Any]]) -> int | None:
    """The id of the comment this job posted before, if any (the one holding the marker)."""
    return next((note["id"] for note in notes if MARKER in str(note.get("body", ""))), None)


def _number(value: int | None) -> str:
    return "none" if value is None else f"{value:,}"


def _run(document: dict[str, Any]) -> dict[str, Any] | None:
    """A run from `kitchen test --json` (the run) or `kitchen runs --json` (the newest)."""
    if "runs" not in document:
        return document
    runs = document["runs"]
    return (
        runs[0]["results"] | {"run_id": runs[0]["id"], "status": runs[0]["status"]}
        if runs
        else None
    )


def main(argv: list[str]) -> int:
    if argv == ["--note-id"]:
        found = our_note(json.load(sys.stdin))
        print("" if found is None else found)
        return 0
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    preview = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    ran = Path(argv[1]) if len(argv) == 2 else None
    run = _run(json.loads(ran.read_text(encoding="utf-8"))) if ran and ran.is_file() else None
    sys.stdout.write(markdown(preview, run))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
