"""Read-only views of kitchens: list, show, and which one is checked out."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from kitchen import journal
from kitchen.errors import BadInput, KitchenError
from kitchen.model import Kitchen, Run, Status, TableInfo
from kitchen.names import did_you_mean
from kitchen.project import Project, Trail
from kitchen.workflows import views


@dataclass
class Listing:
    kitchens: list[Kitchen]
    current: str | None
    problems: list[KitchenError]
    after: str | None = None  # where the next page starts (``--after``); None: this is the last


@dataclass(frozen=True)
class Tested:
    """A kitchen's latest passing run, and whether it covers its branch's HEAD (show)."""

    run_id: str
    commit: str
    at: str
    dirty: bool
    covers_head: bool
    head: str


@dataclass
class Details:
    kitchen: Kitchen
    current: bool
    tables: list[TableInfo]
    commits_ahead: int | None
    commits_behind: int | None
    preview: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = field(default_factory=dict)
    tested: Tested | None = None  # the latest passing run, and whether it covers HEAD
    ticket_url: str | None = None  # the kitchen's ticket, where kitchen.yaml says how to link it


def list_kitchens(project: Project, after: str | None = None, limit: int = 0) -> Listing:
    """The kitchens by name, a page of ``limit`` (0: all) after the one named ``after``:
    pages by name, not by position, so a kitchen made or deleted between two pages moves no
    other from one page to the next (none is listed twice, none skipped)."""
    kitchens, problems = project.kitchens(after, limit + 1 if limit else 0)
    more = bool(limit) and len(kitchens) > limit
    kitchens = kitchens[:limit] if limit else kitchens
    current = project.checked_out(kitchens)
    if current is None and (after is not None or more):  # it may be on another page
        current = project.checked_out()
    return Listing(
        kitchens,
        current.name if current else None,
        list(problems.values()),
        kitchens[-1].name if more else None,
    )


def show(project: Project, name: str, preview: int = 0, only: str | None = None) -> Details:
    kitchen = project.kitchen(name)
    tables: list[TableInfo] = []
    samples: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    if kitchen.status in (Status.READY, Status.PROVISIONING, Status.FAILED):
        warehouse = project.warehouse(kitchen.environment)
        names = warehouse.kitchen_tables(kitchen.schema)
        if only is not None and only not in names:
            raise BadInput(
                f"Kitchen {name!r} has no table {only!r}.",
                hint=f"Its tables: {', '.join(names)}." if names else "It has no tables.",
            )
        tables = views.table_infos(project, kitchen, names)
        for info in tables:
            if preview and only in (None, info.name) and not info.problem:
                samples[info.name] = warehouse.preview(kitchen.schema, info.name, preview)
    ahead, behind = _divergence(project, kitchen)
    current = project.git.current_branch() == kitchen.branch
    tickets = project.config.tickets
    link = tickets.link(kitchen.ticket) if tickets and kitchen.ticket else None
    tested = _tested(project, kitchen)
    return Details(kitchen, current, tables, ahead, behind, samples, tested, link)


def _tested(project: Project, kitchen: Kitchen) -> Tested | None:
    if kitchen.status != Status.READY or not project.git.branch_exists(kitchen.branch):
        return None
    runs = project.registry(kitchen.environment).each_run(kitchen.name)
    latest = next((r for r in runs if r.status == "passed"), None)
    if latest is None:
        return None
    head = project.git.sha(kitchen.branch)
    covers = latest.commit_sha == head and not latest.dirty
    return Tested(latest.id, latest.commit_sha, latest.started_at, latest.dirty, covers, head)


@dataclass
class Runs:
    kitchen: Kitchen
    runs: list[Run]  # newest first
    total: int  # of all pages
    before: str | None  # where the next (older) page starts; None: this is the last


def runs(project: Project, name: str | None, limit: int = 0, before: str | None = None) -> Runs:
    """A page of a kitchen's recorded test runs: the newest ``limit`` (0: all), those
    started ``before`` a time where given."""
    kitchen = project.current_or_named(name)
    registry = project.registry(kitchen.environment)
    found = registry.runs(kitchen.name, limit, before)
    older = bool(limit and found) and bool(registry.runs(kitchen.name, 1, found[-1].started_at))
    total = registry.count("runs", kitchen.name) if limit else len(found)
    return Runs(kitchen, found, total, found[-1].started_at if older else None)


def audit_trail(project: Project, name: str | None, limit: int, before: str | None) -> Trail:
    """A page of the audit trail (of one kitchen, or all): fails only when no environment's
    trail could be read, or a kitchen is named that neither exists nor ever had events."""
    trail = project.events(name, limit, before)
    if len(trail.problems) == len(project.config.environments):
        raise next(iter(trail.problems.values()))  # no trail could be read at all
    if name is not None and not trail.events:  # a kitchen with nothing recorded yet, or a typo
        kitchens, _ = project.kitchens()
        known = {k.name for k in kitchens}
        for environment in project.config.environments:
            with contextlib.suppress(KitchenError):
                known |= project.registry(environment).event_kitchens()
        if name not in known:
            raise BadInput(
                f"No kitchen {name!r}, nor events of one.{did_you_mean(name, known)}",
                hint="`kitchen log` lists every kitchen's events.",
            )
    return trail


def _divergence(project: Project, kitchen: Kitchen) -> tuple[int | None, int | None]:
    """Commits the kitchen's branch has that its parent's lacks, and the other way round;
    a branch this clone never checked out is compared as last fetched from the remote."""
    if not kitchen.parent:
        return None, None
    mine = branch_ref(project, kitchen.branch)
    theirs = branch_ref(project, project.kitchen(kitchen.parent).branch)
    if mine is None or theirs is None:
        return None, None
    git = project.git
    return git.commits_not_in(mine, theirs), git.commits_not_in(
        project.parent_tip(kitchen, theirs), mine
    )


def branch_ref(project: Project, branch: str) -> str | None:
    git, remote = project.git, project.remote
    if git.branch_exists(branch):
        return branch
    if remote is not None and git.tracking(remote, branch) is not None:
        return f"refs/remotes/{remote}/{branch}"
    return None


def checkout(project: Project, name: str) -> Kitchen:
    kitchen = project.kitchen(name)
    kitchen = journal.require_ready(project, kitchen)
    project.require_clean(f"check out {name}", changes=False)
    project.git.checkout(kitchen.branch)
    return kitchen
