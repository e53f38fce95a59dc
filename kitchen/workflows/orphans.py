"""What kitchen made and no kitchen owns any more, found for `kitchen doctor`: schemas and
branches its ownership ledger records for kitchens now gone, staging schemas a refresh left,
logins and secrets of deleted kitchens, databases every login may enter, and branches
named as kitchens' with no kitchen. Each finding says what `--repair` does about it; only
what kitchen can prove it made is ever removed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kitchen import names
from kitchen.backends.registry import Registry
from kitchen.backends.secrets.base import SecretStore
from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.sql import quote_identifier
from kitchen.errors import KitchenError
from kitchen.model import Kitchen, Owned
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import counted


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


def _live(project: Project, environment: str) -> tuple[dict[str, Kitchen], set[str]]:
    """The kitchens recorded in ``environment``, and those a command is working on."""
    registry = project.registry(environment)
    kitchens = {kitchen.name: kitchen for kitchen in registry.all()}
    return kitchens, {operation.kitchen for operation in registry.operations()}


def owned_orphans(project: Project, environment: str, report: Reporter) -> list[Finding]:
    """Schemas and branches the ownership ledger says kitchen made for kitchens now gone."""
    registry = project.registry(environment)
    kitchens, busy = _live(project, environment)
    found = []
    for owned in registry.owned():
        if owned.kitchen in kitchens or owned.kitchen in busy:
            continue
        if owned.kind == "role":
            continue  # a login: found by login_orphans, whose drop forgets it
        if owned.kind == "schema":
            found.append(
                Finding(
                    "orphan",
                    environment,
                    owned.name,
                    f"schema {owned.name} was made for kitchen {owned.kitchen}, "
                    "which no longer exists",
                    "drop it",
                    fix=partial(_drop_schema, project, environment, owned),
                )
            )
        elif project.git.branch_exists(owned.name):
            forget = partial(registry.disown, owned.kind, owned.name)
            found.append(_stray(project, owned.name, environment, forget))
    return found


def staging_orphans(project: Project, environment: str, report: Reporter) -> list[Finding]:
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


def login_orphans(project: Project, environment: str, report: Reporter) -> list[Finding]:
    """Logins granted the environment's database that no kitchen's can be: none recorded
    for a kitchen at work, none that a live kitchen's schema gives."""
    kitchens, busy = _live(project, environment)
    warehouse = project.warehouse(environment)
    registry = project.registry(environment)
    claimed = {name for k in kitchens.values() for name in warehouse.identity_names(k.schema)}
    claimed |= {o.name for o in registry.owned() if o.kind == "role" and o.kitchen in busy}
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


def open_databases(project: Project, environment: str, report: Reporter) -> list[Finding]:
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


def secret_orphans(project: Project, environment: str, report: Reporter) -> list[Finding]:
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


def _drop_schema(project: Project, environment: str, owned: Owned) -> str:
    project.warehouse(environment).drop_schema(owned.name)
    project.registry(environment).disown("schema", owned.name)
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


def stray_branches(project: Project) -> list[Finding]:
    """Branches under the kitchen prefix that no kitchen (and no ledger) accounts for."""
    prefix = project.config.git.branch_prefix
    if not prefix:
        return []  # without a prefix every branch could be anyone's
    kitchens, problems = project.kitchens()
    if problems:
        return []  # an unreachable registry could hold the missing kitchens
    known = {kitchen.branch for kitchen in kitchens}
    for environment in project.config.environments:
        known |= {o.name for o in project.registry(environment).owned() if o.kind == "branch"}
    found = []
    for branch in project.git.branches():
        if branch.startswith(prefix) and branch not in known:
            found.append(_stray(project, branch, None, lambda: None))
    return found
