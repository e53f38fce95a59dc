"""A change landing on a kitchen's branch, as a merge and a promotion make it: the gates,
the --no-ff merge commit with its trailers, the push, and, after a crash, finishing a merge
that reached the remote or undoing one that did not. The steps of `kitchen merge` (which
`kitchen promote` shares) and their repair live here.

Gates, each refusing with what to do: the kitchen contains its parent's tip; a passing run
exists for the exact HEAD of its branch; the caller is staff of the parent; a protected
parent has an approval from one of its approvers who did not author the merged commits; no
other merge into the same parent is in progress.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any, Self

from kitchen import journal
from kitchen.errors import BadInput, KitchenError, NotAllowed, PreconditionFailed
from kitchen.model import Kitchen, Operation, Outcome, Run
from kitchen.project import Project
from kitchen.reporting import Reporter

APPROVAL_VARIABLE = "KITCHEN_APPROVED_BY"  # set by the CI job from the approved review
PUSH_ATTEMPTS = 3


class Step(StrEnum):
    """The steps of a merge; a promotion's too, which tags and tests on the way."""

    LOCKED = "locked"  # the parent's merge lock is held
    MERGED = "merged"  # the merge commit is made, on the local branch only
    TAGGED = "tagged"  # a promotion: its release tag is made
    PUSHED = "pushed"  # the remote has it
    TESTED = "tested"  # a promotion: the destination's tests ran
    RECORDED = "recorded"  # the audit trail (a release record) says so


def target(
    project: Project, kitchen: Kitchen, into: str | None, *, promotion: bool = False
) -> Kitchen:
    """The parent a merge (same release environment) or a promotion (the next) goes into."""
    if kitchen.parent is None:
        raise BadInput(f"Kitchen {kitchen.name!r} has no parent to merge into.")
    if into is not None and into != kitchen.parent:
        raise BadInput(
            f"{kitchen.name!r} can only be merged into its parent {kitchen.parent!r}.",
            hint="Merge it there, then merge that kitchen on.",
        )
    parent = project.kitchen(kitchen.parent)
    if promotion and parent.environment == kitchen.environment:
        raise BadInput(
            f"{parent.name!r} is in the same release environment: that is a merge.",
            hint=f"Use `kitchen merge {kitchen.name}`.",
        )
    if not promotion and parent.environment != kitchen.environment:
        raise BadInput(
            f"{parent.name!r} is in another release environment: that is a promotion.",
            hint=f"Use `kitchen promote {kitchen.name} --to {parent.name}`.",
        )
    journal.require_ready(project, kitchen)  # the caller's copy: only its name and branch count
    return journal.require_ready(project, parent)


@dataclass
class Committed:
    """A commit made here on a branch (a merge's, a rollback's), as the journal keeps it
    until it is recorded."""

    branch: str  # the branch it was made on
    before: str  # the branch's commit before it
    remote: str | None  # where it is pushed, if anywhere
    commit: str

    @classmethod
    def load(cls, details: dict[str, Any]) -> Self:
        """As an interrupted operation's details keep it."""
        return cls(**{item.name: details[item.name] for item in fields(cls)})

    def reached_remote(self, project: Project) -> bool:
        """Whether the remote's branch holds the commit (true without a remote)."""
        if self.remote is None:
            return True
        project.git.fetch(self.remote)
        return project.git.is_ancestor(self.commit, f"{self.remote}/{self.branch}")

    def undo(self, project: Project, tag: str | None = None) -> None:
        """Take back the commit (and ``tag`` on it) where it was never pushed."""
        git = project.git
        if tag and git.has_tag(tag) and git.sha(tag) == self.commit:
            git.delete_tag(tag)
        if git.sha(self.branch) == self.commit:
            git.move_branch(self.branch, self.before)


@dataclass
class Landed(Committed):
    """A merge commit, with what let it through and what it brought."""

    head: str  # the kitchen's tested HEAD
    run: str
    approver: str | None
    commits: list[str]  # what the merge brought

    def trail(self, into: str) -> dict[str, Any]:
        """What the audit trail says of the merge into ``into``."""
        return {
            "into": into,
            "commit": self.commit,
            "run": self.run,
            "approved_by": self.approver,
        }


