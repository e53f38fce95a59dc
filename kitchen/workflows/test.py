"""kitchen test: run pipelines' nodes in dependency order in a kitchen, then their checks.

Independent nodes run in parallel on PostgreSQL; on DuckDB, whose file one process holds at a
time, nodes run one after another. Every run is recorded in the kitchen's registry.
"""

from __future__ import annotations

__all__ = ["TEST", "NoPipelines", "TestRequest", "TestRun", "test", "to_json"]

import json
import uuid
from dataclasses import replace
from enum import StrEnum
from typing import Any

from kitchen import journal, redaction
from kitchen.errors import BadInput, KitchenError, PreconditionFailed
from kitchen.model import INTERRUPTED, Kitchen, Operation, Run, utcnow
from kitchen.names import did_you_mean
from kitchen.pipelines import junit, model
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import artifacts, nodes, notify
from kitchen.workflows import report as run_report
from kitchen.workflows.nodes import TestRequest, TestRun


class Step(StrEnum):
    PIPELINES = "pipelines"  # every pipeline ran; the run is recorded next


class NoPipelines(BadInput):
    """The project has no pipeline to run (a merge's tests are then skipped, not failed)."""


def test(project: Project, request: TestRequest, report: Reporter) -> TestRun:
    kitchen = project.current_or_named(request.kitchen)
    project.require_staff(kitchen, "run its pipelines")  # before any node writes into it
    kitchen = journal.require_ready(project, kitchen)
    pipelines = _selected(project, request)
    project.require_clean("test", changes=False)  # changes are tested, and the run says so
    commit = _worktree_at(project, kitchen)
    changes = project.git.uncommitted(project.root / project.config.pipelines)
    run = TestRun(
        id=uuid.uuid4().hex[:12],
        kitchen=kitchen,
        commit=commit,
        dirty=bool(changes),
        started_at=utcnow(),
        trigger=request.trigger,
    )
    # one run at a time in a kitchen's schema: another's tables are no test of this commit
    journal.resume(project, kitchen.environment, TEST, kitchen.name, report)
    with journal.operation(
        project,
        kitchen.environment,
        TEST,
        kitchen.name,
        alone=True,
        run=_record(run, pipelines).to_json(),
    ) as op:
        for pipeline in pipelines:
            nodes.run_pipeline(project, run, pipeline, request, report)
        op.step(Step.PIPELINES)
        run.ended_at = utcnow()
        recorded = _record(run, pipelines)
        project.registry(kitchen.environment).add_run(recorded)  # never lost
    files = _artifacts(run)
    if request.report:
        files.update(_html(project, kitchen, recorded, report))
    artifacts.publish(project, kitchen, run.id, files, report)
    page = "report.html" if "report.html" in files else "report.json"
    notify.notify(project, _announcement(project, run, pipelines, page), report)
    if changes:
        shown = ", ".join(changes[:3]) + (f" and {len(changes) - 3} more" if changes[3:] else "")
        report.warn(
            f"This run tested uncommitted changes ({shown}), so it cannot let "
            f"{kitchen.name} merge. Commit them and test again to merge."
        )
    return run


def _worktree_at(project: Project, kitchen: Kitchen) -> str:
    """The commit tested: the worktree's, which must be the tip of the kitchen's branch
    (checked out, or detached at it as CI does), or a run would vouch for files it never ran."""
    git = project.git
    if not git.branch_exists(kitchen.branch):  # a CI checkout, detached at a fetched commit
        remote = project.sync(kitchen.branch)
        if not git.branch_exists(kitchen.branch):
            raise PreconditionFailed(
                f"{kitchen.name}'s branch {kitchen.branch} is not in this clone"
                + (f" nor on {remote}." if remote else "."),
                hint=f"Push it from the clone that has it, or see `kitchen show {kitchen.name}`.",
            )
    tip = git.sha(kitchen.branch)
    if not git.has_commits() or git.head_sha() != tip:
        where = git.current_branch() or f"commit {git.head_sha()[:10]}"
        raise PreconditionFailed(
            f"The worktree is on {where}, not on {kitchen.name}'s branch {kitchen.branch}.",
            hint=f"Run `kitchen checkout {kitchen.name}`, then test.",
        )
    return tip


