"""kitchen promote and rollback: releases across release environments, tagged and recorded.

A promotion is a merge into a kitchen of another environment (dev -> production) with the
merge's gates, plus an annotated tag, a release record in the destination's registry, and
the destination's tests run with the destination's credentials. A rollback makes a new
commit whose tree equals a release tag's (no history rewritten) and records it too.
"""

from __future__ import annotations

from dataclasses import asdict
from enum import StrEnum
from typing import Any

from kitchen import journal
from kitchen.backends.git import ROLLBACK_TRAILER
from kitchen.errors import BadInput, GitError, PreconditionFailed
from kitchen.model import INTERRUPTED_TEST, Kitchen, Operation, Outcome, Release, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import landing
from kitchen.workflows.landing import Committed, Step


def _check_tag(project: Project, tag: str, exists: bool | None) -> None:
    """A valid tag name, and (unless ``exists`` is None) one that exists or does not."""
    if not project.git.valid_tag(tag):
        raise BadInput(f"{tag!r} is not a valid tag name.", hint="Use e.g. v1.4.0.")
    if exists is not None and project.git.has_tag(tag) != exists:
        if exists:
            raise BadInput(f"There is no release tag {tag!r}.", hint="See `kitchen releases`.")
        raise PreconditionFailed(f"Tag {tag!r} exists already.", hint="Choose the next version.")


def promote(
    project: Project,
    source_name: str,
    to: str,
    tag: str,
    *,
    approved_by: str | None,
    report: Reporter,
    wait: float = 0,
) -> Release:
    source, destination = project.kitchen(source_name), project.kitchen(to)
    if source.parent != destination.name or source.environment == destination.environment:
        raise BadInput(
            f"{to!r} is not the parent of {source_name!r} in another release environment.",
            hint="Promote into the parent kitchen of the next environment; merge otherwise.",
        )
    source = journal.require_ready(project, source)
    destination = journal.require_ready(project, destination)
    _check_tag(project, tag, exists=None)
    landing.admit(project, source, destination, approved_by)
    start = project.git.current_branch()
    journal.resume(project, destination.environment, PROMOTE, destination.name, report)
    done = _released(project, destination, tag, source.name)
    if done is not None:
        return done  # released already (perhaps by the recovery just now): saying so
    _check_tag(project, tag, exists=False)
    with journal.operation(
        project, destination.environment, PROMOTE, destination.name, source=source.name, tag=tag
    ) as run:
        with project.registry(destination.environment).locked(destination.name, project.user, wait):
            run.step(Step.LOCKED)
            landed = landing.land(project, source, destination, approved_by, run, tag=tag)
        assert landed is not None  # a promotion always lands: its tag is new
        tested = landing.test_parent(project, destination, report)
        run.step(Step.TESTED, destination_test=tested.to_json())
        release = _promoted(project, destination, tag, landed, source=source.name, tested=tested)
        run.step(Step.RECORDED)
    _back_to(project, start, report)
    return release


def _back_to(project: Project, branch: str | None, report: Reporter) -> None:
    """Check out again the branch the release started on: the release checked out its
    destination's to merge and test it, and a kitchen created next should not land there."""
    git = project.git
    if branch is None or git.current_branch() == branch or not git.branch_exists(branch):
        return
    try:
        git.checkout(branch)
    except GitError as exc:
        report.warn(f"Stayed on {git.current_branch()}: {exc.message}")


def _released(project: Project, kitchen: Kitchen, tag: str, source: str) -> Release | None:
    for release in project.registry(kitchen.environment).releases(kitchen.name):
        if release.tag == tag and release.source == source:
            return release
    return None


