"""kitchen lineage: the tables each pipeline node reads and writes in a kitchen, and what lies
upstream or downstream of a table."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from kitchen.errors import BadInput
from kitchen.model import Kitchen
from kitchen.names import did_you_mean
from kitchen.pipelines import lineage, model, templating
from kitchen.pipelines.dbt import State
from kitchen.project import Project
from kitchen.workflows import slim


@dataclass(frozen=True)
class Reach:
    """A table and the nodes that write it (upstream) or read it (downstream), each with
    the tables it reads or writes in turn; ``nodes`` None: the table was met again on its
    own path (a loop), named, not followed."""

    table: str
    nodes: list[Hop] | None

    def to_json(self) -> dict[str, Any]:
        if self.nodes is None:
            return {"table": self.table}
        hops = [
            {"node": hop.node, "tables": [t.to_json() for t in hop.tables]} for hop in self.nodes
        ]
        return {"table": self.table, "nodes": hops}


@dataclass(frozen=True)
class Hop:
    node: str  # pipeline.node
    tables: list[Reach]


@dataclass
class Graph:
    kitchen: Kitchen
    nodes: list[lineage.NodeLineage]

    def writers(self, table: str) -> list[lineage.NodeLineage]:
        return [node for node in self.nodes if table in node.writes]

    def readers(self, table: str) -> list[lineage.NodeLineage]:
        return [node for node in self.nodes if table in node.reads]

    @property
    def tables(self) -> list[str]:
        return sorted({t for node in self.nodes for t in (*node.reads, *node.writes)})

    def upstream(self, table: str) -> Reach:
        """``table``, the nodes that write it and, under each, the tables it reads, and so on
        (a table met again on its own path is named, not followed: a loop)."""
        return self._tree(table, self.writers, lambda node: node.reads, frozenset())

    def downstream(self, table: str) -> Reach:
        """``table``, the nodes that read it and, under each, the tables it writes, and so on."""
        return self._tree(table, self.readers, lambda node: node.writes, frozenset())

    def _tree(
        self,
        table: str,
        nodes_of: Callable[[str], list[lineage.NodeLineage]],
        next_of: Callable[[lineage.NodeLineage], list[str]],
        seen: frozenset[str],
    ) -> Reach:
        hops = [
            Hop(
                f"{node.pipeline}.{node.node}",
                [
                    Reach(further, None)
                    if further in seen
                    else self._tree(further, nodes_of, next_of, seen | {table})
                    for further in next_of(node)
                ],
            )
            for node in nodes_of(table)
        ]
        return Reach(table, hops)

    def downstream_of_nodes(self, names: set[str]) -> list[str]:
        """Every table the nodes ``names`` (pipeline.node) write, and all downstream of them."""
        found: set[str] = set()
        waiting = [t for n in self.nodes if f"{n.pipeline}.{n.node}" in names for t in n.writes]
        while waiting:
            table = waiting.pop()
            if table not in found:
                found.add(table)
                waiting += [t for node in self.readers(table) for t in node.writes]
        return sorted(found)


def reading(
    project: Project,
    kitchen: Kitchen,
    pipeline: model.Pipeline,
    known: dict[str, dict[str, str]] | None = None,
) -> lineage.Reading:
    """How ``pipeline``'s files read in ``kitchen``: its templates filled as a run fills them
    (secrets stand in by name: lineage never fetches one), in its warehouse's dialect. Given
    the columns of the kitchen's tables (``known``, see ``columns``), a ``SELECT *`` is read
    from them and dbt nodes from the manifest of the build its tables hold; ``kitchen
    test``'s order warning needs neither."""
    context = project.template_context(kitchen, pipeline.vars, {})
    warehouse = project.environment(kitchen.environment).warehouse

    def manifest(node: model.Node) -> tuple[bytes, str] | None:
        if known is None:
            return None
        state = slim.state(project, kitchen, pipeline.name, node.name)
        return (state.manifest, state.schema) if isinstance(state, State) else None

    return lineage.Reading(
        render=lambda text, source: templating.render(
            text, source, context, lambda reference: f"secret_{len(reference)}"
        ),
        dialect=warehouse.DIALECT,
        schema=kitchen.schema,
        manifest=manifest,
        known=known or {},
    )


def columns(project: Project, kitchen: Kitchen) -> dict[str, dict[str, str]]:
    """Each table of the kitchen's schema with its columns and their types."""
    warehouse = project.warehouse(kitchen.environment)
    return {
        table: dict(warehouse.column_types(kitchen.schema, table))
        for table in warehouse.kitchen_tables(kitchen.schema)
    }


def build(
    project: Project, name: str | None, pipeline: str | None = None, root: Path | None = None
) -> Graph:
    """The lineage of every pipeline (or one) in the kitchen named, or the checked-out one,
    as the files under ``root`` have them (default: the worktree's)."""
    kitchen = project.current_or_named(name)
    pipelines = model.load_all(root or project.root, project.config.pipelines)
    if pipeline is not None:
        pipelines = [model.named(pipelines, pipeline)]
    known = columns(project, kitchen)  # once for every pipeline
    nodes = [
        found
        for p in pipelines
        for found in lineage.of_pipeline(p, reading(project, kitchen, p, known))
    ]
    return Graph(kitchen, nodes)


def at_tip(project: Project, kitchen: Kitchen) -> Graph:
    """The lineage of the pipelines at the tip of the kitchen's branch, wherever the
    worktree is (a merge preview runs from any branch)."""
    folder = project.config.pipelines
    with tempfile.TemporaryDirectory(prefix="kitchen-lineage-") as temporary:
        root = Path(temporary)
        if not project.git.export(kitchen.branch, folder, root):
            return Graph(kitchen, [])
        return build(project, kitchen.name, root=root)


def changed_nodes(graph: Graph, files: list[str], folder: str) -> set[str]:
    """The nodes (pipeline.node) whose files are among ``files`` (paths in the repository):
    a node's own file, or anything of a dbt node's project; a change to a pipeline file, or
    to a file of no node, may change any node of its pipeline."""
    changed: set[str] = set()
    for path in files:
        parts = PurePosixPath(path).parts
        if len(parts) < 3 or parts[0] != folder:
            continue
        inside = PurePosixPath(*parts[2:])
        nodes = [n for n in graph.nodes if n.pipeline == parts[1]]
        owners = [n for n in nodes if _owns(n, inside)]
        changed |= {f"{n.pipeline}.{n.node}" for n in (owners or nodes)}
    return changed


def known(graph: Graph, table: str) -> str:
    """``table`` as the graph names it; exit 2 with a guess where no node reads or writes it."""
    named = table.lower().removeprefix(f"{graph.kitchen.schema}.")
    if named not in graph.tables:
        raise BadInput(
            f"No node of {graph.kitchen.name}'s pipelines reads or writes {table!r}."
            f"{did_you_mean(named, graph.tables)}",
            hint="`kitchen lineage` lists every node's tables.",
        )
    return named


def _owns(node: lineage.NodeLineage, inside: PurePosixPath) -> bool:
    """Whether ``inside`` (a path in the pipeline's folder) is part of ``node``."""
    if node.source is None:
        return False
    if node.type == "dbt":
        return node.source == "." or inside.is_relative_to(node.source)
    return inside == PurePosixPath(node.source)
