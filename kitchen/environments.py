"""A project's release environments and git repository as a command reaches them: each
environment's warehouse, registry, secrets and artifacts, opened on first use through the
project's ``Backends`` and kept for the life of the command (a command that never touches
an environment never connects to it); the remote it syncs with; who is acting."""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path

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
    GitError,
)
from kitchen.model import Kitchen


def identify(email: str | None) -> str:
    """The acting user: ``KITCHEN_USER`` if set, else git's ``user.email`` (``email``)."""
    user = os.environ.get("KITCHEN_USER") or email
    if not user:
        raise BadInput(
            "Cannot tell who you are.",
            hint="Set `git config user.email you@example.com` or the KITCHEN_USER variable.",
        )
    return user


class Environments:
    """The backends half of ``Project``."""

    def __init__(
        self, root: Path, settings: config.Config, backends: Backends | None = None
    ) -> None:
        self.root = root
        self.config = settings
        self.backends = backends or Backends()
        self._warehouses: dict[str, Warehouse] = {}
        self._registries: dict[str, Registry] = {}

    def close(self) -> None:
        for registry in self._registries.values():
            registry.warehouse.close()  # the warehouse's own where it keeps it: closed twice
        for connection in self._warehouses.values():
            connection.close()
        self._warehouses.clear()
        self._registries.clear()

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

    @cached_property
    def user(self) -> str:
        return identify(self.git.user_email())