def land(
    project: Project,
    kitchen: Kitchen,
    parent: Kitchen,
    approved_by: str | None,
    operation: journal.Ongoing,
    *,
    tag: str | None = None,
) -> Landed | None:
    """Gate, merge and push, under the parent's lock. With a remote, the parent is fetched
    first; when it moved by the time of the push, the local merge is undone and everything
    runs again from the fetch, so a merge not tested against the current parent is never
    pushed. None: the kitchen was merged already."""
    git = project.git
    for _ in range(PUSH_ATTEMPTS):
        remote = project.sync(parent.branch, kitchen.branch)
        if git.commits_not_in(kitchen.branch, parent.branch) == 0:
            if tag is not None:
                raise PreconditionFailed(
                    f"{parent.name} has everything {kitchen.name} has: nothing to release."
                )
            if remote is not None:  # a merge done here earlier whose push did not happen
                git.push(remote, parent.branch)
            return None
        if tag is not None and git.has_tag(tag):  # made elsewhere since
            raise PreconditionFailed(f"Tag {tag!r} exists already.", hint="Choose the next one.")
        head, run, approver = gates(project, kitchen, parent, approved_by)
        before = git.sha(parent.branch)
        commits = git.log(f"{parent.branch}..{kitchen.branch}", "%h")
        trailers = (f"Release: {tag}",) if tag else ()
        commit = merge_commit(
            project, kitchen, parent, run=run, approver=approver, head=head, extra=trailers
        )
        landed = Landed(parent.branch, before, remote, commit, head, run, approver, commits)
        operation.step(Step.MERGED, **asdict(landed))
        refs = [parent.branch]
        if tag is not None:
            git.tag(tag, f"Release {tag} of {parent.name}", commit)
            refs.append(f"refs/tags/{tag}")
            operation.step(Step.TAGGED)
        try:
            if remote is None or git.push(remote, *refs):
                operation.step(Step.PUSHED)
                return landed
        finally:  # not pushed (the parent moved on the remote, or the push failed): undo
            if remote is not None and git.sha(f"{remote}/{parent.branch}") != commit:
                if tag is not None:
                    git.delete_tag(tag)
                git.move_branch(parent.branch, before)
    raise PreconditionFailed(
        f"{parent.branch} kept moving on {project.remote} while merging {kitchen.name}.",
        hint="Retry in a moment.",
    )


def gates(
    project: Project, kitchen: Kitchen, parent: Kitchen, approved_by: str | None
) -> tuple[str, str, str | None]:
    """Every gate of a merge or promotion: (the kitchen's HEAD, its passing run, the approver)."""
    git = project.git
    project.require_clean("merge", changes=False)  # changes are refused last, below
    if not git.adds_nothing(project.parent_tip(kitchen, parent.branch), kitchen.branch):
        raise PreconditionFailed(
            f"{kitchen.name} does not contain the tip of {parent.branch}.",
            hint=f"Run `kitchen update {kitchen.name}`, test it, then merge.",
        )
    head = git.sha(kitchen.branch)
    run = _tested(project, kitchen, head)
    approver = admit(project, kitchen, parent, approved_by)
    project.require_clean("merge")
    return head, run, approver


def admit(
    project: Project, kitchen: Kitchen, parent: Kitchen, approved_by: str | None
) -> str | None:
    """The caller is staff of ``parent`` and, where it is protected, has an approver's
    approval: checked before a merge or promotion records or locks anything (a refused
    caller changes nothing), and again under the lock, on the commits it merges."""
    project.require_staff(parent, f"merge into {parent.name}")
    return _approval(project, kitchen, parent, approved_by)


def _tested(project: Project, kitchen: Kitchen, head: str) -> str:
    latest = None
    for run in project.registry(kitchen.environment).each_run(kitchen.name):
        if run.status == "passed" and run.commit_sha == head and not run.dirty:
            return str(run.id)
        latest = latest or run
    seen = (
        (
            f"the latest run, {latest.id}, {latest.status} at {latest.commit_sha[:10]}"
            + (" with uncommitted changes" if latest.dirty else "")
            + _what_failed(latest)
        )
        if latest
        else "no runs"
    )
    raise PreconditionFailed(
        f"No passing run of {kitchen.name} for its HEAD {head[:10]} ({seen}).",
        hint=f"Run `kitchen test {kitchen.name}` on the committed HEAD, then merge.",
    )


def _what_failed(run: Run) -> str:
    """What failed a run, the first three named: its failing error-severity checks (a dbt
    test among them), then the failed nodes they do not explain."""
    checks = [c for c in run.checks if c.severity == "error" and c.status in ("fail", "error")]
    explained = {check.node for check in checks}
    failed = [f"{check.node}.{check.name}" for check in checks]
    failed += [
        f"{node.pipeline}.{node.node}"
        for node in run.nodes
        if node.status == "failed" and node.node not in explained
    ]
    if not failed:
        return ""
    more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
    return f": {', '.join(failed[:3])}{more} failed"


