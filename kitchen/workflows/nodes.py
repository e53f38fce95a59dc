"""A pipeline's nodes run in a kitchen for a test run: each in dependency order (side by side
where the engine allows), as the kitchen's login where it has one, its writes made the
kitchen's own where they replace a view, dbt's with its seeds and state, and its checks
after it; every result kept on the run."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot.errors import SqlglotError

from kitchen.backends.warehouse.base import Warehouse
from kitchen.errors import KitchenError
from kitchen.model import Kitchen
from kitchen.pipelines import checks, dbt, lineage, model, runners, templating
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import identity, slim, spc, views
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


def run_pipeline(
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
