"""dbt projects as kitchen nodes: kitchen writes the profile, keeps dbt's files out of the
worktree, and reads dbt's own results, so each model, seed, snapshot and test is seen.

The profile lives in a folder of its own outside the repository, for one run; its output is
the warehouse adapter's (``Warehouse.dbt_output``), which reads where and as whom to connect
from the variables every tool of the kitchen gets (the kitchen's own login where it has one),
so it holds no value and no secret. dbt's target and log folders are in that folder too, and
its ``run_results.json`` and ``manifest.json`` become the node's parts and checks: each dbt
test a check with dbt's severity (``warn`` warns), each model, seed and snapshot a part of
the node with its status and time.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from kitchen import redaction
from kitchen.pipelines.checks import CheckResult
from kitchen.pipelines.model import Node
from kitchen.pipelines.runners import OUTPUT_TAIL, NodeResult, Outcome
from kitchen.text import uncoloured

PROFILE = TARGET = "kitchen"
BUILT = ("model", "seed", "snapshot")  # what a dbt run builds; its tests become checks
ERROR_LINE = re.compile(r"\b(Error|error|ERROR)\b")
STAMP = re.compile(r"^\d\d:\d\d:\d\d(\.\d+)?\s+")  # dbt's time of each line
PART_STATUS = {"success": "passed", "error": "failed", "skipped": "skipped"}
CHECK_STATUS = {"pass": "pass", "fail": "fail", "warn": "fail", "error": "error"}
SHOWN = 3  # failures named in the node's message
NO_SEEDS = {"DBT_EXCLUDE_RESOURCE_TYPES": "seed"}  # dbt build and seed load none


@contextmanager
def workspace(
    output: Mapping[str, object], own_profile: bool, *, files_out: bool = True
) -> Iterator[dict[str, str]]:
    """dbt's variables for one run, in a folder outside the repository that goes after it:
    the kitchen's profile (unless the project's ``own_profile`` is used) and, ``files_out``,
    dbt's target and logs (a tool run by hand keeps them where dbt puts them)."""
    folder = Path(tempfile.mkdtemp(prefix="kitchen-dbt-"))
    try:
        env = {
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",  # no .user.yml, no call home
            "DBT_VERSION_CHECK": "false",
        }
        if files_out:
            env.update(
                DBT_TARGET_PATH=str(folder / "target"),
                DBT_LOG_PATH=str(folder / "logs"),
                DBT_USE_COLORS="false",
            )
        if not own_profile:
            profile = {PROFILE: {"target": TARGET, "outputs": {TARGET: dict(output)}}}
            (folder / "profiles.yml").write_text(yaml.safe_dump(profile, sort_keys=False))
            env.update(DBT_PROFILES_DIR=str(folder), DBT_PROFILE=PROFILE, DBT_TARGET=TARGET)
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def seed_folders(project: Path) -> list[Path]:
    """The dbt project's seed folders (``seed-paths`` of dbt_project.yml, default seeds)."""
    try:
        found = yaml.safe_load((project / "dbt_project.yml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        found = None
    paths = found.get("seed-paths") if isinstance(found, dict) else None
    names = [str(path) for path in paths] if isinstance(paths, list) else ["seeds"]
    return [project / name for name in names]


def run(
    node: Node,
    folder: Path,
    env: dict[str, str],
    output: Mapping[str, object],
    pipeline: str,
    *,
    seeds: bool = True,
) -> Outcome:
    """``dbt <command>`` in the dbt project at ``folder`` (the pipeline's), then its results;
    without ``seeds``, dbt loads none (the kitchen has its parent's copy of them)."""
    program = executable(env)
    if program is None:
        return Outcome(False, "dbt is not installed (pip install 'dataops-kitchen[dbt]')")
    project = folder / node.project_dir
    with workspace(output, node.profile == "project") as variables:
        try:
            done = subprocess.run(
                [program, *shlex.split(node.command or "build")],
                cwd=project,
                env={**env, **variables, **({} if seeds else NO_SEEDS)},
                capture_output=True,
                text=True,
                timeout=node.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Outcome(False, f"timed out after {node.timeout:g} s")
        target = Path(variables["DBT_TARGET_PATH"])
        outcome = results(target, pipeline, node.name)
        outcome.files = _files(target, Path(variables["DBT_LOG_PATH"]))
    text = redaction.scrub(uncoloured(done.stdout + done.stderr))
    outcome.output = text[-OUTPUT_TAIL:]
    outcome.passed = done.returncode == 0
    if not outcome.passed:
        outcome.message = _failures(outcome) or _said(text) or f"exited with {done.returncode}"
    return outcome


def executable(env: Mapping[str, str]) -> str | None:
    """The dbt installed beside kitchen (``pip install 'dataops-kitchen[dbt]'``), else the
    first on the tool's PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.is_file() else shutil.which("dbt", path=env.get("PATH"))


def results(target: Path, pipeline: str, node: str) -> Outcome:
    """The parts and checks that ``target``'s run_results.json and manifest.json describe
    (none where dbt stopped before it ran anything)."""
    ran = _json(target / "run_results.json").get("results", [])
    described = _json(target / "manifest.json").get("nodes", {})
    outcome = Outcome(passed=True)
    for result in ran:
        unique_id = str(result.get("unique_id", ""))
        info: dict[str, Any] = described.get(unique_id, {})
        kind = str(info.get("resource_type") or unique_id.split(".", maxsplit=1)[0])
        name = str(info.get("name") or unique_id.rsplit(".", maxsplit=1)[-1])
        if kind == "test":
            outcome.checks.append(_check(node, name, info, result))
        elif kind in BUILT:
            seconds = float(result.get("execution_time") or 0)
            part = PART_STATUS.get(str(result.get("status", "")), "passed")
            message = str(result.get("message") or "") if part != "passed" else ""
            outcome.parts.append(
                NodeResult(pipeline, f"{node}.{name}", f"dbt {kind}", part, seconds, message)
            )
    return outcome


def _check(node: str, name: str, info: dict[str, Any], result: dict[str, Any]) -> CheckResult:
    """A dbt test as a kitchen check: its status, dbt's severity, its failing rows."""
    status, said, failures = (
        str(result.get("status", "")),
        str(result.get("message") or ""),
        result.get("failures"),
    )
    severity = str(info.get("config", {}).get("severity") or "error").lower()
    count = int(failures) if isinstance(failures, int | float) else None
    mine = CHECK_STATUS.get(status, "skipped")
    if status == "warn":
        severity = "warn"  # dbt warned: whatever the config says, it was not to fail
    if mine == "pass":
        message = "passed"
    elif mine == "skipped":
        message = "skipped: what it tests was not built"
    elif count is not None and status in ("fail", "warn"):
        message = f"{count} failing row{'s' if count != 1 else ''}"
    else:
        message = said
    return CheckResult(node, name, "dbt", severity, mine, count, message)


def _failures(outcome: Outcome) -> str:
    """The failed models and tests, named: the node's message."""
    failed = [
        f"{p.node.split('.', 1)[1]} ({p.message.splitlines()[0] if p.message else 'error'})"
        for p in outcome.parts
        if p.status == "failed"
    ]
    failed += [f"{c.name} ({c.message})" for c in outcome.checks if c.blocking]
    if not failed:
        return ""
    more = f" and {len(failed) - SHOWN} more" if len(failed) > SHOWN else ""
    return f"dbt: {', '.join(failed[:SHOWN])}{more} failed"


def _said(text: str) -> str:
    """dbt's own words where it stopped before running anything: its first error line and
    the two after it (what and where), without its timestamps, on one line."""
    lines = [STAMP.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    for index, line in enumerate(lines):
        if ERROR_LINE.search(line):
            return "dbt: " + " ".join(lines[index : index + 3])[:400]
    return ""


def _json(path: Path) -> dict[str, Any]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _files(target: Path, logs: Path) -> dict[str, bytes]:
    """dbt's artifacts, kept with the run: its manifest and results, and its whole log
    without colour codes, each scrubbed of secrets."""
    kept: dict[str, bytes] = {}
    for name, path in (
        ("manifest.json", target / "manifest.json"),
        ("run_results.json", target / "run_results.json"),
        ("dbt.log", logs / "dbt.log"),
    ):
        if path.is_file():
            text = uncoloured(path.read_text(encoding="utf-8", errors="replace"))
            kept[name] = redaction.scrub(text).encode()
    return kept
