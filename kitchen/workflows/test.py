"""kitchen test: run pipelines' nodes in dependency order in a kitchen, then their checks.

Independent nodes run in parallel on PostgreSQL; on DuckDB, whose file one process holds at a
time, nodes run one after another. Every run is recorded in the kitchen's registry.
"""

from __future__ import annotations

import contextlib
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlglot.errors import SqlglotError

from kitchen import journal, redaction
from kitchen.backends.warehouse.base import Warehouse
from kitchen.errors import BadInput, KitchenError, PreconditionFailed
from kitchen.model import INTERRUPTED, Kitchen, Operation, Run, utcnow
from kitchen.names import did_you_mean
from kitchen.pipelines import checks, dbt, junit, lineage, model, runners, templating
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import artifacts, identity, notify, slim, spc, views
from kitchen.workflows import lineage as lineage_workflow
from kitchen.workflows import report as run_report
from kitchen.workflows import run as tool_run


@dataclass(frozen=True)
class TestRequest:
    kitchen: str | None = None
    pipeline: str | None = None
    node: str | None = None
    vars: dict[str, str] = field(default_factory=dict)
    parallel: int = 4
    fail_fast: bool = False
    full: bool = False  # dbt builds everything, not only what changed
    nodes: tuple[str, ...] = ()  # these nodes alone (a schedule's), beside ``node``
    trigger: str = ""  # what started the run, where not a person (a schedule's slot)
    report: bool = field(default_factory=run_report.wanted)  # keep report.html with the run


@dataclass
class TestRun:
    id: str
    kitchen: Kitchen
    commit: str
    dirty: bool
    started_at: str
    ended_at: str = ""
    nodes: list[runners.NodeResult] = field(default_factory=list)
    checks: list[checks.CheckResult] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # the tools' own, kept with the run
    trigger: str = ""

    @property
    def passed(self) -> bool:
        nodes_ok = all(node.status in ("passed", "skipped") for node in self.nodes)
        return nodes_ok and not any(check.blocking for check in self.checks)

    @property
    def status(self) -> str:
        return "passed" if self.passed else "failed"


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
            _run_pipeline(project, run, pipeline, request, report)
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


def _run_pipeline(
    project: Project, run: TestRun, pipeline: model.Pipeline, request: TestRequest, report: Reporter
) -> None:
    kitchen = run.kitchen
    reading = lineage_workflow.reading(project, kitchen, pipeline)  # no manifest, no columns
    for said in lineage.contradictions(pipeline, lineage.of_pipeline(pipeline, reading)):
        report.warn(said)  # which of the two runs first is chance
    secrets = project.scoped(kitchen.environment, kitchen.name)
    context = project.template_context(kitchen, pipeline.vars, request.vars)
    login = identity.login(project, kitchen)
    scope = Scope(project, kitchen, pipeline, context, secrets.get, login, request.full)
    serial = not project.warehouse(kitchen.environment).sessions_side_by_side
    only = set(request.nodes) | ({request.node} if request.node else set()) or None
    failed: set[str] = set()

    def execute(node: model.Node) -> tuple[runners.NodeResult, runners.Outcome]:
        blocked = [d for d in node.depends_on if d in failed]
        if blocked or (request.fail_fast and failed):
            reason = f"skipped: {', '.join(blocked)} failed" if blocked else "skipped: fail-fast"
            skipped = runners.NodeResult(
                pipeline.name, node.name, node.type, "skipped", 0, reason, "", node.depends_on
            )
            return skipped, runners.Outcome(False)
        started = time.perf_counter()
        outcome = _run_node(scope, node)
        status = "passed" if outcome.passed else "failed"
        seconds = time.perf_counter() - started
        result = runners.NodeResult(
            pipeline.name,
            node.name,
            node.type,
            status,
            seconds,
            outcome.message,
            outcome.output,
            node.depends_on,
        )
        return result, outcome

    workers = 1 if serial else max(1, request.parallel)
    with report.progress(f"Testing {pipeline.name} in {kitchen.name}", len(pipeline.nodes)) as done:
        for layer in model.order(pipeline, only):
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(execute, layer))
            for node, (result, outcome) in zip(layer, results, strict=True):
                run.nodes += [result, *outcome.parts]
                found = outcome.checks + (_checks(scope, node) if result.status == "passed" else [])
                run.checks += found
                run.files.update(
                    (f"dbt/{pipeline.name}.{node.name}/{name}", data)
                    for name, data in outcome.files.items()
                )
                done(1)
                report.step(_live(pipeline.name, result, found))
                if result.status != "passed" or any(check.blocking for check in found):
                    failed.add(node.name)  # dependants would build on missing or broken data
                if result.status == "failed":
                    report.warn(f"{pipeline.name}.{node.name}: {result.message}")


def _live(pipeline: str, result: runners.NodeResult, found: list[checks.CheckResult]) -> str:
    """One line per finished node: its state, duration and checks."""
    passed = sum(check.status == "pass" for check in found)
    tally = f", checks {passed}/{len(found)}" if found else ""
    return f"{pipeline}.{result.node}: {result.status} in {result.seconds:.2f} s{tally}"