def _announcement(
    project: Project, run: TestRun, pipelines: list[model.Pipeline], page: str
) -> dict[str, Any]:
    """The run as every notification target is told it (docs/json.md)."""
    kitchen = run.kitchen
    warned = any(c.severity == "warn" and c.status in ("fail", "error") for c in run.checks)
    result = notify.outcome(run.passed, warned)
    runbooks = {
        (p.name, n.name, c.name): c.runbook for p in pipelines for n in p.nodes for c in n.tests
    }
    where = {node.node: node.pipeline for node in reversed(run.nodes)}
    failed = [n for n in run.nodes if n.status == "failed"]
    problems = [c for c in run.checks if c.status != "pass"]
    lines = [f"kitchen test {kitchen.name}: {result} (run {run.id}, {run.commit[:10]})"]
    lines += [f"- {n.pipeline}.{n.node}: {n.message}" for n in failed]
    lines += [f"- {c.node}.{c.name}: {c.message}" for c in problems]
    tickets = project.config.tickets
    key = kitchen.ticket
    try:
        store = project.artifacts(kitchen.environment)
        report = store.url(artifacts.run_prefix(kitchen.name, run.id) + page)
    except KitchenError:
        report = None
    return {
        "kitchen": kitchen.name,
        "environment": kitchen.environment,
        "outcome": result,
        "title": f"kitchen test {kitchen.name}: {result}",
        "text": "\n".join(lines[:11]),
        "run_id": run.id,
        "commit": run.commit,
        "trigger": run.trigger or "manual",
        "pipelines": [p.name for p in pipelines],
        "nodes": [{"pipeline": n.pipeline, "node": n.node, "message": n.message} for n in failed],
        "checks": [
            {
                "node": c.node,
                "name": c.name,
                "severity": c.severity,
                "status": c.status,
                "message": c.message,
                "runbook": runbooks.get((where.get(c.node, ""), c.node, c.name)),
            }
            for c in problems
        ],
        "staff": kitchen.staff,
        "ticket": {"key": key, "url": tickets.link(key) if tickets else None} if key else None,
        "report": report,
    }


def _artifacts(run: TestRun) -> dict[str, bytes]:
    files = {
        "report.json": json.dumps(redaction.cleaned(to_json(run)), indent=2).encode(),
        "junit.xml": junit.render(run.id, run.kitchen.name, run.nodes, run.checks).encode(),
    }
    for node in run.nodes:
        if node.output:
            files[f"logs/{node.pipeline}.{node.node}.log"] = redaction.scrub(node.output).encode()
    return {**files, **run.files}


def _html(project: Project, kitchen: Kitchen, recorded: Run, report: Reporter) -> dict[str, bytes]:
    """The run's HTML report, from its record; none, said, where it cannot be drawn (the
    run stands)."""
    try:
        html = run_report.render(project, kitchen, recorded)
    except KitchenError as exc:
        report.warn(f"The run's HTML report could not be made: {exc.message}")
        return {}
    return {"report.html": html.encode()}


def _selected(project: Project, request: TestRequest) -> list[model.Pipeline]:
    pipelines = model.load_all(project.root, project.config.pipelines)
    if request.pipeline and pipelines:
        pipelines = [model.named(pipelines, request.pipeline)]
    if request.node and pipelines:
        known = [n.name for p in pipelines for n in p.nodes]
        pipelines = [p for p in pipelines if any(n.name == request.node for n in p.nodes)]
        if not pipelines:
            where = f" in pipeline {request.pipeline}" if request.pipeline else ""
            raise BadInput(
                f"No node named {request.node!r}{where}.{did_you_mean(request.node, known)}",
                hint=f"The nodes: {', '.join(dict.fromkeys(known))}.",
            )
    if not pipelines:
        raise NoPipelines(
            f"No pipelines in {project.config.pipelines}/.",
            hint="Add pipelines/<name>/pipeline.yaml (see docs/pipelines.md).",
        )
    return pipelines


def _record(run: TestRun, pipelines: list[model.Pipeline]) -> Run:
    """The run as the registry keeps it: every secret this process resolved scrubbed (a
    node's error may quote one), since a later reader knows none of them."""
    return Run(
        id=run.id,
        kitchen=run.kitchen.name,
        pipelines=redaction.cleaned(",".join(p.name for p in pipelines)),
        commit_sha=run.commit,
        dirty=run.dirty,
        started_at=run.started_at,
        ended_at=run.ended_at,
        status=run.status,
        results=redaction.cleaned(to_json(run)),
    )


def to_json(run: TestRun) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "kitchen": run.kitchen.name,
        "trigger": run.trigger or "manual",
        "commit": run.commit,
        "dirty": run.dirty,
        "status": run.status,
        "started_at": run.started_at,
        "ended_at": run.ended_at,
        "nodes": [vars(node) for node in run.nodes],
        "checks": [vars(check) for check in run.checks],
    }


def _repair(project: Project, operation: Operation, report: Reporter) -> str:
    """The run is recorded as interrupted: what it built in the kitchen is not known (a
    dbt node's next run builds everything, see kitchen.workflows.slim)."""
    begun = operation.details.get("run")
    registry = project.registry(operation.environment)
    run = Run(**begun) if begun else None
    if run is None or any(known.id == run.id for known in registry.runs(run.kitchen)):
        return "its run was recorded; there is nothing to undo."
    registry.add_run(replace(run, status=INTERRUPTED))
    return f"its run {run.id} is recorded as interrupted; there is nothing to undo."


TEST = journal.Command("test", "is being tested", Step, _repair)
