"""A kitchen project: its config, its git repository and the backends of each environment.

Backends are opened on first use and kept for the life of the command, so a command that
never touches an environment never connects to it.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path
from typing import Any

from kitchen import config, names
from kitchen.backends.artifacts.base import ArtifactStore
from kitchen.backends.factory import Backends
from kitchen.backends.git import Git
from kitchen.backends.registry import Registry
from kitchen.backends.secrets import Scoped
from kitchen.backends.secrets.base import SecretStore
from kitchen.backends.warehouse.base import Warehouse
from kitchen.errors import (
    BadInput,
    ConfigError,
    ExitCode,
    GitError,
    KitchenError,
    KitchenNotFound,
    NotAllowed,
    PreconditionFailed,
)
from kitchen.model import Kitchen, Status, utcnow


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds a kitchen.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / config.CONFIG_FILE).is_file():
            return folder
    raise ConfigError(
        f"No {config.CONFIG_FILE} in {start} or any folder above it.",
        hint="Run `kitchen init` to set up a kitchen project here.",
    )


class Project:
    def __init__(
        self, root: Path, settings: config.Config, backends: Backends | None = None
    ) -> None:
        self.root = root
        self.config = settings
        self.backends = backends or Backends()
        self._warehouses: dict[str, Warehouse] = {}
        self._registries: dict[str, Registry] = {}

    @classmethod
    def load(cls, start: Path, backends: Backends | None = None) -> Project:
        root = find_root(start)
        return cls(root, config.load(root / config.CONFIG_FILE), backends)

    def close(self) -> None:
        for registry in self._registries.values():
            registry.warehouse.close()  # the warehouse's own where it keeps it: closed twice
        for connection in self._warehouses.values():
            connection.close()
        self._warehouses.clear()
        self._registries.clear()

    # backends

    @cached_property
    def git(self) -> Git:
        return self.backends.git(self.root)

    @cached_property
    def local(self) -> Path:
        """Where backends' relative paths (`.kitchen/...`) resolve: the main worktree's
        folder, so that every worktree of the repository (`git worktree add`, to have two
        kitchens checked out at once) shares one embedded warehouse, vault and artifacts."""
        try:
            return self.git.main_folder()
        except GitError:
            return self.root

    @cached_property
    def remote(self) -> str | None:
        """The git remote shared branches are fetched from and pushed to, if configured."""
        name = self.config.git.remote
        if name is not None and name not in self.git.remotes():
            raise ConfigError(
                f"kitchen.yaml names git.remote {name!r}, but the repository has no such remote.",
                hint=f"Add it with `git remote add {name} URL`, or set git.remote: null.",
            )
        return name

    def sync(self, *branches: str, fetched: bool = False) -> str | None:
        """Fetch the remote (unless this command has just ``fetched`` it) and bring
        ``branches`` up to it; the remote, or None."""
        remote = self.remote
        if remote is not None:
            if not fetched:
                self.git.fetch(remote)
            for branch in branches:
                self.git.follow(remote, branch)
        return remote

    def require_environments(self, chosen: list[str]) -> None:
        """Refuse (exit 2) a name in ``chosen`` that is no environment of kitchen.yaml."""
        known = list(self.config.environments)
        for name in chosen:
            if name not in known:
                raise BadInput(
                    f"No environment named {name!r}.{names.did_you_mean(name, known)}",
                    hint=f"kitchen.yaml declares {', '.join(known)}.",
                )

    def environment(self, name: str) -> config.Environment:
        return self.config.environments[name]

    def needs_masking(self, source: Kitchen, target: Kitchen) -> bool:
        """Data is masked when it leaves a sensitive environment or crosses environments."""
        sensitive = self.environment(source.environment).sensitive
        return sensitive or source.environment != target.environment

    def excluded(self, table: str) -> bool:
        """Named by ``data.exclude``: no copy takes it, and settings that name it are no typo."""
        return any(fnmatchcase(table, pattern) for pattern in self.config.data.exclude)

    def warehouse(self, environment: str) -> Warehouse:
        if environment not in self._warehouses:
            settings = self.environment(environment).warehouse
            self._warehouses[environment] = self._connect(settings, environment, "warehouse")
        return self._warehouses[environment]

    def registry(self, environment: str) -> Registry:
        """The environment's registry: in its warehouse, or in the store ``registry:`` names."""
        if environment not in self._registries:
            settings = self.environment(environment).registry
            store = (
                self.warehouse(environment)
                if settings is None
                else self._connect(settings, environment, "registry")
            )
            self._registries[environment] = Registry(store)
        return self._registries[environment]

    def _connect(self, settings: config.Warehouse, environment: str, part: str) -> Warehouse:
        if "{{" in settings.model_dump_json():  # resolved only when there is a reference
            where = f"environments.{environment}.{part}"
            settings = self.scoped(environment).resolve_settings(settings, where)
        return self.backends.warehouse(settings, self.local, environment, part)

    def secrets(self, environment: str) -> SecretStore:
        settings = self.environment(environment).secrets
        return self.backends.secrets(settings, self.local, environment)

    def scoped(self, environment: str, kitchen: str | None = None) -> Scoped:
        """The environment's secrets as a kitchen sees them (its own path first)."""
        return Scoped(self.secrets(environment), kitchen)

    def artifacts(self, environment: str) -> ArtifactStore:
        settings = self.environment(environment).artifacts
        return self.backends.artifacts(settings, self.local, environment)

    # who is acting

    @cached_property
    def user(self) -> str:
        return identify(self.git.user_email())

    def require_staff(self, kitchen: Kitchen, action: str) -> None:
        """Staff patterns are globs (``*@acme.io``); an empty staff list admits everyone."""
        if kitchen.staff and not any(fnmatchcase(self.user, who) for who in kitchen.staff):
            raise NotAllowed(
                f"{self.user} is not staff of kitchen {kitchen.name!r} and cannot {action}.",
                hint=f"Ask one of {', '.join(kitchen.staff)} to add you to its staff"
                + (
                    f" (kitchens.{kitchen.name}.staff in kitchen.yaml)."
                    if kitchen.root
                    else f": `kitchen staff {kitchen.name} --add {self.user}`."
                ),
            )

    def require_clean(self, then: str, *, changes: bool = True) -> None:
        """Refuse (exit 3) while an update's merge is unfinished in the worktree, and, with
        ``changes``, while it has uncommitted changes; ``then``: what to do afterwards."""
        git = self.git
        if git.merging():
            conflicts = git.conflicts()
            branch = git.current_branch()
            raise PreconditionFailed(
                "A merge is in progress"
                + (f" on {branch}" if branch else "")
                + (f", with conflicts in: {', '.join(conflicts)}" if conflicts else "")
                + ".",
                hint="Resolve the conflicts, `git add` the files and run `kitchen update "
                "--continue` (or give it up: `kitchen update --abort`)"
                + ("." if then == "update" else f"; then {then}."),
            )
        if changes and git.is_dirty():
            raise PreconditionFailed(
                "The worktree has uncommitted changes.", hint=f"Commit or stash them, then {then}."
            )

    # kitchens

    def root_kitchen(self, name: str) -> Kitchen:
        """A root kitchen as kitchen.yaml declares it (status not yet known)."""
        declared = self.config.kitchens[name]
        return Kitchen(
            name=name,
            parent=declared.parent,
            environment=declared.environment,
            branch=declared.branch,
            schema=self.config.root_schema(name),
            status=Status.MISSING,
            protected=declared.protected,
            root=True,
            staff=list(declared.staff),
            approvers=list(declared.approvers),
        )

    def parent_tip(self, kitchen: Kitchen, parent_branch: str) -> str:
        """The commit of its parent's branch a kitchen must contain. Across release
        environments (dev below production) the rollbacks on top are left out: production's
        emergency state, which dev's next release replaces, not a change for dev to take (merged
        down, it would revert the rolled-back work in dev). A kitchen in the parent's own
        environment (a hotfix kitchen under production) takes them as any change."""
        parent = self.kitchen(kitchen.parent or "")
        if parent.environment == kitchen.environment:
            return self.git.sha(parent_branch)
        return self.git.before_rollbacks(parent_branch)

    def kitchens(
        self, after: str | None = None, limit: int = 0
    ) -> tuple[list[Kitchen], dict[str, KitchenError]]:
        """The kitchens of every environment by name: those named after ``after`` where
        given, the first ``limit`` (0: all). The environments whose registry could not be
        read are reported (by name), not fatal."""
        found: dict[str, Kitchen] = {
            name: self.root_kitchen(name)
            for name in self.config.kitchens
            if after is None or name > after
        }
        problems: dict[str, KitchenError] = {}
        for environment in self.config.environments:
            try:
                recorded = self.registry(environment).all(after, limit)
            except KitchenError as exc:
                problems[environment] = exc
                for kitchen in found.values():
                    if kitchen.environment == environment:
                        kitchen.status = Status.UNREACHABLE
                continue
            for kitchen in recorded:
                found[kitchen.name] = self._merge_declared(kitchen)
        listed = sorted(found.values(), key=lambda k: k.name)
        return (listed[:limit] if limit else listed), problems

    def kitchen(self, name: str) -> Kitchen:
        if name in self.config.kitchens:
            declared = self.root_kitchen(name)
            recorded = self.registry(declared.environment).get(name)
            return self._merge_declared(recorded) if recorded else declared
        unreached: list[KitchenError] = []
        for environment in self.config.environments:
            try:
                recorded = self.registry(environment).get(name)
            except KitchenError as exc:  # production, to a developer without its secrets
                unreached.append(exc)
                continue
            if recorded is not None:
                return recorded
        names.validate(name)
        down = [exc for exc in unreached if exc.exit_code == ExitCode.UNREACHABLE]
        if down:
            raise down[0]  # it may well be there: say what is down, not that it is missing
        kitchens, _ = self.kitchens()
        guess = names.did_you_mean(name, [kitchen.name for kitchen in kitchens])
        hint = "See `kitchen list`."
        if unreached:
            hint = f"It may be where you cannot look now: {unreached[0].message}"
        raise KitchenNotFound(f"No kitchen named {name!r}.{guess}", hint=hint)

    def _merge_declared(self, recorded: Kitchen) -> Kitchen:
        """For root kitchens kitchen.yaml is the truth; the registry adds status and history."""
        if recorded.name not in self.config.kitchens:
            return recorded
        declared = self.root_kitchen(recorded.name)
        declared.status = recorded.status
        declared.created_by = recorded.created_by
        declared.created_at = recorded.created_at
        declared.data = recorded.data
        declared.error = recorded.error
        return declared

    def audit(self, kitchen: Kitchen, action: str, result: str = "ok", **details: object) -> None:
        """Append to the audit trail of the kitchen's environment: who did what, when."""
        self.registry(kitchen.environment).record(
            {
                "at": utcnow(),
                "actor": self.user,
                "action": action,
                "kitchen": kitchen.name,
                "result": result,
                "details": details,
            }
        )

    def events(
        self, kitchen: str | None = None, limit: int = 0, before: str | None = None
    ) -> Trail:
        """The newest ``limit`` events (0: all), those ``before`` a time where given, of the
        audit trail of every environment this user can reach, newest first; the
        environments that could not be read are reported (by name), not fatal."""
        found: list[dict[str, Any]] = []
        total = 0
        problems: dict[str, KitchenError] = {}
        reached = []
        for environment in self.config.environments:
            try:
                registry = self.registry(environment)
                found += registry.events(kitchen, limit, before)
                total += registry.count("events", kitchen) if limit else 0
                reached.append(registry)
            except KitchenError as exc:
                problems[environment] = exc
        newest = sorted(found, key=lambda event: str(event["at"]), reverse=True)
        if not limit or len(newest) <= limit:
            shown = newest
        else:  # never through events of one time: the next page starts before it
            last = str(newest[limit - 1]["at"])
            shown = [event for event in newest if str(event["at"]) >= last]
        older = bool(limit and shown) and any(
            registry.events(kitchen, 1, str(shown[-1]["at"])) for registry in reached
        )
        return Trail(
            shown,
            total if limit else len(found),
            problems,
            str(shown[-1]["at"]) if older else None,
        )

    def template_context(
        self, kitchen: Kitchen, defaults: dict[str, Any], overrides: dict[str, Any]
    ) -> dict[str, Any]:
        """What a pipeline's templates see in ``kitchen``: its names, and ``vars``, layered
        pipeline ``defaults`` < environment < root kitchen < ``overrides`` (--var)."""
        layered = dict(defaults)
        layered.update(self.environment(kitchen.environment).vars)
        if kitchen.name in self.config.kitchens:
            layered.update(self.config.kitchens[kitchen.name].vars)
        layered.update(overrides)
        return {
            "kitchen": {
                "name": kitchen.name,
                "schema": kitchen.schema,
                "branch": kitchen.branch,
                "environment": kitchen.environment,
            },
            "vars": layered,
        }

    def current_or_named(self, name: str | None) -> Kitchen:
        """The named kitchen, or the one whose branch is checked out."""
        if name is not None:
            return self.kitchen(name)
        kitchens, problems = self.kitchens()
        current = self.checked_out(kitchens)
        if current is None:
            down = [exc for exc in problems.values() if exc.exit_code == ExitCode.UNREACHABLE]
            if down:
                raise down[0]  # its kitchen may well be there: say what is down
            raise BadInput("No kitchen's branch is checked out.", hint="Name the kitchen.")
        return current

    def checked_out(self, kitchens: list[Kitchen] | None = None) -> Kitchen | None:
        """The kitchen whose branch is checked out: among ``kitchens`` where given, else
        looked up by its branch (a kitchen's branch is the prefix and its name)."""
        branch = self.git.current_branch()
        if kitchens is not None:
            return next((kitchen for kitchen in kitchens if kitchen.branch == branch), None)
        for name in self.config.kitchens:
            if self.root_kitchen(name).branch == branch:
                return self.kitchen(name)
        prefix = self.config.git.branch_prefix
        if branch is None or not branch.startswith(prefix):
            return None
        for environment in self.config.environments:
            with contextlib.suppress(KitchenError):  # unreachable: not the one checked out
                found = self.registry(environment).get(branch.removeprefix(prefix))
                if found is not None and found.branch == branch:
                    return found
        return None


@dataclass
class Trail:
    """A page of the audit trail of every environment this user can reach."""

    events: list[dict[str, Any]]
    total: int  # of all pages
    problems: dict[str, KitchenError]  # environment: why its trail could not be read
    before: str | None  # where the next (older) page starts; None: this is the last


def identify(email: str | None) -> str:
    """The acting user: ``KITCHEN_USER`` if set, else git's ``user.email`` (``email``)."""
    user = os.environ.get("KITCHEN_USER") or email
    if not user:
        raise BadInput(
            "Cannot tell who you are.",
            hint="Set `git config user.email you@example.com` or the KITCHEN_USER variable.",
        )
    return user
