"""kitchen promote and rollback: releases across release environments, tagged and recorded.

A promotion is a merge into a kitchen of another environment (dev -> production) with the
merge's gates, plus an annotated tag, a release record in the destination's registry, and
the destination's tests run with the destination's credentials. A rollback makes a new
commit whose tree equals a release tag's (no history rewritten) and records it too.
"""

from __future__ import annotations

from typing import Any

from kitchen import journal
from kitchen.backends.git import ROLLBACK_TRAILER
from kitchen.errors import BadInput, GitError, PreconditionFailed
from kitchen.model import Kitchen, Release, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import merge, recover


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
    merge.admit(project, source, destination, approved_by)
    start = project.git.current_branch()
    recover.resume(project, destination.environment, "promote", destination.name, report)
    done = _released(project, destination, tag, source.name)
    if done is not None:
        return done  # released already (perhaps by the recovery just now): saying so
    _check_tag(project, tag, exists=False)
    with journal.operation(
        project, destination.environment, "promote", destination.name, source=source.name, tag=tag
    ) as operation:
        with project.registry(destination.environment).locked(destination.name, project.user, wait):
            operation.step("locked")
            landed = merge.land(project, source, destination, approved_by, operation, tag=tag)
        assert landed is not None  # a promotion always lands: its tag is new
        tested = merge.test_parent(project, destination, report)
        operation.step("tested", destination_test=tested)
        release = record(
            project,
            destination,
            tag,
            "promote",
            landed.commit,
            source=source.name,
            commits=landed.commits,
            run=landed.run,
            approved_by=landed.approver,
            destination_test=tested,
        )
        operation.step("recorded")
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
    recover.resume(project, kitchen.environment, "rollback", kitchen.name, report)
    remote = project.sync(kitchen.branch)
    if git.tree(kitchen.branch) == git.tree(tag):
        for release in project.registry(kitchen.environment).releases(kitchen.name):
            if release.tag == tag:
                return release  # there already (perhaps by the recovery just now): saying so
    with journal.operation(
        project, kitchen.environment, "rollback", kitchen.name, tag=tag
    ) as operation:
        before = git.sha(kitchen.branch)
        message = f"Roll {kitchen.name} back to {tag}\n\n{ROLLBACK_TRAILER}: {tag}"
        commit = git.commit_tree(tag, [before], message)
        git.move_branch(kitchen.branch, commit)
        operation.step(
            "committed", branch=kitchen.branch, before=before, commit=commit, remote=remote
        )
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
            operation.step("pushed")
        if git.current_branch() != kitchen.branch:
            git.checkout(kitchen.branch)  # its tests run on what it now is
        tested = merge.test_parent(project, kitchen, report)
        operation.step("tested", destination_test=tested)
        release = record(project, kitchen, tag, "rollback", commit, destination_test=tested)
        operation.step("recorded")
    _back_to(project, start, report)
    return release


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
