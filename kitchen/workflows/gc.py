"""kitchen gc: delete temporary kitchens past their TTL, never unmerged work unless forced."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kitchen import faults
from kitchen.errors import GitUnreachable, KitchenError
from kitchen.model import Kitchen
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import moment
from kitchen.workflows import delete


@dataclass
class Collection:
    removed: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # kitchen: why it was kept


def expired(kitchens: list[Kitchen], now: datetime | None = None) -> list[Kitchen]:
    moment = now or datetime.now(UTC)
    return [
        k
        for k in kitchens
        if not k.root and k.expires_at and datetime.fromisoformat(k.expires_at) <= moment
    ]


def collect(project: Project, dry_run: bool, force: bool, report: Reporter) -> Collection:
    """Children before parents, so an expired tree goes in one run. The kitchens are read
    and the remote fetched once for all of them."""
    result = Collection()
    kitchens, _ = project.kitchens()
    doomed = expired(kitchens)
    sweep = delete.Sweep(kitchens)
    if doomed and not force:  # to judge what is merged, as the remote has it
        with contextlib.suppress(GitUnreachable):  # offline: this clone's branches say
            project.sync()
    depth = {k.name: _depth(k, {d.name: d for d in doomed}) for k in doomed}
    for kitchen in sorted(doomed, key=lambda k: -depth[k.name]):
        try:
            checked = delete.check(project, kitchen.name, force, sweep)
        except KitchenError as exc:  # unmerged commits, living children, not staff...
            result.skipped[kitchen.name] = exc.message
            continue
        sweep.leaving.add(kitchen.name)  # its parent may go too
        if dry_run:
            result.removed.append(kitchen.name)
            continue
        report.step(
            f"Deleting expired kitchen {kitchen.name} (expired {moment(kitchen.expires_at)})"
        )
        delete.delete(project, checked, report)
        result.removed.append(kitchen.name)
        faults.checkpoint("gc.kitchen")  # between two deletes: a re-run goes on
    return result


def _depth(kitchen: Kitchen, doomed: dict[str, Kitchen]) -> int:
    depth, parent = 0, kitchen.parent
    while parent in doomed:
        depth, parent = depth + 1, doomed[parent].parent
    return depth
