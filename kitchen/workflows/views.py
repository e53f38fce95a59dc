"""Kitchens that cost nothing to create (``data: {mode: views}``): a view in the kitchen's
schema onto each of its parent's tables instead of a copy.

A view sees the parent's later changes (a copy is a snapshot); nobody writes through one. A
pipeline that writes one of them makes it the kitchen's own table first (``make_own``); on
PostgreSQL, whose views hold on to the tables they read, a node that replaces a table
children view lets go of their views first and makes them again after (``lift``). A view
whose table was dropped or changed under it is reported by ``show`` and ``doctor``, and
mended by ``kitchen data refresh``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from kitchen.backends.warehouse.base import Link, Warehouse
from kitchen.errors import BadInput, PreconditionFailed
from kitchen.model import DataState, Kitchen, TableInfo, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import counted
from kitchen.workflows import identity

MODES = ("copy", "views", "clone")


def choose(
    project: Project,
    source: Kitchen,
    target: Kitchen,
    asked: str | None,
    *,
    sample: str | None,
    report: Reporter,
) -> str:
    """The way ``target`` gets ``source``'s data: ``asked`` (``--data``), else
    kitchen.yaml's ``data.mode``. Asked for, a mode this copy cannot take is refused (exit 2
    or 3, before anything is made); set in kitchen.yaml for every kitchen, it falls back to a
    copy, saying why."""
    mode = asked or project.config.data.mode
    if mode not in MODES:
        raise BadInput(f"--data {mode!r} is not a way kitchen fills a kitchen.", hint=_MODES_HINT)
    warehouse = project.warehouse(target.environment)
    why = None
    if mode == "clone" and not warehouse.zero_copy_clone:
        why = f"the {target.environment} warehouse ({warehouse.location}) has no zero-copy clones"
    elif mode != "copy" and project.needs_masking(source, target):
        why = f"{source.name}'s data is masked on its way to {target.name}: a view cannot mask"
    elif mode != "copy" and sample:
        why = "--sample takes a copy: a view shows its parent's whole table"
    if why is None:
        if mode == "copy":
            _refuse_copy_of_views(project, source, target)
        return mode
    if asked:
        raise PreconditionFailed(f"Kitchen {target.name!r} cannot take {mode}: {why}.", _MODES_HINT)
    report.warn(f"data.mode is {mode}, but {why}: copying instead.")
    _refuse_copy_of_views(project, source, target)
    return "copy"


_MODES_HINT = (
    "--data copy (a masked, sampled snapshot), views (no copy: views onto the parent's "
    "tables in the same environment) or clone (zero-copy clones, where the engine has them)."
)


def _refuse_copy_of_views(project: Project, source: Kitchen, target: Kitchen) -> None:
    """A copy reads a kitchen's own tables and rebuilds its structure: the views of a views
    kitchen are neither. Its data is its parent's: copy from there."""
    if project.warehouse(source.environment).links(source.schema):
        raise PreconditionFailed(
            f"Kitchen {source.name!r} holds views of {source.parent}'s tables, not copies: "
            f"{target.name} cannot copy them.",
            hint=f"Take views of them (--data views), copy from {source.parent} instead, or "
            f"first `kitchen data refresh {source.name} --data copy`.",
        )


def link_tables(project: Project, source: Kitchen, target: Kitchen, report: Reporter) -> DataState:
    """A view in ``target``'s schema onto each of ``source``'s tables (onto the table a
    view of ``source``'s shows: views of views would break with the view between)."""
    warehouse = project.warehouse(target.environment)
    shown = {link.table: link.origin_schema for link in warehouse.links(source.schema)}
    tables = [t for t in warehouse.kitchen_tables(source.schema) if not project.excluded(t)]
    report.step(f"Views onto {counted(len(tables), 'table')} of {source.name} (nothing copied)")
    with warehouse.transaction():
        for origin, group in _by_origin(tables, shown, source.schema).items():
            warehouse.link(origin, target.schema, group)
    data = source.data
    return DataState(
        source=source.name,
        masked=bool(data and data.masked),
        tables=len(tables),
        rows=0,
        copied_at=utcnow(),
        verified_at=data.verified_at if data else None,
        references=data.references if data else [],
        keys=data.keys if data else {},
        copied=tables,
        mode="views",
    )


def _by_origin(tables: list[str], shown: dict[str, str], schema: str) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for table in tables:
        grouped.setdefault(shown.get(table, schema), []).append(table)
    return grouped