def _approval(project: Project, kitchen: Kitchen, parent: Kitchen, given: str | None) -> str | None:
    if not parent.protected:
        return given
    approver = given or os.environ.get(APPROVAL_VARIABLE)
    unlisted = (
        f"{parent.name} has no approvers yet: list who may approve under "
        f"kitchens.{parent.name}.approvers in kitchen.yaml (emails or globs such as *@acme.io)."
    )
    if not approver:
        raise NotAllowed(
            f"{parent.name} is protected: merging into it needs an approval.",
            hint=f"Pass --approved-by with one of {', '.join(parent.approvers)}"
            f" (in CI: {APPROVAL_VARIABLE})."
            if parent.approvers
            else unlisted,
        )
    if not any(fnmatchcase(approver, pattern) for pattern in parent.approvers):
        raise NotAllowed(
            f"{approver} is not an approver of {parent.name}.",
            hint=f"Its approvers: {', '.join(parent.approvers)}." if parent.approvers else unlisted,
        )
    merged = f"{parent.branch}..{kitchen.branch}"
    authors = set(project.git.log(merged, "%ae%n%an"))
    if approver in authors:
        raise NotAllowed(
            f"{approver} authored commits being merged and cannot approve them.",
            hint="Ask another approver.",
        )
    return approver


def merge_commit(
    project: Project,
    kitchen: Kitchen,
    parent: Kitchen,
    *,
    run: str,
    approver: str | None,
    head: str,
    extra: tuple[str, ...] = (),
) -> str:
    git = project.git
    if git.current_branch() != parent.branch:
        git.checkout(parent.branch)
    trailers = [f"Kitchen: {kitchen.name}", f"Tested-Run: {run}", f"Tested-Commit: {head}"]
    if approver:
        trailers.append(f"Approved-By: {approver}")
    if kitchen.ticket:
        trailers.append(f"Ticket: {kitchen.ticket}")
    trailers += extra
    message = f"Merge kitchen {kitchen.name} into {parent.name}\n\n" + "\n".join(trailers)
    # the tested tree, exactly: a 3-way merge gives it too once the gates passed, except
    # over rollbacks, which it would carry into the result
    commit = git.commit_tree(head, [git.sha(parent.branch), head], message)
    git.move_branch(parent.branch, commit)
    return commit


def test_parent(project: Project, parent: Kitchen, report: Reporter) -> Outcome:
    """The tests of the kitchen merged or released into, once the change has landed: their
    result, or why they could not run (the change stays; the caller says so and fails)."""
    from kitchen.workflows.test import NoPipelines, TestRequest, test

    try:
        run = test(project, TestRequest(kitchen=parent.name), report)
    except NoPipelines as exc:
        return Outcome("skipped", reason=exc.message)
    except KitchenError as exc:
        return Outcome("error", message=exc.message, hint=exc.hint, exit_code=int(exc.exit_code))
    return Outcome(run.status, run_id=run.id)


def settle(project: Project, operation: Operation) -> Landed | str:
    """An interrupted merge or promotion: the merge it made, once the remote has it (or it
    has no remote), for the caller to record; else what was done, in words. Its lock is
    given back; a merge that never reached the remote is undone (the commit and its tag
    taken back), so the command can run again."""
    release_lock(project, operation)
    if operation.step in (journal.BEGUN, Step.LOCKED):
        return "nothing had been merged."
    if operation.step == Step.RECORDED:
        return "it had finished."
    landed, tag = Landed.load(operation.details), operation.details.get("tag")
    if operation.step in (Step.MERGED, Step.TAGGED) and not landed.reached_remote(project):
        landed.undo(project, tag)
        return "its merge had not been pushed and is undone; run the command again."
    if tag and not project.git.has_tag(tag):  # no remote, stopped between merge and tag
        project.git.tag(tag, f"Release {tag} of {operation.kitchen}", landed.commit)
    return landed


def release_lock(project: Project, operation: Operation) -> None:
    """The merge lock an interrupted run held, given back."""
    registry = project.registry(operation.environment)
    for lock in registry.locks():
        if (lock.host, lock.pid) == (operation.host, operation.pid):
            registry.release(lock)


def _repair(project: Project, operation: Operation, report: Reporter) -> str:
    """A merge commit not pushed is undone; one pushed is recorded."""
    landed = settle(project, operation)
    if isinstance(landed, str):
        return landed
    kitchen = project.kitchen(operation.kitchen)
    project.audit(kitchen, "merge", **landed.trail(operation.details["into"]))
    return "its merge had landed; it is now recorded."


MERGE = journal.Command("merge", "is being merged into its parent", Step, _repair)
