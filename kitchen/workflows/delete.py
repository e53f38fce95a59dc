"""kitchen delete: every refusal first (a root, a protected kitchen, children, unmerged
commits, readers outside), then what a crash left half-done on the kitchen is settled and
it is taken down (kitchen/workflows/teardown.py, which holds the command's steps)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from kitchen import journal
from kitchen.errors import GitUnreachable, NotAllowed, PreconditionFailed
from kitchen.model import Kitchen
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import counted
from kitchen.workflows import recover, teardown


@dataclass
class Sweep:
    """What gc knows while it checks the many kitchens it deletes, once for all of them:
    every kitchen (read once), those gone already (children that hold no parent back), and
    the branches brought up to the remote (fetched once, before the sweep)."""

    kitchens: list[Kitchen]
    leaving: set[str] = field(default_factory=set)
    followed: set[str] = field(default_factory=set)


def check(project: Project, name: str, force: bool, sweep: Sweep | None = None) -> Kitchen:
    """Every refusal, before anything is asked or touched. Returns the kitchen to delete."""
    kitchen = project.kitchen(name)
    if kitchen.root:
        raise NotAllowed(
            f"{name!r} is a root kitchen declared in kitchen.yaml and cannot be deleted here.",
            hint="Remove it from kitchen.yaml if you really mean to retire it.",
        )
    if kitchen.protected:
        raise NotAllowed(f"Kitchen {name!r} is protected.")
    kitchens = sweep.kitchens if sweep else project.kitchens()[0]
    leaving = sweep.leaving if sweep else set()
    children = sorted(k.name for k in kitchens if k.parent == name and k.name not in leaving)
    if children:
        raise PreconditionFailed(
            f"Kitchen {name!r} has child kitchens: {', '.join(children)}.",
            hint="Delete or merge them first.",
        )
    project.require_staff(kitchen, "delete it")
    journal.refuse_busy(project, kitchen)
    if elsewhere := project.git.checked_out_elsewhere(kitchen.branch):  # git would refuse
        raise PreconditionFailed(
            f"Branch {kitchen.branch} of kitchen {name!r} is checked out in another worktree, "
            f"{elsewhere}.",
            hint=f"Remove that worktree first (`git worktree remove {elsewhere}`), or check out "
            "another branch there.",
        )
    if not force:
        _refuse_unmerged(project, kitchen, sweep)
        _refuse_outside_readers(project, kitchen)
    return kitchen


def _refuse_outside_readers(project: Project, kitchen: Kitchen) -> None:
    """Views elsewhere that read the kitchen's tables would go with its schema, unsaid."""
    warehouse = project.warehouse(kitchen.environment)
    if not warehouse.schema_exists(kitchen.schema):
        return
    if readers := warehouse.outside_readers(kitchen.schema):
        raise PreconditionFailed(
            f"Views outside kitchen {kitchen.name!r} read its tables and would be dropped "
            f"with it: {', '.join(readers)}.",
            hint=f"Drop or change them first, or run `kitchen delete {kitchen.name} --force` "
            "to drop them too.",
        )


def _refuse_unmerged(project: Project, kitchen: Kitchen, sweep: Sweep | None) -> None:
    git = project.git
    parent_branch = project.kitchen(kitchen.parent).branch if kitchen.parent else None
    if parent_branch is None:
        return
    followed = sweep.followed if sweep else set()
    branches = [branch for branch in (parent_branch, kitchen.branch) if branch not in followed]
    with contextlib.suppress(GitUnreachable):  # offline: this clone's branches say
        # work pushed from elsewhere counts
        project.sync(*branches, fetched=sweep is not None)
    followed.update(branches)
    if not git.branch_exists(kitchen.branch):
        return
    unmerged = git.commits_not_in(kitchen.branch, parent_branch)
    if unmerged:
        raise PreconditionFailed(
            f"Branch {kitchen.branch} has {counted(unmerged, 'commit')} not merged into "
            f"{parent_branch}.",
            hint=f"Merge them first, or run `kitchen delete {kitchen.name} --force` to lose them.",
        )


def delete(project: Project, kitchen: Kitchen, report: Reporter) -> None:
    """Settle what a crash left half-done on ``kitchen``, then take it down."""
    recover.before_delete(project, kitchen, report)  # first: an update may have left a merge
    teardown.remove(project, kitchen, report)
