"""kitchen data scan: which columns of a kitchen look like PII, and which rule covers each."""

from __future__ import annotations

from dataclasses import dataclass, field

from kitchen.data import masking, pii
from kitchen.model import Kitchen
from kitchen.project import Project


@dataclass(frozen=True)
class ScanResult:
    kitchen: Kitchen
    findings: list[tuple[pii.Finding, masking.Rule | None]]  # with the rule that masks it
    unread: dict[str, list[str]] = field(default_factory=dict)  # see Warehouse.unreadable


def scan(project: Project, name: str | None) -> ScanResult:
    """The tables this login may read are scanned; the others are named, not a failure."""
    kitchen = project.current_or_named(name)
    rules = masking.parse_rules(project.config.data.masking.rules)
    warehouse = project.warehouse(kitchen.environment)
    unread = warehouse.unreadable(kitchen.schema)
    tables = [t for t in warehouse.kitchen_tables(kitchen.schema) if t not in unread]
    findings = pii.scan(warehouse, kitchen.schema, tables)
    return ScanResult(
        kitchen, [(f, masking.rule_for(rules, f.table, f.column)) for f in findings], unread
    )


def describe_unread(unread: dict[str, list[str]]) -> str:
    """``t5, t6 (columns email, note)``: tables a login may not read, or not all of."""
    return ", ".join(
        f"{table} (columns {', '.join(columns)})" if columns else table
        for table, columns in unread.items()
    )
