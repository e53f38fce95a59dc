"""kitchen doctor: reach every backend, check the registry against git and the warehouse, and
with --repair finish or undo each inconsistency, saying what was done.

Safety rules of the repairs: kitchen only removes what it can prove it made (the ownership
ledger, its reserved `kitchen_` prefixes and the `kitchens/` secret paths) and never work
found nowhere else: a branch with commits no root kitchen has is reported, not deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

from kitchen import journal
from kitchen.backends.registry import Registry
from kitchen.backends.registry_journal import stale
from kitchen.errors import ExitCode, KitchenError
from kitchen.model import Kitchen, Lock, Status
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import moment
from kitchen.workflows import orphans, recover, views
from kitchen.workflows.orphans import Finding

BROKEN = (Status.PROVISIONING, Status.FAILED, Status.DELETING)


@dataclass(frozen=True)
class Reached:
    """One backend doctor tried (`doctor --json`'s ``backends``)."""

    environment: str  # empty for the git remote, which is the project's
    backend: str
    status: str  # ok, error
    detail: str  # why not, where it failed

    def to_json(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Examination:
    backends: list[Reached] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    failures: list[KitchenError] = field(default_factory=list)  # of the backends

    @property
    def exit_code(self) -> ExitCode:
        """A backend's failure first (5 unreachable, 4 denied...), then what remains (3)."""
        if self.failures:
            codes = {failure.exit_code for failure in self.failures}
            return ExitCode.UNREACHABLE if ExitCode.UNREACHABLE in codes else min(codes)
        return ExitCode.PRECONDITION if self.unresolved else ExitCode.OK

    @property
    def unresolved(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.repaired is None]


def examine(
    project: Project, repair: bool, report: Reporter, only: list[str] | None = None
) -> Examination:
    """Every environment, or ``only`` those named (a developer's dev, without production)."""
    project.require_environments(only or [])
    found = Examination()
    _check_remote(project, found)
    for environment in only or list(project.config.environments):
        reachable = _check_backends(project, environment, found)
        if not reachable:
            continue
        for check in CHECKS:
            for finding in check(project, environment, report):
                found.findings.append(_attempt(finding) if repair else finding)
    for finding in orphans.stray_branches(project):
        found.findings.append(_attempt(finding) if repair else finding)
    return found


def _attempt(finding: Finding) -> Finding:
    """Repair one finding; a repair that cannot be done is reported with why."""
    if finding.fix is not None:
        try:
            finding.repaired = finding.fix()
        except KitchenError as exc:
            finding.error = exc.message
    return finding


# backends


def _probe(found: Examination, environment: str, backend: str, probe: Callable[[], Any]) -> bool:
    try:
        probe()
    except KitchenError as exc:
        found.failures.append(exc)
        status, detail = "error", exc.message
    else:
        status, detail = "ok", ""
    found.backends.append(Reached(environment, backend, status, detail))
    return status == "ok"


def _check_remote(project: Project, found: Examination) -> None:
    remote = project.remote
    if remote is not None:
        _probe(found, "", "git remote", lambda: project.git.fetch(remote))


def _check_backends(project: Project, environment: str, found: Examination) -> bool:
    settings = project.environment(environment)
    reach: Callable[[], object] = project.registry(environment).exists
    if settings.registry:  # a store of its own: the warehouse is reached by itself
        reach = project.warehouse(environment).list_schemas
    warehouse = _probe(found, environment, f"warehouse ({settings.warehouse.type})", reach)
    if settings.registry:
        warehouse &= _probe(
            found,
            environment,
            f"registry ({settings.registry.type})",
            lambda: project.registry(environment).exists(),
        )
    _probe(
        found,
        environment,
        f"secrets ({settings.secrets.type})",
        lambda: project.secrets(environment).keys(),
    )
    _probe(
        found,
        environment,
        f"artifacts ({settings.artifacts.type})",
        lambda: project.artifacts(environment).list("kitchen-doctor/"),
    )
    return warehouse


# registry against git and the warehouse


def _interrupted(project: Project, environment: str, report: Reporter) -> list[Finding]:
    return [
        Finding(
            "interrupted",
            environment,
            operation.kitchen,
            f"`{journal.typed(operation.command)} {operation.kitchen}` stopped after step "
            f"{operation.step!r} ({operation.why})",
            "finish or undo it, as running the command again would",
            fix=partial(recover.repair, project, operation, report),
        )
        for operation in journal.interrupted(project, environment)
    ]


def _stale_locks(project: Project, environment: str, report: Reporter) -> list[Finding]:
    registry = project.registry(environment)
    found = []
    for lock in registry.locks():
        why = stale(lock)
        if why:
            found.append(
                Finding(
                    "stale-lock",
                    environment,
                    lock.target,
                    f"the lock on {lock.target} held by {lock.holder} since "
                    f"{moment(lock.since)} is stale: {why}",
                    "release it",
                    fix=partial(_release, registry, lock),
                )
            )
    return found


def _release(registry: Registry, lock: Lock) -> str:
    registry.release(lock)
    return "released"


def _remove(project: Project, kitchen: Kitchen, report: Reporter) -> str:
    from kitchen.workflows import delete

    delete.delete(project, kitchen, report)
    return "removed"


def _kitchens(project: Project, environment: str, report: Reporter) -> list[Finding]:
    """Kitchens stuck half-made, or missing their branch or their schema."""
    busy = {op.kitchen for op in project.registry(environment).operations()}
    warehouse = project.warehouse(environment)
    git, remote = project.git, project.remote
    found = []
    for kitchen in project.registry(environment).all():
        if kitchen.root or kitchen.name in busy:
            continue  # roots: see _roots; busy: a live command owns it
        if kitchen.status in BROKEN:
            found.append(
                Finding(
                    "half-made",
                    environment,
                    kitchen.name,
                    f"kitchen {kitchen.name} is stuck {kitchen.status.value}",
                    "remove what it had, as `kitchen delete` does",
                    fix=partial(_remove, project, kitchen, report),
                )
            )
            continue
        # with a remote, a clone holds the branches it checked out: a colleague's kitchen
        # is where its branch is pushed, or not pushed yet (theirs to push, not a problem)
        shared = remote is not None and (
            git.tracking(remote, kitchen.branch) is not None or kitchen.created_by != project.user
        )
        if not git.branch_exists(kitchen.branch) and not shared:
            found.append(
                Finding(
                    "no-branch",
                    environment,
                    kitchen.name,
                    f"kitchen {kitchen.name} has no branch {kitchen.branch}",
                    "restore it from the remote, else start it again at its parent's tip",
                    fix=partial(_restore_branch, project, kitchen),
                )
            )
        if not warehouse.schema_exists(kitchen.schema):
            found.append(
                Finding(
                    "no-schema",
                    environment,
                    kitchen.name,
                    f"kitchen {kitchen.name} has no schema {kitchen.schema}",
                    "make it and copy its parent's data into it, as a refresh does",
                    fix=partial(_restore_schema, project, kitchen, report),
                )
            )
        elif problems := views.problems(project, kitchen):
            found.append(
                Finding(
                    "broken-views",
                    environment,
                    kitchen.name,
                    f"kitchen {kitchen.name}: {'; '.join(problems)}",
                    "make its views again onto its parent's tables, as a refresh does",
                    fix=partial(_refresh, project, kitchen, report),
                )
            )
    return found


def _roots(project: Project, environment: str, report: Reporter) -> list[Finding]:
    """Root kitchens kitchen.yaml declares that were never set up here, or lost a part: a
    kitchen added to kitchen.yaml after `kitchen init`, a fresh clone, a dropped schema."""
    from kitchen.workflows.init import set_up_root

    registry, warehouse = project.registry(environment), project.warehouse(environment)
    git, remote = project.git, project.remote
    found = []
    for name in project.config.kitchens:
        kitchen = project.root_kitchen(name)
        if kitchen.environment != environment:
            continue
        parts = {
            f"branch {kitchen.branch}": git.branch_exists(kitchen.branch)
            or (remote is not None and git.tracking(remote, kitchen.branch) is not None),
            f"schema {kitchen.schema}": warehouse.schema_exists(kitchen.schema),
            "registry row": registry.get(name) is not None,
        }
        lacks = [part for part, there in parts.items() if not there]
        if not lacks:
            continue
        problem = (
            f"root kitchen {name} of kitchen.yaml is not set up here"
            if len(lacks) == len(parts)
            else f"root kitchen {name} has no {' and no '.join(lacks)}"
        )
        found.append(
            Finding(
                "root-not-set-up",
                environment,
                name,
                problem,
                f"set it up as `kitchen init` does (then its data: `kitchen data refresh {name}`)",
                fix=partial(set_up_root, project, kitchen, report),
            )
        )
    return found


def _restore_branch(project: Project, kitchen: Kitchen) -> str:
    git = project.git
    remote = project.sync(kitchen.branch)
    if git.branch_exists(kitchen.branch):
        return f"restored from {remote}"
    parent = project.kitchen(kitchen.parent or "")
    git.create_branch(kitchen.branch, parent.branch)
    return f"started again at the tip of {parent.branch}; its own commits were not found"


def _restore_schema(project: Project, kitchen: Kitchen, report: Reporter) -> str:
    from kitchen.workflows.refresh import refresh

    refresh(project, kitchen.name, None, report)  # which makes the schema first
    return f"made again with {kitchen.parent}'s data"


def _refresh(project: Project, kitchen: Kitchen, report: Reporter) -> str:
    from kitchen.workflows.refresh import refresh

    refresh(project, kitchen.name, None, report)
    return f"views made again onto {kitchen.parent}'s tables"


CHECKS: tuple[Callable[[Project, str, Reporter], list[Finding]], ...] = (
    _interrupted,
    _stale_locks,
    _roots,
    _kitchens,
    orphans.owned_orphans,
    orphans.staging_orphans,
    orphans.login_orphans,
    orphans.secret_orphans,
    orphans.open_databases,
)
