"""How a project opens its backends, from the settings of each environment. ``Project``
takes one (this, unless a caller hands in its own: a test that makes an environment
unreachable, a tool that counts connections), so nothing above the backends builds one."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kitchen.backends import artifacts, secrets

if TYPE_CHECKING:
    from kitchen import config
    from kitchen.backends.artifacts.base import ArtifactStore
    from kitchen.backends.git import Git
    from kitchen.backends.secrets.base import SecretStore
    from kitchen.backends.warehouse.base import Warehouse


class Backends:
    """Each method opens one backend; ``local`` is where relative paths resolve."""

    def git(self, root: Path) -> Git:
        from kitchen.backends.git import Git

        return Git.open(root)

    def warehouse(
        self, settings: config.Warehouse, local: Path, environment: str, part: str
    ) -> Warehouse:
        """A warehouse, or a registry's store (``part``), as its engine's settings build it."""
        return settings.connect(local, environment, part)

    def secrets(self, settings: config.Secrets, local: Path, environment: str) -> SecretStore:
        return secrets.connect(settings, local, environment)

    def artifacts(self, settings: config.Artifacts, local: Path, environment: str) -> ArtifactStore:
        return artifacts.connect(settings, local, environment)
