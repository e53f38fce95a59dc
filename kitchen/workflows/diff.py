"""kitchen diff: what a kitchen's pipelines did to its tables, against its parent's (or
another kitchen's of the same environment), computed inside the warehouse."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kitchen.data import diff
from kitchen.errors import BadInput, NotAllowed
from kitchen.model import Kitchen
from kitchen.names import did_you_mean
from kitchen.project import Project
from kitchen.workflows import lineage


@dataclass
class Comparison:
    kitchen: Kitchen
    other: Kitchen
    tables: list[diff.TableDiff]
    untouched: list[str]  # tables both hold that no pipeline writes: copies, not compared


def against(project: Project, kitchen: Kitchen, name: str | None) -> Kitchen:
    """The kitchen to compare with: its parent, or ``name`` in the same environment."""
    if name is None and kitchen.parent is None:
        raise BadInput(
            f"{kitchen.name} has no parent to compare with.",
            hint="Name a kitchen of its environment: --against NAME.",
        )
    other = project.kitchen(name or kitchen.parent or "")
    if other.name == kitchen.name:
        raise BadInput(f"{kitchen.name} compared with itself is the same.", hint="Name another.")
    if other.environment != kitchen.environment:
        raise NotAllowed(
            f"{other.name} holds {other.environment}'s data and {kitchen.name} "
            f"{kitchen.environment}'s: they differ by design (masked, sampled), not by what "
            "the pipelines did.",
            hint=f"Compare with a kitchen of {kitchen.environment}; to run a change beside "
            f"{other.environment}'s tables, create its kitchen under {other.name}.",
        )
    return other


def compare(
    project: Project,
    name: str | None,
    *,
    other_name: str | None = None,
    tables: list[str] | None = None,
    key: list[str] | None = None,
    threshold: float = 0.01,
) -> Comparison:
    """The tables the kitchen's pipelines write (or ``tables``), compared by their key:
    ``key``, else the ``key:`` of the node that writes the table, else its primary key."""
    kitchen = project.current_or_named(name)
    other = against(project, kitchen, other_name)
    warehouse = project.warehouse(kitchen.environment)
    graph = lineage.build(project, kitchen.name)
    written = sorted({t for node in graph.nodes for t in node.writes if "." not in t})
    there = {*warehouse.kitchen_tables(kitchen.schema), *warehouse.kitchen_tables(other.schema)}
    chosen = written if not tables else [t.lower() for t in tables]
    for table in chosen:
        if table not in there:
            raise BadInput(
                f"Neither {kitchen.name} nor {other.name} has a table {table!r}."
                f"{did_you_mean(table, sorted(there))}",
                hint=f"`kitchen show {kitchen.name}` lists its tables.",
            )
    key_of = _keys(project, kitchen, graph, key)
    schemas = (kitchen.schema, other.schema)
    found = [diff.compare(warehouse, t, schemas, key_of(t), threshold) for t in chosen]
    untouched = [] if tables else sorted(there - set(written))
    return Comparison(kitchen, other, found, untouched)


def summaries(
    project: Project, kitchen: Kitchen, other: Kitchen, graph: lineage.Graph, tables: list[str]
) -> list[diff.TableDiff]:
    """Each of ``tables`` (those either kitchen has) compared, for a merge preview."""
    warehouse = project.warehouse(kitchen.environment)
    there = {*warehouse.kitchen_tables(kitchen.schema), *warehouse.kitchen_tables(other.schema)}
    key_of = _keys(project, kitchen, graph, None)
    schemas = (kitchen.schema, other.schema)
    return [
        diff.compare(warehouse, table, schemas, key_of(table), 0.01)
        for table in tables
        if table in there
    ]


def _keys(
    project: Project, kitchen: Kitchen, graph: lineage.Graph, given: list[str] | None
) -> Callable[[str], list[str]]:
    """A table's key: ``given``, else the ``key:`` of the node that writes it, else its
    primary key (or the one recorded when it was copied); none: whole rows."""
    declared = {table: node.key for node in graph.nodes if node.key for table in node.writes}
    primary = project.warehouse(kitchen.environment).primary_keys(kitchen.schema)
    recorded = kitchen.data.keys if kitchen.data else {}

    def key_of(table: str) -> list[str]:
        found = given or declared.get(table) or primary.get(table) or recorded.get(table)
        return list(found or [])

    return key_of
