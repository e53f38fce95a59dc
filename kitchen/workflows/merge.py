"""kitchen merge: a tested kitchen into its parent, through gates, as a --no-ff commit
(kitchen/workflows/landing.py makes it, and holds the command's steps and their repair);
then, as asked, the parent's tests and the kitchen's deletion. Merging again what is merged
says so. And the preview of what a merge would bring.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from kitchen import journal
from kitchen.errors import KitchenError
from kitchen.model import Kitchen, Outcome, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import artifacts, delete, landing
from kitchen.workflows.landing import MERGE, Step

if TYPE_CHECKING:
    from kitchen.data.diff import TableDiff


@dataclass
class Preview:
    kitchen: str
    into: str
    commits: list[str]
    files: list[str]
    pipelines: list[str]
    conflicts: list[str]
    downstream: list[str] = field(default_factory=list)  # tables the changed nodes may change
    diffs: list[TableDiff] = field(default_factory=list)  # each of them against the parent
    no_diff: str | None = None  # why there is no data diff

    def to_json(self) -> dict[str, Any]:
        said = {each.name: getattr(self, each.name) for each in fields(self)}  # not deep:
        return {**said, "diffs": [found.summary() for found in self.diffs]}  # diffs in short


@dataclass
class Merged:
    kitchen: str
    into: str
    commit: str | None  # None: it was merged already
    run: str | None = None
    approved_by: str | None = None
    post_test: Outcome | None = field(default=None)

    def to_json(self) -> dict[str, Any]:
        said = asdict(self)
        return {**said, "post_test": self.post_test.to_json() if self.post_test else None}


def preview(project: Project, name: str, into: str | None, *, promotion: bool = False) -> Preview:
    """What a merge or a promotion would bring, computed without touching any worktree
    (git merge-tree)."""
    kitchen = project.kitchen(name)
    parent = landing.target(project, kitchen, into, promotion=promotion)
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
        passed = next((str(r.id) for r in runs if r.status == "passed"), None)
        if passed is None:
            seen.no_diff = f"no passing run of {kitchen.name} yet: `kitchen test {kitchen.name}`"
            return
        seen.diffs = diff.summaries(project, kitchen, parent, graph, seen.downstream)
        _keep_diff(project, kitchen, passed, parent.name, [d.summary() for d in seen.diffs])


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
    parent = landing.target(project, kitchen, into)
    landing.admit(project, kitchen, parent, approved_by)
    journal.resume(project, parent.environment, MERGE, name, report)
    with journal.operation(project, parent.environment, MERGE, name, into=parent.name) as run:
        with project.registry(parent.environment).locked(parent.name, project.user, wait):
            run.step(Step.LOCKED)
            landed = landing.land(project, kitchen, parent, approved_by, run)
        if landed is None:
            return Merged(name, parent.name, None)  # merged already: saying so is the answer
        project.audit(kitchen, "merge", **landed.trail(parent.name))
        run.step(Step.RECORDED)
    result = Merged(name, parent.name, landed.commit, landed.run, landed.approver)
    if post_test:
        result.post_test = landing.test_parent(project, parent, report)
    if delete_after:
        delete.delete(project, delete.check(project, name, force=False), report)
    return result
