"""What a kitchen's tables hold of a dbt node's models, so that dbt builds only what changed
since (``state:modified+``) and reads the rest where it already is (``--defer``).

A kitchen's tables are its parent's, copied when its data was last loaded (create or
refresh), and then whatever its own runs built. The state dbt compares with is therefore the
manifest of the newest run that built everything it set out to: the kitchen's own since its
data was loaded, else its parent's from before that copy, and so on up its environment.
The models that later runs built but did not finish are built again. A run that stopped
without saying what it built (timed out, or interrupted) leaves nothing to trust: the build
is whole. Where the state is an ancestor's, the kitchen's data is new to these tests, so
every test runs; where it is the kitchen's own, only what changed and what failed or warned.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from kitchen.errors import ArtifactsError, KitchenError
from kitchen.model import INTERRUPTED, Kitchen, Run
from kitchen.pipelines.dbt import State, Whole
from kitchen.project import Project
from kitchen.workflows.artifacts import run_prefix

BUILT = ("dbt model", "dbt seed", "dbt snapshot")


def parsed(project: Project, kitchen: Kitchen, pipeline: str, node: str) -> Path:
    """Where dbt's parse of a node's project waits for the kitchen's next run (local)."""
    return parsed_all(project, kitchen) / f"{pipeline}.{node}"


def parsed_all(project: Project, kitchen: Kitchen) -> Path:
    return project.local / ".kitchen" / "dbt" / kitchen.environment / kitchen.name


def state(project: Project, kitchen: Kitchen, pipeline: str, node: str) -> State | Whole:
    """The state the kitchen's tables hold of ``pipeline``'s dbt node ``node``."""
    rebuilt: list[str] = []
    for here, run in _line(project, kitchen):
        ran, built = _ran(run, pipeline, node)
        if ran == "unknown":
            return Whole(f"run {run.id} of {here.name} stopped before dbt said what it built")
        kept = _kept(project, here, run.id, f"{pipeline}.{node}") if ran == "whole" else None
        if isinstance(kept, Whole):
            return kept
        if kept is not None:
            manifest, results = kept
            rebuilt = list(dict.fromkeys(rebuilt))
            own = here == kitchen
            found = State(here.name, here.schema, run.id, manifest, results, tuple(rebuilt))
            return replace(found, own=True, defers_to=_above(project, kitchen)) if own else found
        rebuilt += built  # built, and not one state: built again
    return Whole(f"no earlier build of {pipeline}.{node} in {kitchen.name} or its parents")


def _above(project: Project, kitchen: Kitchen) -> str:
    """Where dbt reads what a kitchen lacks: its parent's schema, in its environment."""
    parent = project.registry(kitchen.environment).get(kitchen.parent) if kitchen.parent else None
    return parent.schema if parent else kitchen.schema


def _kept(
    project: Project, kitchen: Kitchen, run: str, node: str
) -> tuple[bytes, bytes] | Whole | None:
    """dbt's manifest and run results of ``run``'s dbt ``node`` (pipeline.node), as kept
    in the artifact store; None where they were not kept (the store was away)."""
    folder = run_prefix(kitchen.name, run) + f"dbt/{node}/"
    try:
        store = project.artifacts(kitchen.environment)
        manifest = store.get(folder + "manifest.json")
    except ArtifactsError:
        return None
    except KitchenError as exc:
        return Whole(f"dbt's files of run {run} could not be read ({exc.message})")
    try:
        return manifest, store.get(folder + "run_results.json")
    except KitchenError:
        return manifest, b""


def _line(project: Project, kitchen: Kitchen) -> Iterator[tuple[Kitchen, Run]]:
    """The runs that built what a kitchen's tables hold, newest first: its own since its data
    was loaded, then its parent's before that copy, and so on up its environment (not into
    another's: other data, and a registry that may be closed to the user)."""
    here: Kitchen | None = kitchen
    before = ""  # when the copy was taken that the kitchen below holds
    while here is not None:
        loaded = here.data.copied_at if here.data else ""
        for run in project.registry(here.environment).each_run(here.name):
            if run.started_at < loaded:
                break  # before this kitchen's data came: overwritten since
            if not before or run.started_at < before:
                yield here, run
        registry = project.registry(here.environment)
        here, before = (registry.get(here.parent) if here.parent else None), loaded


def _ran(run: Run, pipeline: str, node: str) -> tuple[str, list[str]]:
    """How ``run`` built the node, and what it built: "none" (it did not run it, or dbt
    stopped before building), "whole" (all it set out to), "part" (some failed or were
    skipped), "unknown" (it stopped without saying)."""
    if run.status == INTERRUPTED:
        return "unknown", []
    nodes = run.nodes
    mine = [n for n in nodes if (n.pipeline, n.node) == (pipeline, node)]
    if not mine or mine[0].status == "skipped":
        return "none", []
    if mine[0].message.startswith("timed out"):
        return "unknown", []
    parts = [
        n
        for n in nodes
        if n.pipeline == pipeline and n.node.startswith(f"{node}.") and n.type in BUILT
    ]
    built = [n.node.split(".", 1)[1] for n in parts if n.status == "passed"]
    if mine[0].status == "failed" and not parts:
        return "none", []  # dbt stopped before it built anything
    return ("whole" if len(built) == len(parts) else "part"), built
