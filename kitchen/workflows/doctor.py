"""kitchen doctor: reach every backend, check the registry against git and the warehouse, and
with --repair finish or undo each inconsistency, saying what was done.

Safety rules of the repairs: kitchen only removes what it can prove it made (the ownership
ledger, its reserved `kitchen_` prefixes and the `kitchens/` secret paths) and never work
found nowhere else: a branch with commits no root kitchen has is reported, not deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kitchen import journal, names
from kitchen.backends.registry import Registry, stale
from kitchen.backends.secrets.base import SecretStore
from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.sql import quote_identifier
from kitchen.errors import ExitCode, KitchenError
from kitchen.model import Kitchen, Lock, Status
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import counted, moment
from kitchen.workflows import recover, views

BROKEN = (Status.PROVISIONING, Status.FAILED, Status.DELETING)


@dataclass
class Finding:
    kind: str  # interrupted, stale-lock, half-made, no-branch, no-schema, orphan, stray-branch...
    environment: str | None
    subject: str
    problem: str
    repair: str  # what --repair does about it
    repaired: str | None = None  # what --repair did
    error: str | None = None  # why the repair could not be done
    fix: Callable[[], str] | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {
            key: getattr(self, key)
            for key in ("kind", "environment", "subject", "problem", "repair", "repaired", "error")
        }


@dataclass
class Examination:
    backends: list[dict[str, str]] = field(default_factory=list)
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
    for finding in _stray_branches(project):
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
    found.backends.append(
        {"environment": environment, "backend": backend, "status": status, "detail": detail}
    )
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
        for operation in recover.interrupted(project, environment)
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


def _drop(warehouse: Warehouse, schema: str) -> str:
    warehouse.drop_schema(schema)
    return "dropped"


def _drop_login(warehouse: Warehouse, registry: Registry, role: str) -> str:
    warehouse.drop_identity(role)
    registry.disown("role", role)
    return "dropped"


def _delete_secrets(store: SecretStore, keys: list[str]) -> str:
    for key in keys:
        store.delete(key)
    return "deleted"


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


def _live(project: Project, environment: str) -> tuple[dict[str, Kitchen], set[str]]:
    """The kitchens recorded in ``environment``, and those a command is working on."""
    registry = project.registry(environment)
    kitchens = {kitchen.name: kitchen for kitchen in registry.all()}
    return kitchens, {operation.kitchen for operation in registry.operations()}


def _owned_orphans(project: Project, environment: str, report: Reporter) -> list[Finding]:
    """Schemas and branches the ownership ledger says kitchen made for kitchens now gone."""
    registry = project.registry(environment)
    kitchens, busy = _live(project, environment)
    found = []
    for owned in registry.owned():
        if owned["kitchen"] in kitchens or owned["kitchen"] in busy:
            continue
        if owned["kind"] == "role":
            continue  # a login: found by _login_orphans, whose drop forgets it
        if owned["kind"] == "schema":
            found.append(
                Finding(
                    "orphan",
                    environment,
                    owned["name"],
                    f"schema {owned['name']} was made for kitchen {owned['kitchen']}, "
                    "which no longer exists",
                    "drop it",
                    fix=partial(_drop_schema, project, environment, owned),
                )
            )
        elif project.git.branch_exists(owned["name"]):
            forget = partial(registry.disown, owned["kind"], owned["name"])
            found.append(_stray(project, owned["name"], environment, forget))
    return found


def _staging_orphans(project: Project, environment: str, report: Reporter) -> list[Finding]:
    kitchens, busy = _live(project, environment)
    refreshing = {kitchens[name].schema for name in busy if name in kitchens}
    warehouse = project.warehouse(environment)
    return [
        Finding(
            "orphan",
            environment,
            schema,
            f"staging schema {schema} was left by a refresh that did not finish",
            "drop it",
            fix=partial(_drop, warehouse, schema),
        )
        for schema in warehouse.list_schemas()
        if schema.startswith(names.STAGING_PREFIX)
        and schema.removeprefix(names.STAGING_PREFIX) not in refreshing
    ]


def _login_orphans(project: Project, environment: str, report: Reporter) -> list[Finding]:
    """Logins granted the environment's database that no kitchen's can be: none recorded
    for a kitchen at work, none that a live kitchen's schema gives."""
    kitchens, busy = _live(project, environment)
    warehouse = project.warehouse(environment)
    registry = project.registry(environment)
    claimed = {name for k in kitchens.values() for name in warehouse.identity_names(k.schema)}
    claimed |= {o["name"] for o in registry.owned() if o["kind"] == "role" and o["kitchen"] in busy}
    return [
        Finding(
            "orphan",
            environment,
            role,
            f"the login role {role} belongs to no kitchen",
            "drop it",
            fix=partial(_drop_login, warehouse, registry, role),
        )
        for role in warehouse.list_identities()
        if role not in claimed
    ]


