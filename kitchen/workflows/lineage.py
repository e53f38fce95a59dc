"""kitchen lineage: the tables each pipeline node reads and writes in a kitchen, and what lies
upstream or downstream of a table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kitchen.errors import BadInput
from kitchen.model import Kitchen
from kitchen.names import did_you_mean
from kitchen.pipelines import lineage, model, templating
from kitchen.pipelines.dbt import State
from kitchen.project import Project
from kitchen.workflows import slim

DIALECTS = {"duckdb": "duckdb", "postgres": "postgres"}  # warehouse type: sqlglot dialect


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

    def upstream(self, table: str, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
        """``table``, the nodes that write it and, under each, the tables it reads, and so on
        (a table met again on its own path is named, not followed: a loop)."""
        return {
            "table": table,
            "nodes": [
                {
                    "node": f"{node.pipeline}.{node.node}",
                    "tables": [
                        self.upstream(read, seen | {table}) if read not in seen else {"table": read}
                        for read in node.reads
                    ],
                }
                for node in self.writers(table)
            ],
        }

    def downstream(self, table: str, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
        """``table``, the nodes that read it and, under each, the tables it writes, and so on."""
        return {
            "table": table,
            "nodes": [
                {
                    "node": f"{node.pipeline}.{node.node}",
                    "tables": [
                        self.downstream(written, seen | {table})
                        if written not in seen
                        else {"table": written}
                        for written in node.writes
                    ],
                }
                for node in self.readers(table)
            ],
        }

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
    project: Project, kitchen: Kitchen, pipeline: model.Pipeline, manifests: bool = True
) -> lineage.Reading:
    """How ``pipeline``'s files read in ``kitchen``: its templates filled as a run fills them
    (secrets stand in by name: lineage never fetches one), in its warehouse's dialect, dbt
    nodes from the manifest of the build its tables hold (``manifests``)."""
    context = project.template_context(kitchen, pipeline.vars, {})
    warehouse = project.environment(kitchen.environment).warehouse

    def manifest(node: model.Node) -> tuple[bytes, str] | None:
        if not manifests:
            return None
        state = slim.state(project, kitchen, pipeline.name, node.name)
        return (state.manifest, state.schema) if isinstance(state, State) else None

    return lineage.Reading(
        render=lambda text, source: templating.render(
            text, source, context, lambda reference: f"secret_{len(reference)}"
        ),
        dialect=DIALECTS[warehouse.type],
        schema=kitchen.schema,
        manifest=manifest,
    )


def build(project: Project, name: str | None, pipeline: str | None = None) -> Graph:
    """The lineage of every pipeline (or one) in the kitchen named, or the checked-out one."""
    kitchen = project.current_or_named(name)
    pipelines = model.load_all(project.root, project.config.pipelines)
    if pipeline is not None:
        pipelines = [model.named(pipelines, pipeline)]
    nodes = [
        found for p in pipelines for found in lineage.of_pipeline(p, reading(project, kitchen, p))
    ]
    return Graph(kitchen, nodes)


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
