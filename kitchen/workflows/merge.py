"""kitchen merge: a tested kitchen into its parent, through gates, as a --no-ff commit.

Gates, each refusing with what to do: the kitchen contains its parent's tip; a passing run
exists for the exact HEAD of its branch; the caller is staff of the parent; a protected
parent has an approval from one of its approvers who did not author the merged commits; no
other merge into the same parent is in progress. Merging again what is merged says so.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from kitchen import journal
from kitchen.errors import BadInput, KitchenError, NotAllowed, PreconditionFailed
from kitchen.model import Kitchen, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import artifacts, delete, recover

APPROVAL_VARIABLE = "KITCHEN_APPROVED_BY"  # set by the CI job from the approved review
PUSH_ATTEMPTS = 3


@dataclass
class Preview:
    kitchen: str
    into: str
    commits: list[str]
    files: list[str]
    pipelines: list[str]
    conflicts: list[str]
    downstream: list[str] = field(default_factory=list)  # tables the changed nodes may change
    diffs: list[dict[str, Any]] = field(default_factory=list)  # each of them against the parent
    no_diff: str | None = None  # why there is no data diff


@dataclass
class Merged:
    kitchen: str
    into: str
    commit: str | None  # None: it was merged already
    run: str | None = None
    approved_by: str | None = None
    post_test: dict[str, Any] | None = field(default=None)


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


def preview(project: Project, name: str, into: str | None, *, promotion: bool = False) -> Preview:
    """What a merge or a promotion would bring, computed without touching any worktree
    (git merge-tree)."""
    kitchen = project.kitchen(name)
    parent = target(project, kitchen, into, promotion=promotion)
    tip = project.parent_tip(kitchen, parent.branch)
    commits = project.git.log(f"{parent.branch}..{kitchen.branch}", "%h %s")
    files = project.git.changed_files(parent.branch, kitchen.branch)
    pipelines = sorted(
        {
            f.split("/")[1]
            for f in files
            if f.startswith(f"{project.config.pipelines}/") and f.count("/") >= 2
        }
    )
    conflicts = project.git.merge_conflicts(tip, kitchen.branch)
    seen = Preview(name, parent.name, commits, files, pipelines, conflicts)
    _impact(project, kitchen, parent, seen)
    return seen


def _impact(project: Project, kitchen: Kitchen, parent: Kitchen, seen: Preview) -> None:
    """The tables downstream of the nodes the change touches (lineage of the kitchen's
    branch) and, where the kitchen has a passing run to show them, each one's data diff."""
    from kitchen.workflows import diff, lineage  # sqlglot: for previews, not every merge

    graph = lineage.at_tip(project, kitchen)
    changed = lineage.changed_nodes(graph, seen.files, project.config.pipelines)
    seen.downstream = graph.downstream_of_nodes(changed)
    if not seen.downstream:
        return
    if parent.environment != kitchen.environment:
        seen.no_diff = (
            f"{parent.name} holds {parent.environment}'s data, {kitchen.name} "
            f"{kitchen.environment}'s: no data diff between them"
        )
    else:
        runs = project.registry(kitchen.environment).runs(kitchen.name, 20)
        passed = next((str(r["id"]) for r in runs if r["status"] == "passed"), None)
        if passed is None:
            seen.no_diff = f"no passing run of {kitchen.name} yet: `kitchen test {kitchen.name}`"
            return
        seen.diffs = diff.summaries(project, kitchen, parent, graph, seen.downstream)
        _keep_diff(project, kitchen, passed, parent.name, seen.diffs)


def _keep_diff(
    project: Project, kitchen: Kitchen, run_id: str, against: str, diffs: list[dict[str, Any]]
) -> None:
    """The diff beside the run whose tables it compared, for the run's report (`kitchen
    report` draws it in); a store that will not take it costs the preview nothing."""
    document = {"against": against, "at": utcnow(), "diffs": diffs}
    key = artifacts.run_prefix(kitchen.name, run_id) + "diff.json"
    with contextlib.suppress(KitchenError):
        project.artifacts(kitchen.environment).put(key, json.dumps(document).encode())


