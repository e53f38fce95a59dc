"""A run's report: one self-contained HTML file (its charts drawn in, no script, no network)
kept with the run's artifacts as ``report.html``: the pipelines' DAG with each node's status
and duration, every check, a control chart per SPC check, the trends of the row-count and
freshness checks, the dbt models and tests, and the data diff where one was computed."""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from kitchen import redaction
from kitchen.errors import BadInput, KitchenError, PreconditionFailed
from kitchen.files import write_text
from kitchen.model import CheckRun, Kitchen, NodeRun, Run
from kitchen.project import Project
from kitchen.reports import charts, pages
from kitchen.workflows import artifacts

SERIES = 30  # points on a chart: the newest
LINEAGE = 200  # runs up the kitchen's lineage read for the charts
TRENDS = ("row_count", "freshness")
SWITCH = "KITCHEN_REPORT"  # 0: `kitchen test` keeps no report.html (a fast local loop)


def nodes_of(run: Run) -> list[NodeRun]:
    """A recorded run's nodes, secrets scrubbed (none is ever in a record; a value that
    reached a message is scrubbed again here)."""
    return [NodeRun(**redaction.cleaned(asdict(node))) for node in run.nodes]


def checks_of(run: Run) -> list[CheckRun]:
    """A recorded run's checks, as ``nodes_of`` gives its nodes."""
    return [CheckRun(**redaction.cleaned(asdict(check))) for check in run.checks]


