"""kitchen promote and rollback: releases across release environments, tagged and recorded.

A promotion is a merge into a kitchen of another environment (dev -> production) with the
merge's gates, plus an annotated tag, a release record in the destination's registry, and
the destination's tests run with the destination's credentials. A rollback makes a new
commit whose tree equals a release tag's (no history rewritten) and records it too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from git.exc import GitCommandError

from kitchen.errors import BadInput, PreconditionFailed
from kitchen.model import Kitchen
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import merge


def _check_tag(project: Project, tag: str, exists: bool) -> None:
    repo = project.git.repo
    try:
        repo.git.check_ref_format(f"refs/tags/{tag}")
    except GitCommandError:
        raise BadInput(f"{tag!r} is not a valid tag name.", hint="Use e.g. v1.4.0.") from None
    if (tag in repo.tags) != exists:
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
) -> dict[str, Any]:
    source, destination = project.kitchen(source_name), project.kitchen(to)
    if source.parent != destination.name or source.environment == destination.environment:
        raise BadInput(
            f"{to!r} is not the parent of {source_name!r} in another release environment.",
            hint="Promote into the parent kitchen of the next environment; merge otherwise.",
        )
    _check_tag(project, tag, exists=False)
    with project.registry(destination.environment).locked(destination.name, project.user, wait):
        landed = merge.land(project, source, destination, approved_by, tag=tag)
    assert landed is not None  # a promotion always lands: its tag is new
    tested = merge.test_parent(project, destination, report)
    release = _record(
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
    project.audit(destination, "promote", source=source.name, tag=tag, commit=landed.commit)
    return release


def rollback(project: Project, name: str, tag: str, report: Reporter) -> dict[str, Any]:
    kitchen = project.kitchen(name)
    _check_tag(project, tag, exists=True)
    project.require_staff(kitchen, "roll it back")
    git = project.git
    if git.is_dirty():
        raise PreconditionFailed(
            "The worktree has uncommitted changes.", hint="Commit or stash them."
        )
    remote = project.sync(kitchen.branch)
    repo_git = git.repo.git
    tree = repo_git.rev_parse(f"{tag}^{{tree}}")
    parent = git.sha(kitchen.branch)
    commit = repo_git.commit_tree(
        tree,
        "-p",
        parent,
        "-m",
        f"Roll {kitchen.name} back to {tag}\n\nRollback-To: {tag}",
        env=git.identity(),
    )
    git.move_branch(kitchen.branch, commit)
    if remote is not None and not git.push(remote, kitchen.branch):
        git.move_branch(kitchen.branch, parent)
        raise PreconditionFailed(
            f"{kitchen.branch} moved on {remote} during the rollback; nothing was changed.",
            hint=f"Run `kitchen rollback {name} --to {tag}` again.",
        )
    if git.current_branch() != kitchen.branch:
        git.checkout(kitchen.branch)  # its tests run on what it now is
    tested = merge.test_parent(project, kitchen, report)
    release = _record(project, kitchen, tag, "rollback", commit, destination_test=tested)
    project.audit(kitchen, "rollback", tag=tag, commit=commit)
    return release


def _record(
    project: Project, kitchen: Kitchen, tag: str, kind: str, commit: str, **details: Any
) -> dict[str, Any]:
    release = {
        "tag": tag,
        "kitchen": kitchen.name,
        "kind": kind,
        "commit_sha": commit,
        "at": datetime.now(UTC).isoformat(),
        "actor": project.user,
        "details": details,
    }
    project.registry(kitchen.environment).add_release(release)
    return release