@dataclass(frozen=True)
class Scope:
    """Where a pipeline's nodes run, and how their templates render."""

    project: Project
    kitchen: Kitchen
    pipeline: model.Pipeline
    context: dict[str, Any]
    secret: Callable[[str], str]
    login: tuple[str, str] | None  # the kitchen's own login: its SQL and checks run as it
    full: bool = False  # dbt nodes build everything

    def render(self, text: str, source: Path) -> str:
        return templating.render(text, source, self.context, self.secret)


def _run_node(scope: Scope, node: model.Node) -> runners.Outcome:
    project, kitchen, pipeline = scope.project, scope.kitchen, scope.pipeline
    source = pipeline.folder / (node.file or model.PIPELINE_FILE)
    script = scope.render(source.read_text(encoding="utf-8"), source) if node.file else None
    warehouse = project.warehouse(kitchen.environment)
    replaced, changed = _writes(warehouse, node, script, kitchen.schema)
    if replaced or changed:  # views of the parent's tables (views mode) become its own
        views.make_own(project, kitchen, replaced, changed)
    lifting = None if node.type == "dbt" else replaced | changed  # a script may drop either
    with views.lift(warehouse, kitchen.schema, lifting) as lifted:
        outcome = _run_in(scope, node, source, script)
    views.regrant_viewers(project, kitchen.environment, lifted)
    return outcome


def _writes(
    warehouse: Warehouse, node: model.Node, script: str | None, schema: str
) -> tuple[set[str], set[str]]:
    """The kitchen's tables a node makes anew and those it changes: parsed from its SQL,
    declared for a Python or shell node (changed, for all kitchen can tell), left to dbt."""
    if node.type == "sql":
        with contextlib.suppress(SqlglotError):  # kitchen lineage says why; the SQL may run
            return lineage.replaced_and_changed(script or "", warehouse.dialect.name, schema)
        return set(), set()
    return set(), {table for table in node.writes if "." not in table}


def _run_in(scope: Scope, node: model.Node, source: Path, script: str | None) -> runners.Outcome:
    project, kitchen, pipeline = scope.project, scope.kitchen, scope.pipeline
    warehouse = project.warehouse(kitchen.environment)
    if node.type == "sql":
        try:
            # a transaction of its own beside other nodes', as the kitchen's login if any
            with warehouse.session(scope.login) as own:
                own.run_script(kitchen.schema, script or "")
        except KitchenError as exc:  # the warehouse refused the SQL: the node failed
            line = getattr(exc, "line", None)
            where = f" (line {line} of {node.file}, as rendered)" if line else ""
            return runners.Outcome(False, exc.message + where)
        return runners.Outcome(True)
    _, env = tool_run.environment(project, kitchen.name)
    for variable, value in node.env.items():
        env[variable] = scope.render(value, pipeline.folder / model.PIPELINE_FILE)
    if node.command:
        node = node.model_copy(update={"command": scope.render(node.command, source)})
    if node.type == "dbt":
        return _run_dbt(scope, node, env)
    if warehouse.exclusive:
        warehouse.close()  # the tool may open it itself (after the registry is read)
    return runners.run_process(node, pipeline.folder, script, env)


def _run_dbt(scope: Scope, node: model.Node, env: dict[str, str]) -> runners.Outcome:
    """A dbt node: on the state the kitchen's tables hold, unless ``--full``."""
    project, kitchen, pipeline = scope.project, scope.kitchen, scope.pipeline
    seeds = _seeds(project, kitchen, pipeline.folder / node.project_dir)
    full = dbt.Whole("--full asked for it") if scope.full else None
    base = full or slim.state(project, kitchen, pipeline.name, node.name)
    warehouse = project.warehouse(kitchen.environment)
    output = warehouse.dbt_output()
    if warehouse.exclusive:
        warehouse.close()  # dbt opens it itself, once the registry has been read
    parsed = slim.parsed(project, kitchen, pipeline.name, node.name)
    return dbt.run(
        node, pipeline.folder, env, output, pipeline.name, seeds=seeds, base=base, parsed=parsed
    )


def _seeds(project: Project, kitchen: Kitchen, dbt_project: Path) -> bool:
    """Whether dbt loads seeds here: where the data comes from (a root kitchen), or where
    the kitchen changed a seed. Elsewhere its seeds' tables came with its parent's data,
    masked and sampled as all of it, and dbt would put the files' rows back over them."""
    if kitchen.root or kitchen.parent is None:  # dev, production: kitchen.yaml's own
        return True
    parent = project.kitchen(kitchen.parent)
    if not project.git.branch_exists(parent.branch):
        return True  # a clone without the parent's branch cannot tell: the files are loaded
    return bool(project.git.changed_since(parent.branch, dbt.seed_folders(dbt_project)))


def _checks(scope: Scope, node: model.Node) -> list[checks.CheckResult]:
    warehouse = scope.project.warehouse(scope.kitchen.environment)
    source = scope.pipeline.folder / model.PIPELINE_FILE
    results = []
    with warehouse.session(scope.login) as own:  # a check's SQL is the kitchen's, as a node's
        for check in node.tests:
            spec, query, history = check.check, "", None
            if isinstance(spec, model.Scalar):
                query = scope.render(spec.query, source)
            elif isinstance(spec, model.Spc):
                query = scope.render(spec.metric, source)
                history = spc.history(
                    scope.project, scope.kitchen, (scope.pipeline.name, node.name, check)
                )
            results.append(
                checks.run(own, scope.kitchen.schema, node.name, check, query, history=history)
            )
    return results


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