def rollback(project: Project, name: str, tag: str, report: Reporter) -> Release:
    kitchen = project.kitchen(name)
    _check_tag(project, tag, exists=True)
    project.require_staff(kitchen, "roll it back")
    kitchen = journal.require_ready(project, kitchen)
    git = project.git
    project.require_clean("roll back")
    start = git.current_branch()
    journal.resume(project, kitchen.environment, ROLLBACK, kitchen.name, report)
    remote = project.sync(kitchen.branch)
    if git.tree(kitchen.branch) == git.tree(tag):
        for release in project.registry(kitchen.environment).releases(kitchen.name):
            if release.tag == tag:
                return release  # there already (perhaps by the recovery just now): saying so
    with journal.operation(project, kitchen.environment, ROLLBACK, kitchen.name, tag=tag) as run:
        before = git.sha(kitchen.branch)
        message = f"Roll {kitchen.name} back to {tag}\n\n{ROLLBACK_TRAILER}: {tag}"
        commit = git.commit_tree(tag, [before], message)
        git.move_branch(kitchen.branch, commit)
        made = Committed(kitchen.branch, before, remote, commit)
        run.step(Back.COMMITTED, **asdict(made))
        if remote is not None:
            pushed = False
            try:
                pushed = git.push(remote, kitchen.branch)
            finally:  # not pushed (moved on the remote, or refused): undone here too
                if not pushed:
                    git.move_branch(kitchen.branch, before)
            if not pushed:
                raise PreconditionFailed(
                    f"{kitchen.branch} moved on {remote} during the rollback; nothing changed.",
                    hint=f"Run `kitchen rollback {name} --to {tag}` again.",
                )
            run.step(Back.PUSHED)
        if git.current_branch() != kitchen.branch:
            git.checkout(kitchen.branch)  # its tests run on what it now is
        tested = landing.test_parent(project, kitchen, report)
        run.step(Back.TESTED, destination_test=tested.to_json())
        release = record(project, kitchen, tag, "rollback", commit, destination_test=tested)
        run.step(Back.RECORDED)
    _back_to(project, start, report)
    return release


def releases(project: Project, name: str | None) -> tuple[Kitchen, list[Release]]:
    """The kitchen named (or checked out) and its releases and rollbacks, newest first."""
    kitchen = project.current_or_named(name)
    return kitchen, project.registry(kitchen.environment).releases(kitchen.name)


def record(
    project: Project, kitchen: Kitchen, tag: str, kind: str, commit: str, **details: Any
) -> Release:
    """The release record in the kitchen's registry, and its line in the audit trail;
    ``details``: the fields of a ``Release`` its kind has."""
    release = Release(tag, kitchen.name, kind, commit, utcnow(), project.user, **details)
    project.registry(kitchen.environment).add_release(release)
    trail = {"source": release.source} if release.source else {}
    project.audit(kitchen, kind, tag=tag, commit=commit, **trail)
    return release


def _promoted(
    project: Project,
    kitchen: Kitchen,
    tag: str,
    landed: landing.Landed,
    *,
    source: str,
    tested: Outcome,
) -> Release:
    """The record of a promotion of ``source`` into ``kitchen`` that landed."""
    return record(
        project,
        kitchen,
        tag,
        "promote",
        landed.commit,
        source=source,
        commits=landed.commits,
        run=landed.run,
        approved_by=landed.approver,
        destination_test=tested,
    )


def _tested(operation: Operation) -> Outcome:
    """The destination's tests as an interrupted release left them."""
    stored = operation.details.get("destination_test")
    return Outcome.load(stored) if stored else INTERRUPTED_TEST


def _repair_promote(project: Project, operation: Operation, report: Reporter) -> str:
    """A promotion not pushed is undone; one pushed is tagged and recorded."""
    landed = landing.settle(project, operation)
    if isinstance(landed, str):
        return landed
    kitchen, tag = project.kitchen(operation.kitchen), operation.details["tag"]
    source = operation.details["source"]
    _promoted(project, kitchen, tag, landed, source=source, tested=_tested(operation))
    return f"release {tag} had landed; it is now recorded (run `kitchen test {kitchen.name}`)."


PROMOTE = journal.Command("promote", "is receiving a promotion", Step, _repair_promote)


class Back(StrEnum):
    """The steps of a rollback."""

    COMMITTED = "committed"  # the commit with the tag's tree is made, on the local branch
    PUSHED = "pushed"
    TESTED = "tested"
    RECORDED = "recorded"


def _repair_rollback(project: Project, operation: Operation, report: Reporter) -> str:
    if operation.step == journal.BEGUN:
        return "nothing had been changed."
    if operation.step == Back.RECORDED:
        return "it had finished."
    made, tag = Committed.load(operation.details), operation.details["tag"]
    if operation.step == Back.COMMITTED and not made.reached_remote(project):
        made.undo(project)
        return "its commit had not been pushed and is undone; run the command again."
    kitchen = project.kitchen(operation.kitchen)
    record(project, kitchen, tag, "rollback", made.commit, destination_test=_tested(operation))
    return f"the rollback had landed; it is now recorded (run `kitchen test {kitchen.name}`)."


ROLLBACK = journal.Command("rollback", "is being rolled back", Back, _repair_rollback)