def _open_databases(project: Project, environment: str, report: Reporter) -> list[Finding]:
    """Where kitchens have logins of their own, an environment's database that PUBLIC may
    enter is open to every kitchen's login: a dev kitchen's could read production's."""
    settings = [env.warehouse for env in project.config.environments.values()]
    if not any(warehouse.kitchen_roles for warehouse in settings):
        return []
    database, rights = project.warehouse(environment).open_to_all()
    if not rights:
        return []
    return [
        Finding(
            "open-database",
            environment,
            database,
            f"every login of the server may {', '.join(rights)} in the {environment} "
            f"database {database} (PUBLIC's defaults): kitchens' logins could enter it",
            f"none by kitchen: its owner runs REVOKE {', '.join(rights)} ON DATABASE "
            f"{quote_identifier(database)} FROM PUBLIC (docs/secrets.md)",
        )
    ]


def _secret_orphans(project: Project, environment: str, report: Reporter) -> list[Finding]:
    kitchens, busy = _live(project, environment)
    store = project.secrets(environment)
    try:
        kept = store.keys()
    except KitchenError:  # reported with the backends
        return []
    owners: dict[str, list[str]] = {}
    for key in kept:
        if key.startswith("kitchens/"):
            owners.setdefault(key.split("/")[1], []).append(key)
    return [
        Finding(
            "orphan",
            environment,
            f"kitchens/{name}/",
            f"{counted(len(keys), 'secret')} of kitchen {name}, which no longer exists",
            "delete them",
            fix=partial(_delete_secrets, store, keys),
        )
        for name, keys in sorted(owners.items())
        if name not in kitchens and name not in busy
    ]


def _drop_schema(project: Project, environment: str, owned: dict[str, Any]) -> str:
    project.warehouse(environment).drop_schema(owned["name"])
    project.registry(environment).disown("schema", owned["name"])
    return "dropped"


def _stray(
    project: Project, branch: str, environment: str | None, forget: Callable[[], None]
) -> Finding:
    git = project.git
    roots = [k.branch for k in map(project.root_kitchen, project.config.kitchens)]
    keeps = [b for b in roots if git.branch_exists(b)]
    unique = git.count_not_in(branch, keeps) if keeps else 0

    def fix() -> str:
        if unique:
            raise KitchenError(
                f"kept: {branch} has {counted(unique, 'commit')} on no root kitchen's branch; "
                f"delete it yourself with `git branch -D {branch}` if they are not needed"
            )
        git.delete_branch(branch)
        forget()
        return "deleted (every commit of it is on a root kitchen's branch)"

    return Finding(
        "stray-branch",
        environment,
        branch,
        f"branch {branch} is named like a kitchen's, but no kitchen has it",
        "delete it if all its commits are merged; otherwise keep it and say so",
        fix=fix,
    )


def _stray_branches(project: Project) -> list[Finding]:
    """Branches under the kitchen prefix that no kitchen (and no ledger) accounts for."""
    prefix = project.config.git.branch_prefix
    if not prefix:
        return []  # without a prefix every branch could be anyone's
    kitchens, problems = project.kitchens()
    if problems:
        return []  # an unreachable registry could hold the missing kitchens
    known = {kitchen.branch for kitchen in kitchens}
    for environment in project.config.environments:
        known |= {o["name"] for o in project.registry(environment).owned() if o["kind"] == "branch"}
    found = []
    for branch in project.git.branches():
        if branch.startswith(prefix) and branch not in known:
            found.append(_stray(project, branch, None, lambda: None))
    return found


CHECKS: tuple[Callable[[Project, str, Reporter], list[Finding]], ...] = (
    _interrupted,
    _stale_locks,
    _roots,
    _kitchens,
    _owned_orphans,
    _staging_orphans,
    _login_orphans,
    _secret_orphans,
    _open_databases,
)