def wanted() -> bool:
    """Whether a run keeps its HTML report (``KITCHEN_REPORT=0`` says no)."""
    return os.environ.get(SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def run_of(project: Project, kitchen: Kitchen, run_id: str | None) -> Run:
    """The recorded run ``run_id`` of ``kitchen`` (a prefix will do), or its latest."""
    runs = project.registry(kitchen.environment).runs(kitchen.name)
    if not runs:
        raise PreconditionFailed(
            f"{kitchen.name} has no runs yet.", hint=f"Run `kitchen test {kitchen.name}`."
        )
    if run_id is None:
        return runs[0]
    found = [run for run in runs if str(run.id).startswith(run_id)]
    if len(found) != 1:
        said = "No run" if not found else f"{len(found)} runs"
        raise BadInput(
            f"{said} of {kitchen.name} with id {run_id!r}.",
            hint=f"See `kitchen runs {kitchen.name}` for the ids.",
        )
    return found[0]


def render(project: Project, kitchen: Kitchen, run: Run) -> str:
    """The report of ``run`` as HTML, secrets scrubbed (none is ever in a record; a value
    that reached a message is scrubbed again here)."""
    lineage = _lineage_runs(project, kitchen, run)
    nodes, checks = nodes_of(run), checks_of(run)
    where = {node.node: node.pipeline for node in nodes}
    context = {
        "title": f"Run {run.id} of {kitchen.name}",
        "kitchen": kitchen,
        "run": run,
        "trigger": run.trigger,
        "seconds": seconds(run),
        "pipelines": _pipelines(nodes),
        "checks": [replace(check, pipeline=where.get(check.node, "")) for check in checks],
        "spc": [_control(check, where, lineage) for check in checks if check.type == "spc"],
        "trends": _trends(checks, where, lineage, kitchen.name),
        "dbt_parts": [node for node in nodes if node.type.startswith("dbt ")],
        "dbt_tests": [check for check in checks if check.type == "dbt"],
        "diff": _diff(project, kitchen, str(run.id)),
    }
    return redaction.scrub(pages.render("run.html.j2", **context))


def write(
    project: Project, name: str | None, run_id: str | None, out: Path | None
) -> tuple[Path, bool]:
    """Draw a run's report, keep it with its artifacts, write it to ``out`` (default:
    ``.kitchen/reports/<kitchen>/<run>.html``); where it went, and whether the store took it."""
    kitchen = project.current_or_named(name)
    run = run_of(project, kitchen, run_id)
    html = render(project, kitchen, run)
    kept = keep(project, kitchen, str(run.id), html)
    target = out or project.local / ".kitchen" / "reports" / kitchen.name / f"{run.id}.html"
    write_text(target, html, "the report")
    return target, kept


def keep(project: Project, kitchen: Kitchen, run_id: str, html: str) -> bool:
    """Store ``html`` as the run's ``report.html``; False where the store would not take it."""
    try:
        store = project.artifacts(kitchen.environment)
        store.put(artifacts.run_prefix(kitchen.name, run_id) + "report.html", html.encode())
    except KitchenError:
        return False
    return True


@dataclass(frozen=True)
class Pipeline:
    name: str
    svg: str
    nodes: list[NodeRun]


def _pipelines(nodes: list[NodeRun]) -> list[Pipeline]:
    """Each pipeline's own nodes (not dbt's models) drawn as its DAG."""
    drawn = []
    for name in dict.fromkeys(node.pipeline for node in nodes):
        own = [n for n in nodes if n.pipeline == name and not n.type.startswith("dbt ")]
        dag = [charts.DagNode(n.node, n.status, float(n.seconds), tuple(n.depends_on)) for n in own]
        drawn.append(Pipeline(name, charts.svg(charts.dag(dag, f"pipeline {name}")), own))
    return drawn


def _lineage_runs(project: Project, kitchen: Kitchen, run: Run) -> list[tuple[str, Run]]:
    """(kitchen, run) of the newest ``LINEAGE`` runs up to ``run``: the kitchen's, then its
    parents' up to the root of its environment, newest first (as an SPC check's history)."""
    registry = project.registry(kitchen.environment)
    older = (
        (here.name, past)
        for here, past in registry.lineage_runs(kitchen)
        if past.started_at <= run.started_at
    )
    return list(itertools.islice(older, LINEAGE))


def _same(check: CheckRun, where: dict[str, str], result: CheckRun) -> bool:
    mine = (where.get(check.node, ""), check.node, check.name)
    pipeline = result.pipeline or where.get(result.node, mine[0])
    return (pipeline, result.node, result.name) == mine and result.metric is not None


def _control(
    check: CheckRun, where: dict[str, str], lineage: list[tuple[str, Run]]
) -> dict[str, Any]:
    """An SPC check's chart: its values on the same data shape, oldest first, up to this
    run's, each in or out of control as it was judged then; this run's limits."""
    points = []
    for owner, past in lineage:
        for result in checks_of(past):
            if _same(check, where, result) and result.shape == check.shape:
                points.append(point(owner, past, result))
        if len(points) >= SERIES:
            break
    points.reverse()
    title = f"{check.node}.{check.name}"
    if check.shape:
        title += f" on {check.shape}"
    svg = charts.svg(charts.control_chart(points, check.limits, title))
    return {
        "check": check,
        "svg": svg,
        "out": [p for p in points if p["state"] == "out of control"],
    }


def point(owner: str, run: Run, result: CheckRun) -> dict[str, Any]:
    """An SPC result as a control chart's point: its value, how its run judged it, and why
    it was out of control (the rule its message names)."""
    state = {"pass": "in control", "fail": "out of control"}.get(result.status, "no limits yet")
    message = result.message
    why = message.split(" out of control: ", 1)[-1].split("; limits ", 1)[0]
    return {
        "run": f"{owner} {run.id}",
        "at": run.started_at,
        "value": float(result.metric or 0),
        "state": state,
        "why": why if state == "out of control" else "",
    }


def _trends(
    checks: list[CheckRun],
    where: dict[str, str],
    lineage: list[tuple[str, Run]],
    kitchen: str,
) -> list[str]:
    """A row-count or freshness check's metric over the kitchen's own runs."""
    drawn = []
    for check in checks:
        if check.type not in TRENDS:
            continue
        points = [
            {"at": past.started_at, "value": float(result.metric or 0), "series": check.name}
            for owner, past in lineage
            if owner == kitchen
            for result in checks_of(past)
            if _same(check, where, result)
        ][:SERIES]
        unit = "rows" if check.type == "row_count" else "hours"
        title = f"{check.node}.{check.name} over {kitchen}'s runs"
        drawn.append(charts.svg(charts.trend(points[::-1], "value", title, unit)))
    return drawn


def _diff(project: Project, kitchen: Kitchen, run_id: str) -> dict[str, Any] | None:
    """The data diff a merge preview computed on this run's tables, if one did."""
    key = artifacts.run_prefix(kitchen.name, run_id) + "diff.json"
    try:
        store = project.artifacts(kitchen.environment)
        if key not in store.list(key):
            return None
        found = json.loads(store.get(key))
    except (KitchenError, ValueError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("diffs"), list) else None


def seconds(run: Run) -> float | None:
    """How long a recorded run took; None while it has not ended."""
    if not run.ended_at:
        return None
    began = datetime.fromisoformat(run.started_at)
    return (datetime.fromisoformat(run.ended_at) - began).total_seconds()
