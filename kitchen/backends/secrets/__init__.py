"""The secrets port: named secrets of one release environment (a vault)."""

from __future__ import annotations

from pathlib import Path

from kitchen import config
from kitchen.backends import unavailable
from kitchen.backends.secrets.base import SecretStore


def connect(settings: config.Secrets, root: Path, environment: str) -> SecretStore:
    if isinstance(settings, config.FileSecrets):
        from kitchen.backends.secrets.file import FileSecretStore

        return FileSecretStore(root / settings.path, environment)
    raise unavailable("secrets", settings.type, environment, "file")
