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
from dataclasses import dataclass
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
PARSE = "partial_parse.msgpack"  # dbt's parse of a project, which it reuses when valid
SLIM = ("build", "run", "test", "seed", "snapshot")  # dbt commands that build on a state
CHOOSING = ("-s", "--select", "-m", "--models", "--model", "--selector", "--state", "--defer")


@dataclass(frozen=True)
class State:
    """The build of a dbt node that a kitchen's tables hold (see kitchen.workflows.slim):
    dbt's files of that run, and the models built after it by runs that did not finish."""

    kitchen: str  # whose run: the kitchen's own or an ancestor's
    schema: str  # that kitchen's
    run: str
    manifest: bytes
    results: bytes  # its run_results.json (empty where it was not kept)
    rebuilt: tuple[str, ...] = ()
    own: bool = False  # the kitchen's own run: its data has met these tests already
    defers_to: str = ""  # the schema dbt reads what the kitchen lacks from (else ``schema``)


@dataclass(frozen=True)
class Whole:
    """No state to build on: dbt builds everything, for this reason."""

    reason: str


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
    base: State | Whole | None = None,
    parsed: Path | None = None,
) -> Outcome:
    """``dbt <command>`` in the dbt project at ``folder`` (the pipeline's), then its results;
    without ``seeds``, dbt loads none (the kitchen has its parent's copy of them). On a
    ``base`` state, dbt builds what changed since (see ``building_on``). ``parsed``: a folder that
    keeps dbt's parse of the project from one run to the next, which saves it seconds."""
    program = executable(env)
    if program is None:
        return Outcome(False, "dbt is not installed (pip install 'dataops-kitchen[dbt]')")
    project = folder / node.project_dir
    words = shlex.split(node.command or "build")
    on = base if isinstance(base, State) and words[0] in SLIM and not _chooses(words) else None
    with workspace(output, node.profile == "project") as variables:
        target = Path(variables["DBT_TARGET_PATH"])
        if on is not None:
            words += building_on(on, target.parent / "state", env)
        if parsed and (parsed / PARSE).is_file():
            target.mkdir()
            shutil.copyfile(parsed / PARSE, target / PARSE)
        try:
            done = subprocess.run(
                [program, *words],
                cwd=project,
                env={**env, **variables, **({} if seeds else NO_SEEDS)},
                capture_output=True,
                text=True,
                timeout=node.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Outcome(False, f"timed out after {node.timeout:g} s")
        outcome = results(target, pipeline, node.name)
        outcome.files = _files(target, Path(variables["DBT_LOG_PATH"]))
        if parsed and (target / PARSE).is_file():
            parsed.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target / PARSE, parsed / PARSE)
    text = redaction.scrub(uncoloured(done.stdout + done.stderr))
    outcome.output = text[-OUTPUT_TAIL:]
    outcome.passed = done.returncode == 0
    if not outcome.passed:
        outcome.message = _failures(outcome) or _said(text) or f"exited with {done.returncode}"
    else:
        outcome.message = _built(outcome, base, slimmed=on is not None)
    return outcome


def building_on(base: State, folder: Path, env: Mapping[str, str]) -> list[str]:
    """dbt's arguments to build on ``base``, whose files go into ``folder``: what changed
    since and all below it; the models that runs after it built and did not finish; and
    the tests that failed or warned there, or every test where the data is new to them.
    Sources in the base kitchen's schema are the same sources in this kitchen's, whose
    copy of them dbt reads, so they are not "changed" for being in another schema."""
    folder.mkdir()
    manifest = json.loads(base.manifest)
    for source in manifest.get("sources", {}).values():
        _move(source, base.schema, env.get("KITCHEN_SCHEMA", base.schema))
    for built in manifest.get("nodes", {}).values():  # what the kitchen lacks: read above it
        _move(built, base.schema, base.defers_to or base.schema)
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    tests = ["resource_type:test"]
    if base.own and base.results:
        (folder / "run_results.json").write_bytes(base.results)
        tests = ["result:fail", "result:warn", "result:error"]
    chosen = ["state:modified+", *tests, *(f"{name}+" for name in base.rebuilt)]
    return ["--select", *chosen, "--defer", "--state", str(folder)]


def _move(relation: dict[str, Any], schema: str, to: str) -> None:
    """A manifest's relation in ``schema``, moved to ``to`` (dbt compares models' schemas
    as configured, sources' as rendered, and reads deferred models where these say)."""
    if relation.get("schema") != schema or schema == to:
        return
    relation["schema"] = to
    if relation.get("relation_name"):
        relation["relation_name"] = relation["relation_name"].replace(f'."{schema}".', f'."{to}".')


def _chooses(words: list[str]) -> bool:
    """Whether the node's own command chooses what dbt builds (then it is run as written)."""
    return any(word.split("=", 1)[0] in CHOOSING for word in words)


def _built(outcome: Outcome, base: State | Whole | None, *, slimmed: bool) -> str:
    """What a passing dbt run built: what changed since which run, or everything and why."""
    if base is None:
        return ""
    tally = f"{len(outcome.parts)} built, {len(outcome.checks)} tests run"
    if isinstance(base, Whole):
        return f"built everything ({tally}): {base.reason}"
    if not slimmed:
        return f"built what its command chooses ({tally})"
    return f"built what changed since run {base.run} of {base.kitchen} ({tally})"


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
            after = [
                f"{node}.{described[d]['name']}"
                for d in info.get("depends_on", {}).get("nodes", [])
                if described.get(d, {}).get("resource_type") in BUILT
            ]
            outcome.parts.append(
                NodeResult(
                    pipeline, f"{node}.{name}", f"dbt {kind}", part, seconds, message, "", after
                )
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
