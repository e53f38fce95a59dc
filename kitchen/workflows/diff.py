"""kitchen diff: what a kitchen's pipelines did to its tables, against its parent's (or
another kitchen's of the same environment), computed inside the warehouse."""

from __future__ import annotations

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
    keys = {table: node.key for node in graph.nodes if node.key for table in node.writes}
    written = sorted({t for node in graph.nodes for t in node.writes if "." not in t})
    there = set(warehouse.list_tables(kitchen.schema)) | set(warehouse.list_tables(other.schema))
    chosen = written if not tables else [t.lower() for t in tables]
    for table in chosen:
        if table not in there:
            raise BadInput(
                f"Neither {kitchen.name} nor {other.name} has a table {table!r}."
                f"{did_you_mean(table, sorted(there))}",
                hint=f"`kitchen show {kitchen.name}` lists its tables.",
            )
    recorded = kitchen.data.keys if kitchen.data else {}
    primary = {t: list(k) for t, k in warehouse.primary_keys(kitchen.schema).items()}
    found = [
        diff.compare(
            warehouse,
            table,
            (kitchen.schema, other.schema),
            key or keys.get(table) or primary.get(table) or recorded.get(table) or [],
            threshold,
        )
        for table in chosen
        if table in there
    ]
    untouched = [] if tables else sorted(there - set(written))
    return Comparison(kitchen, other, found, untouched)
