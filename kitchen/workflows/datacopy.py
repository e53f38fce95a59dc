"""Filling a kitchen's schema with its parent's tables, masked where data leaves safety.

Every row moves inside the warehouse (or, between PostgreSQL servers, as binary COPY blocks
produced by the masked SELECT in the source): none passes through Python.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass

from kitchen import faults
from kitchen.backends.secrets import reference
from kitchen.backends.warehouse.base import Probe, Reference, Structure, Warehouse
from kitchen.backends.warehouse.rows import TablePlan
from kitchen.backends.warehouse.rowsql import compile_plan
from kitchen.backends.warehouse.sql import Query
from kitchen.data import kinds, masking, pii, projection
from kitchen.errors import ConfigError, NotAllowed, PreconditionFailed
from kitchen.model import DataState, Kitchen, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import counted
from kitchen.workflows import samplecopy
from kitchen.workflows.data import describe_unread
from kitchen.workflows.samplecopy import DataCheckFailed


@dataclass
class CopyPlan:
    """What a copy does, as data, decided before any row moves: its tables and their
    columns' types, whether it masks (each column's strategy), the keys and references a
    sample follows, each table's sample (a tree of which rows it keeps), how many samples
    the source's data went through already, and the structure to rebuild (read within the
    copy's snapshot: its sequences then stand past every row the copy reads). The source
    engine's dialect compiles it (``compile_copy``); the destination's adapter runs it."""

    tables: list[str]
    types: dict[str, list[tuple[str, str]]]
    mask: bool
    columns: dict[str, list[masking.Column]]
    references: list[Reference]
    keys: dict[str, list[str]]
    drawn: int
    rows_of: dict[str, TablePlan]
    structure: Structure | None = None

    @property
    def masked(self) -> dict[str, set[str]]:
        """Each table's masked columns, which the structure rebuilt must not constrain."""
        return {
            table: {c.name for c in planned if c.masked} for table, planned in self.columns.items()
        }


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
    planned = plan(project, source, target, sample, report)
    if planned.mask:
        salt = _salt(project, source.environment)
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


def plan(
    project: Project, source: Kitchen, target: Kitchen, sample: str | None, report: Reporter
) -> CopyPlan:
    """What copying ``source`` into ``target`` does (see ``CopyPlan``); the PII gate of a
    sensitive source first, and keys that would not join after masking, said."""
    origin = project.warehouse(source.environment)
    tables = _copied_tables(project, origin, source)
    types = {table: origin.column_types(source.schema, table) for table in tables}
    mask = project.needs_masking(source, target)
    columns = _plans(project, origin, source.schema, tables) if mask else _unmasked(types)
    if project.environment(source.environment).sensitive:
        _gate_unmasked_pii(project, origin, source, tables, report)
    references = samplecopy.references(project, origin, source)
    keys = samplecopy.keys(origin, source)
    drawn = samplecopy.samplings(source)
    rows_of = (
        samplecopy.sampling_for(project, origin, types, references, sample, keys=keys, drawn=drawn)
        if mask or sample
        else {}
    )
    if mask and (broken := masking.unjoined(columns, references)):
        report.warn(
            f"These keys are masked differently on each side: {'; '.join(broken)}. The "
            "kitchen's rows will not join there; give both sides of a key the same rule."
        )
    return CopyPlan(tables, types, mask, columns, references, keys, drawn, rows_of)


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


def _unmasked(types: dict[str, list[tuple[str, str]]]) -> dict[str, list[masking.Column]]:
    return {table: masking.plan([], table, columns) for table, columns in types.items()}


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


def _plans(
    project: Project, origin: Warehouse, schema: str, tables: list[str]
) -> dict[str, list[masking.Column]]:
    """Every table's columns with their rules; every rule checked before anything is copied.
    A domain's column is masked as the type it constrains: the domain's checks describe the
    original values, which masking replaces."""
    types = {table: origin.column_types(schema, table, base=True) for table in tables}
    rules = masking.parse_rules(project.config.data.masking.rules)
    masking.check_targets(
        [rule for rule in rules if not project.excluded(rule.pattern.partition(".")[0])], types
    )
    return masking.plan_all(rules, types)


def _copied_tables(project: Project, origin: Warehouse, source: Kitchen) -> list[str]:
    """The source's tables but those ``data.exclude`` names. One its login may not read, or
    not all of, stops the copy: PostgreSQL hides such a table, and a kitchen without it
    (or a refresh that drops the copy it had) would look complete and not be."""
    hidden = {
        table: columns
        for table, columns in origin.unreadable(source.schema).items()
        if not project.excluded(table)
    }
    if hidden:
        raise NotAllowed(
            f"The {source.environment} warehouse's login may not read all of "
            f"{describe_unread(hidden)} in {source.schema}: a copy of {source.name} would be "
            "incomplete.",
            hint="Grant that login SELECT on them, or leave them out of every copy with "
            f"data.exclude in kitchen.yaml (exclude: [{', '.join(hidden)}]).",
        )
    return [table for table in origin.list_tables(source.schema) if not project.excluded(table)]


def _gate_unmasked_pii(
    project: Project, origin: Warehouse, source: Kitchen, tables: list[str], report: Reporter
) -> None:
    """A column that looks like PII and has no rule stops a copy out of a sensitive place."""
    rules = masking.parse_rules(project.config.data.masking.rules)
    unruled = [
        finding
        for finding in pii.scan(origin, source.schema, tables)
        if masking.rule_for(rules, finding.table, finding.column) is None
    ]
    if not unruled:
        return
    listing = "; ".join(pii.describe(finding) for finding in unruled)
    if project.config.data.unmasked_pii == "warn":
        report.warn(f"Copying columns that look like PII without a masking rule: {listing}.")
        return
    raise PreconditionFailed(
        f"{source.environment} is sensitive and these columns look like PII but have no "
        f"masking rule: {listing}.",
        hint="Add the rules under data.masking.rules (`keep` where a column is not PII), "
        "or set data.unmasked_pii: warn.",
    )


SALT_SHORTEST = 16  # characters of a masking salt: a shorter one can be found by trying


def _salt(project: Project, environment: str) -> str:
    """The masking salt from the environment's secrets; never a silent default."""
    configured = project.config.data.masking.salt
    key = reference(configured) if configured else None
    if key is None:
        raise ConfigError(
            "data.masking.salt: data leaving the "
            f"{environment} environment is masked, which needs a salt from its secrets.",
            hint="Set data.masking.salt: \"{{ secret('masking#salt') }}\" and store the "
            "salt under that key (kitchen init does both).",
        )
    salt = project.scoped(environment).get(key)
    if len(salt) < SALT_SHORTEST:
        raise ConfigError(
            f"data.masking.salt: the {environment} salt ({key}) has {len(salt)} characters; "
            "anyone who knows one original value and its masked form could try every salt "
            "that short and unmask the rest.",
            hint=f"Store at least {SALT_SHORTEST} random characters under {key}, e.g. from "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` (kitchen init "
            "makes such a salt).",
        )
    return salt