def merge(
    project: Project,
    name: str,
    into: str | None,
    *,
    approved_by: str | None,
    post_test: bool,
    report: Reporter,
    wait: float = 0,
    delete_after: bool = False,
) -> Merged:
    """Merge ``name`` into its parent through the gates; then the parent's tests (with
    ``post_test``) and, once merged, the kitchen's deletion (with ``delete_after``)."""
    kitchen = project.kitchen(name)
    parent = target(project, kitchen, into)
    admit(project, kitchen, parent, approved_by)
    recover.resume(project, parent.environment, "merge", name, report)
    with journal.operation(
        project, parent.environment, "merge", name, into=parent.name
    ) as operation:
        with project.registry(parent.environment).locked(parent.name, project.user, wait):
            operation.step("locked")
            landed = land(project, kitchen, parent, approved_by, operation)
        if landed is None:
            return Merged(name, parent.name, None)  # merged already: saying so is the answer
        project.audit(kitchen, "merge", **landed.trail(parent))
        operation.step("recorded")
    result = Merged(name, parent.name, landed.commit, landed.run, landed.approver)
    if post_test:
        result.post_test = test_parent(project, parent, report)
    if delete_after:
        delete.delete(project, delete.check(project, name, force=False), report)
    return result


@dataclass
class Landed:
    commit: str
    head: str  # the kitchen's tested HEAD
    run: str
    approver: str | None
    commits: list[str]  # what the merge brought

    def trail(self, parent: Kitchen) -> dict[str, Any]:
        """What the audit trail says of the merge."""
        return {
            "into": parent.name,
            "commit": self.commit,
            "run": self.run,
            "approved_by": self.approver,
        }


def land(
    project: Project,
    kitchen: Kitchen,
    parent: Kitchen,
    approved_by: str | None,
    operation: journal.Operation,
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
        landed = Landed(commit, head, run, approver, commits)
        operation.step(
            "merged", branch=parent.branch, before=before, remote=remote, **asdict(landed)
        )
        refs = [parent.branch]
        if tag is not None:
            git.tag(tag, f"Release {tag} of {parent.name}", commit)
            refs.append(f"refs/tags/{tag}")
            operation.step("tagged")
        try:
            if remote is None or git.push(remote, *refs):
                operation.step("pushed")
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
        if run["status"] == "passed" and run["commit_sha"] == head and not run["dirty"]:
            return str(run["id"])
        latest = latest or run
    seen = (
        (
            f"the latest run, {latest['id']}, {latest['status']} at {latest['commit_sha'][:10]}"
            + (" with uncommitted changes" if latest["dirty"] else "")
            + _what_failed(latest["results"])
        )
        if latest
        else "no runs"
    )
    raise PreconditionFailed(
        f"No passing run of {kitchen.name} for its HEAD {head[:10]} ({seen}).",
        hint=f"Run `kitchen test {kitchen.name}` on the committed HEAD, then merge.",
    )


def _what_failed(results: dict[str, Any]) -> str:
    """What failed a run, the first three named: its failing error-severity checks (a dbt
    test among them), then the failed nodes they do not explain."""
    checks = [
        check
        for check in results.get("checks", [])
        if check.get("severity") == "error" and check.get("status") in ("fail", "error")
    ]
    explained = {check["node"] for check in checks}
    failed = [f"{check['node']}.{check['name']}" for check in checks]
    failed += [
        f"{node['pipeline']}.{node['node']}"
        for node in results.get("nodes", [])
        if node.get("status") == "failed" and node["node"] not in explained
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


def test_parent(project: Project, parent: Kitchen, report: Reporter) -> dict[str, Any]:
    """The tests of the kitchen merged or released into, once the change has landed: their
    result, or why they could not run (the change stays; the caller says so and fails)."""
    from kitchen.workflows.test import NoPipelines, TestRequest, test

    try:
        run = test(project, TestRequest(kitchen=parent.name), report)
    except NoPipelines as exc:
        return {"status": "skipped", "reason": exc.message}
    except KitchenError as exc:
        failure = {"message": exc.message, "hint": exc.hint, "exit_code": int(exc.exit_code)}
        return {"status": "error", **failure}
    return {"status": run.status, "run_id": run.id}
