"""What a copy does, planned as data before any row moves (``CopyPlan``): the tables a copy
takes, their columns with their masking rules, the PII gate of a sensitive source, the keys
and references a sample follows and each table's sample, and the masking salt."""

from __future__ import annotations

from dataclasses import dataclass

from kitchen.backends.secrets import reference
from kitchen.backends.warehouse.base import Reference, Structure, Warehouse
from kitchen.backends.warehouse.rows import TablePlan
from kitchen.data import masking, pii
from kitchen.errors import ConfigError, NotAllowed, PreconditionFailed
from kitchen.model import Kitchen
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import samplecopy
from kitchen.workflows.data import describe_unread


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


def _unmasked(types: dict[str, list[tuple[str, str]]]) -> dict[str, list[masking.Column]]:
    return {table: masking.plan([], table, columns) for table, columns in types.items()}


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


def salt(project: Project, environment: str) -> str:
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
