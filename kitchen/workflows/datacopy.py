"""Filling a kitchen's schema with its parent's tables, masked where data leaves safety:
the copy planned (copyplan.py), compiled through the source engine, run by the destination's
adapter within one snapshot, then checked.

Every row moves inside the warehouse (or, between PostgreSQL servers, as binary COPY blocks
produced by the masked SELECT in the source): none passes through Python.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass

from kitchen import faults
from kitchen.backends.warehouse.base import Probe, Structure, Warehouse
from kitchen.backends.warehouse.rows import TablePlan
from kitchen.backends.warehouse.rowsql import compile_plan
from kitchen.backends.warehouse.sql import Query
from kitchen.data import kinds, masking, projection
from kitchen.model import DataState, Kitchen, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import counted
from kitchen.workflows import copyplan, samplecopy
from kitchen.workflows.copyplan import CopyPlan
from kitchen.workflows.samplecopy import DataCheckFailed


def copy_tables(
    project: Project,
    source: Kitchen,
    target: Kitchen,
    report: Reporter,
    sample: str | None = None,
    *,
    home: str | None = None,
) -> DataState:
    """Copy every table of ``source`` into ``target``'s (empty) schema, with their keys,
    indexes, partitions and the schema's views, functions and triggers where the engine
    reads them (a bare table each where it does not). ``home``: the kitchen's schema,
    where ``target`` is a refresh's staging schema.

    Masking and the configured sampling apply where data leaves safety (``Project.needs_masking``);
    ``sample`` (``--sample``) samples any copy.
    """
    origin = project.warehouse(source.environment)
    destination = project.warehouse(target.environment)
    planned = copyplan.plan(project, source, target, sample, report)
    if planned.mask:
        salt = copyplan.salt(project, source.environment)
        origin.set_salt(salt)
        destination.set_salt(salt)
        for table, columns in planned.columns.items():
            projection.rehearse(origin, source.schema, table, columns)
    rows = _copy(origin, destination, source, target, planned, report=report, home=home)
    if planned.rows_of:
        samplecopy.check_orphans(destination, target.schema, planned.references, planned.tables)
    if (structure := planned.structure) is None:  # bare tables: say which columns lost their type
        _report_changed_types(report, destination, target.schema, planned.types, planned.columns)
    else:
        _build_after(report, destination, target, structure)
    if planned.mask:
        _verify(origin, destination, source, target, planned)  # fails closed
    inherited = planned.mask or bool(source.data and source.data.masked)
    return DataState(
        source=source.name,
        masked=inherited,
        tables=len(planned.tables),
        rows=rows,
        copied_at=utcnow(),
        rules=_rules(planned) if planned.mask else 0,
        verified_at=utcnow() if planned.mask else None,
        sample=samplecopy.describe(project, sample) if planned.rows_of else None,
        sample_option=sample,
        references=[
            [r.table, list(r.columns), r.parent, list(r.parent_columns), r.nullable]
            for r in planned.references
        ],
        keys=planned.keys,
        copied=planned.tables,
        left_out=structure.left_out if structure else [],
        samplings=planned.drawn + (1 if planned.rows_of else 0),  # all rows: its source's
    )


def _copy(
    origin: Warehouse,
    destination: Warehouse,
    source: Kitchen,
    target: Kitchen,
    planned: CopyPlan,
    *,
    report: Reporter,
    home: str | None,
) -> int:
    """The rows copied, within one snapshot of the source, into the structure rebuilt
    (before the rows: tables, partitions; after: the rest, by the caller)."""
    rows = 0
    label = "Masking and copying" if planned.mask else "Copying"
    tables = planned.tables
    with (
        destination.snapshot(origin, source.schema, tables),
        report.progress(f"{label} {len(tables)} tables from {source.name}", len(tables)) as done,
    ):
        planned.structure = origin.read_structure(source.schema, tables, planned.masked)
        columns = planned.columns
        if planned.structure is not None:
            destination.build_before(planned.structure, target.schema, home)
            columns = {table: columns[table] for table in planned.structure.arrival} | columns
        moved = move(
            origin,
            destination,
            source.schema,
            target.schema,
            columns=columns,
            rows_of=planned.rows_of,
            into_existing=planned.structure is not None,
        )
        with closing(moved):  # if this loop stops early, the copies running are cancelled
            for _, count in moved:
                rows += count
                done(1)
                faults.checkpoint("copy.table")  # mid-copy, in create and refresh
    return rows


def _verify(
    origin: Warehouse, destination: Warehouse, source: Kitchen, target: Kitchen, planned: CopyPlan
) -> None:
    """No original value of a replaced column is left in the copy: otherwise it fails,
    closed (a create leaves nothing, a refresh keeps the old data)."""
    found = overlaps(origin, destination, source.schema, target.schema, planned.columns)
    problems = [
        f"{table}.{column}: {counted(count, 'original value')} present"
        for table, column, count in found
        if count
    ]
    if problems:
        raise DataCheckFailed(
            f"Masking check failed in {target.name}: {'; '.join(problems)}.",
            hint="Nothing was kept. Give those columns a rule that replaces every value "
            "(docs/masking.md, Verification), then run the command again.",
        )


def _rules(planned: CopyPlan) -> int:
    """How many masking rules the copy applied."""
    return len(
        {
            c.rule.pattern
            for columns in planned.columns.values()
            for c in columns
            if c.rule and c.masked
        }
    )


@dataclass(frozen=True)
class TableCopy:
    """One table's copy as its engine runs it: the (masked) columns, the sample's
    predicates (a row meets one; none: every row), the per-row values they read."""

    select: Query
    where: list[Query]
    derived: Query | None


def compile_copy(
    origin: Warehouse,
    columns: dict[str, list[masking.Column]],
    rows_of: dict[str, TablePlan],
) -> dict[str, TableCopy]:
    """Each table's copy compiled through the source engine's dialect, before any runs."""
    copies = {}
    for table, planned in columns.items():
        sampled = compile_plan(origin, rows_of.get(table, TablePlan()))
        projected = projection.select_list(origin, planned, sampled.nulled)
        copies[table] = TableCopy(projected.columns, sampled.where, projected.derived)
    return copies


def move(
    origin: Warehouse,
    destination: Warehouse,
    source_schema: str,
    schema: str,
    *,
    columns: dict[str, list[masking.Column]],
    rows_of: dict[str, TablePlan],
    into_existing: bool = False,
) -> Generator[tuple[str, int], None, None]:
    """Each table of ``columns`` copied masked and sampled as planned, in that order: (table,
    rows) as each finishes. The salt must be set on both warehouses."""
    copies = compile_copy(origin, columns, rows_of)

    def copy(into: Warehouse, origin: Warehouse, table: str) -> int:
        planned = copies[table]
        return into.copy_table(
            origin,
            source_schema,
            table,
            schema,
            select=planned.select,
            where=planned.where,
            derived=planned.derived,
            into_existing=into_existing,
        )

    return destination.concurrently(origin, copy, list(copies))


def overlaps(
    origin: Warehouse,
    destination: Warehouse,
    source_schema: str,
    schema: str,
    columns: dict[str, list[masking.Column]],
) -> list[tuple[str, str, int]]:
    """For every replaced column, how many of its values in ``schema`` are original ones."""
    replaced = [(t, c) for t, planned in columns.items() for c in planned if c.verifiable]

    def overlap(into: Warehouse, origin: Warehouse, item: tuple[str, masking.Column]) -> int:
        table, column = item
        kind = kinds.family(column.type)
        probe = Probe(
            column.name,
            # types outside the families may have no equality (PostgreSQL's json, xml, point)
            as_text=kind == "other",
            allowed=projection.constant(origin, column),
            text=kind == "text",
        )
        return into.overlap(origin, source_schema, table, schema, probe)

    found = destination.concurrently(origin, overlap, replaced)
    return sorted((table, column.name, count) for (table, column), count in found)


def _build_after(
    report: Reporter, destination: Warehouse, target: Kitchen, structure: Structure
) -> None:
    """Keys, indexes, views and the rest over the copied rows; what the copy changed or
    left out, said."""
    if structure.loosened:
        report.warn(
            "These masked columns arrived as the types their domains constrain: "
            f"{', '.join(structure.loosened)}. The domains' checks describe the original "
            "values, which masking replaced."
        )
    with report.progress(f"Building keys, indexes and views of {target.name}", 1) as done:
        destination.build_after(structure, target.schema)
        done(1)
    if structure.left_out:
        report.warn(f"Left out of {target.name}: {'; '.join(structure.left_out)}.")


def _report_changed_types(
    report: Reporter,
    destination: Warehouse,
    schema: str,
    types: dict[str, list[tuple[str, str]]],
    columns: dict[str, list[masking.Column]],
) -> None:
    """Say which columns arrived with other types than the source's: a type that another
    database lacks comes as text, a domain lacking there or masked as the type it constrains
    (a sql rule makes its own type)."""
    changed = []
    for table, planned in columns.items():
        arrived = dict(destination.column_types(schema, table))
        own = {c.name for c in planned if c.rule is not None and c.rule.strategy == "sql"}
        changed += [
            f"{table}.{name} ({kind} -> {arrived[name]})"
            for name, kind in types[table]
            if name not in own and arrived.get(name, kind) != kind
        ]
    if changed:
        report.warn(
            f"These columns arrived with other types than the source's: {', '.join(changed)}. "
            f"A type that the {destination.environment} database lacks arrives as text; a "
            "domain arrives as the type it constrains where that database lacks it or a rule "
            "masks it."
        )
