"""kitchen staff: who may act on a kitchen, and how its staff add and remove people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kitchen.errors import BadInput, PreconditionFailed
from kitchen.model import Kitchen
from kitchen.project import Project
from kitchen.workflows.create import validate_staff


@dataclass
class StaffChange:
    kitchen: Kitchen
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "kitchen": self.kitchen.name,
            "staff": self.kitchen.staff,
            "added": self.added,
            "removed": self.removed,
        }


def change_staff(
    project: Project, name: str | None, add: list[str], remove: list[str]
) -> StaffChange:
    """Add and remove staff entries (emails or globs); with neither, only read them. Only
    staff may change a kitchen's staff, and never down to nobody: an empty list admits
    anyone. A root kitchen's staff is kitchen.yaml's, changed there."""
    kitchen = project.current_or_named(name)
    add, remove = [validate_staff(who) for who in add], [validate_staff(who) for who in remove]
    change = StaffChange(kitchen)
    if not add and not remove:
        return change
    if kitchen.root:
        raise PreconditionFailed(
            f"The staff of {kitchen.name} is set in kitchen.yaml, not by the command line.",
            hint=f"Change kitchens.{kitchen.name}.staff there, and merge the change.",
        )
    project.require_staff(kitchen, "change its staff")
    unknown = [who for who in remove if who not in kitchen.staff]
    if unknown:
        raise BadInput(
            f"{', '.join(unknown)}: not on the staff of {kitchen.name} "
            f"({', '.join(kitchen.staff)}).",
            hint="Remove entries as `kitchen show` lists them (a glob is removed as written).",
        )
    staff = [who for who in kitchen.staff if who not in remove]
    change.removed = [who for who in kitchen.staff if who in remove]
    change.added = [who for who in dict.fromkeys(add) if who not in staff]
    staff += change.added
    if not staff:
        raise PreconditionFailed(
            f"That would leave {kitchen.name} without staff, which admits anyone.",
            hint="Add someone in the same command (`--add '*@acme.io'` opens it to a team).",
        )
    if change.added or change.removed:
        project.registry(kitchen.environment).set_staff(kitchen.name, staff)
        changes: dict[str, Any] = {"added": change.added, "removed": change.removed}
        project.audit(kitchen, "staff", **{key: who for key, who in changes.items() if who})
    kitchen.staff = staff
    return change