def relink(project: Project, source: Kitchen, kitchen: Kitchen, report: Reporter) -> DataState:
    """A refresh of a views kitchen: each of the parent's tables shown again by a view (the
    kitchen's own version of it dropped, as a refresh replaces a copy), the views of tables
    the parent no longer has dropped, and the kitchen's other tables kept; in one
    transaction."""
    warehouse = project.warehouse(kitchen.environment)
    before = kitchen.data.copied if kitchen.data else []
    with warehouse.transaction():
        state = link_tables(project, source, kitchen, report)
        if gone := [table for table in before if table not in state.copied]:
            report.step(f"Dropping the views of tables {source.name} no longer has: {gone}")
            warehouse.unlink(kitchen.schema, gone)
    return state


def table_infos(project: Project, kitchen: Kitchen, names: Sequence[str]) -> list[TableInfo]:
    """``show``'s tables: each with its rows, and whose table a view shows; a view that no
    longer shows its table, and a view that is gone, with the reason."""
    warehouse = project.warehouse(kitchen.environment)
    links = {link.table: link for link in warehouse.links(kitchen.schema)}
    owners = _owners(project, kitchen) if links else {}
    infos = []
    for name in names:
        link = links.get(name)
        problem = warehouse.link_problem(link) if link else None
        rows = 0 if problem else warehouse.row_count(kitchen.schema, name)
        of = owners.get(link.origin_schema, link.origin_schema) if link else None
        infos.append(TableInfo(name, rows, view_of=of, problem=problem))
    for gone in missing(project, kitchen, names):
        infos.append(TableInfo(gone, 0, view_of=kitchen.parent, problem="the view is gone"))
    return sorted(infos, key=lambda info: info.name)


def _owners(project: Project, kitchen: Kitchen) -> dict[str, str]:
    """The kitchens up its line by schema: whose table a view shows."""
    found = {}
    current: Kitchen | None = kitchen
    while current is not None and current.parent is not None:
        current = project.kitchen(current.parent)
        found[current.schema] = current.name
    return found


def missing(project: Project, kitchen: Kitchen, present: Sequence[str]) -> list[str]:
    """Tables a views kitchen was given that are not there at all: their views were
    dropped with the parent's table (``DROP ... CASCADE``)."""
    if kitchen.data is None or kitchen.data.mode != "views":
        return []
    return [table for table in kitchen.data.copied if table not in present]


def problems(project: Project, kitchen: Kitchen) -> list[str]:
    """What is wrong with a views kitchen's views, a line per view (doctor)."""
    warehouse = project.warehouse(kitchen.environment)
    found = [
        f"its view {link.table} of {link.origin}: {problem}"
        for link in warehouse.links(kitchen.schema)
        if (problem := warehouse.link_problem(link))
    ]
    tables = warehouse.kitchen_tables(kitchen.schema)
    found += [f"its view {table} is gone" for table in missing(project, kitchen, tables)]
    return found


def make_own(project: Project, kitchen: Kitchen, replaced: set[str], changed: set[str]) -> None:
    """Before a node writes: a view it replaces (``CREATE TABLE``) is dropped, one it
    changes (``INSERT``, ``UPDATE``...) becomes a table of the kitchen's own holding what it
    showed (copy on write), which the kitchen's login is given."""
    warehouse = project.warehouse(kitchen.environment)
    linked = {link.table for link in warehouse.links(kitchen.schema)}
    if gone := sorted(linked & replaced):
        warehouse.unlink(kitchen.schema, gone)
    if kept := sorted(linked & (changed - replaced)):
        warehouse.unlink(kitchen.schema, kept, keep=True)
        identity.regrant(project, kitchen)


def regrant_viewers(project: Project, environment: str, links: list[Link]) -> None:
    """The logins of kitchens whose views were made again onto new tables may read them."""
    schemas = {link.schema for link in links}
    for kitchen in project.registry(environment).all() if schemas else []:
        if kitchen.schema in schemas:
            identity.regrant(project, kitchen)


@contextmanager
def lift(warehouse: Warehouse, schema: str, tables: set[str] | None) -> Iterator[list[Link]]:
    """While a node replaces ``tables`` of ``schema`` (None: it may replace any, as dbt
    does): other kitchens' views of them are dropped where the engine's views hold their
    tables (PostgreSQL refuses to drop a table views depend on, and dbt's ``DROP ...
    CASCADE`` would drop them silently), and made again after, onto the tables then there
    (those the node made; none where it failed to)."""
    held = []
    if warehouse.views_hold_tables and tables != set():
        held = [link for link in warehouse.links() if link.origin_schema == schema]
        held = [link for link in held if tables is None or link.table in tables]
    if not held:
        yield []
        return
    for link in held:
        warehouse.unlink(link.schema, [link.table])
    try:
        yield held
    finally:
        there = set(warehouse.list_tables(schema))
        for link in held:
            if link.table in there:
                warehouse.link(schema, link.schema, [link.table])
