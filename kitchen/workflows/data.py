"""kitchen data scan: which columns of a kitchen look like PII, and which rule covers each."""

from __future__ import annotations

from dataclasses import dataclass

from kitchen.data import masking, pii
from kitchen.errors import BadInput
from kitchen.model import Kitchen
from kitchen.project import Project


@dataclass(frozen=True)
class ScanResult:
    kitchen: Kitchen
    findings: list[tuple[pii.Finding, masking.Rule | None]]  # with the rule that masks it


def scan(project: Project, name: str | None) -> ScanResult:
    kitchen = current_or_named(project, name)
    rules = masking.parse_rules(project.config.data.masking.rules)
    findings = pii.scan(project.warehouse(kitchen.environment), kitchen.schema)
    return ScanResult(kitchen, [(f, masking.rule_for(rules, f.table, f.column)) for f in findings])


def current_or_named(project: Project, name: str | None) -> Kitchen:
    """The named kitchen, or the one whose branch is checked out."""
    if name is not None:
        return project.kitchen(name)
    kitchens, _ = project.kitchens()
    current = project.checked_out(kitchens)
    if current is None:
        raise BadInput("No kitchen's branch is checked out.", hint="Name the kitchen.")
    return current
