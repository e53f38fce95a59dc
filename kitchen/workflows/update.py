"""kitchen update: merge the parent's branch down into a kitchen's branch.

On conflicts the merge is left in progress, with the conflicted files listed and the way to
finish (`--continue`) or give up (`--abort`): nothing is half-done without the user knowing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kitchen import config, journal
from kitchen.errors import BadInput, PreconditionFailed
from kitchen.model import Kitchen, Operation
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import counted
from kitchen.workflows.refresh import refresh


class Step(StrEnum):
    FETCHED = "fetched"  # the branches are as the team has them; the kitchen's is checked out
    MERGED = "merged"  # the parent's commits are merged in


@dataclass(frozen=True)
class Update:
    kitchen: Kitchen
    merged: int  # commits the merge brought in (0: already up to date)
    refreshed: bool


def update(
    project: Project, name: str, refresh_data: bool, action: str | None, report: Reporter
) -> Update:
    """``action``: None for a new update, "continue" or "abort" for one left in conflicts."""
    kitchen = project.kitchen(name)
    parent_name = kitchen.parent
    if parent_name is None:
        raise BadInput(f"Kitchen {name!r} has no parent to update from.")
    project.require_staff(kitchen, "update it")
    kitchen = journal.require_ready(project, kitchen)
    parent = journal.require_ready(project, project.kitchen(parent_name))
    git = project.git
    if action is not None:
        return _resume(project, kitchen, parent, action, refresh_data=refresh_data, report=report)
    project.require_clean("update")
    journal.resume(project, kitchen.environment, UPDATE, name, report)
    with journal.operation(project, kitchen.environment, UPDATE, name) as run:
        project.sync(parent.branch, kitchen.branch)  # the parent as the team has it
        if git.current_branch() != kitchen.branch:
            git.checkout(kitchen.branch)
        run.step(Step.FETCHED, branch=kitchen.branch, before=git.sha(kitchen.branch))
        tip = project.parent_tip(kitchen, parent.branch)
        whole = tip == git.sha(parent.branch)
        if not whole:
            report.step(
                f"Leaving the rollbacks on {parent.branch} out: the next release of "
                f"{kitchen.name} replaces them"
            )
        behind = git.commits_not_in(tip, kitchen.branch)
        if behind:
            report.step(
                f"Merging {counted(behind, 'commit')} from {parent.branch} into {kitchen.branch}"
            )
            peeled = f"Merge {parent.branch} (without its rollbacks) into {kitchen.branch}"
            conflicted = git.merge(
                parent.branch if whole else tip, message=None if whole else peeled
            )
            if conflicted:  # left for the user to resolve: not a crash
                project.audit(kitchen, "update", "conflicts", parent=parent.name, files=conflicted)
                raise _conflicts(kitchen, conflicted)
            run.step(Step.MERGED)
    return _done(project, kitchen, behind, refresh_data, report)


def _resume(
    project: Project,
    kitchen: Kitchen,
    parent: Kitchen,
    action: str,
    *,
    refresh_data: bool,
    report: Reporter,
) -> Update:
    git = project.git
    if not git.merging():
        raise PreconditionFailed(f"No update of {kitchen.name!r} is in progress.")
    if action == "abort":
        git.abort_merge()
        project.audit(kitchen, "update", "aborted", parent=parent.name)
        return Update(kitchen, 0, False)
    still = git.conflicts()
    if still:
        raise _conflicts(kitchen, still)
    git.finish_merge()
    return _done(project, kitchen, 1, refresh_data, report)


def _done(
    project: Project, kitchen: Kitchen, merged: int, refresh_data: bool, report: Reporter
) -> Update:
    if refresh_data:
        refresh(project, kitchen.name, None, report)
    head = project.git.sha(kitchen.branch)
    project.audit(kitchen, "update", merged=merged, commit=head, refreshed=refresh_data)
    return Update(project.kitchen(kitchen.name), merged, refresh_data)


def _conflicts(kitchen: Kitchen, files: list[str]) -> PreconditionFailed:
    # with kitchen.yaml in conflict kitchen cannot read its config until it is resolved
    abort = "git merge" if config.CONFIG_FILE in files else f"kitchen update {kitchen.name}"
    return PreconditionFailed(
        f"Merging {kitchen.parent} into {kitchen.name} conflicts in: {', '.join(files)}.",
        hint=f"Resolve them and `git add` them, then `kitchen update {kitchen.name} --continue`;"
        f" or `{abort} --abort` to leave everything as it was.",
    )


def _repair(project: Project, operation: Operation, report: Reporter) -> str:
    git = project.git
    if git.merging():
        git.abort_merge()
        return "its unfinished merge is aborted; the branch is as it was."
    return "nothing was left half-done."


UPDATE = journal.Command("update", "is being updated from its parent", Step, _repair)
