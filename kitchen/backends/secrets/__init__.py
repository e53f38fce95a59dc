"""The secrets port: named secrets of one release environment (a vault)."""

from __future__ import annotations

import re
from pathlib import Path

from kitchen import config
from kitchen.backends.secrets.base import SecretStore


def connect(settings: config.Secrets, root: Path, environment: str) -> SecretStore:
    if isinstance(settings, config.FileSecrets):
        from kitchen.backends.secrets.file import FileSecretStore

        return FileSecretStore(root / settings.path, environment)
    from kitchen.backends.secrets.vault import VaultSecretStore

    return VaultSecretStore(settings, environment, root)


REFERENCE = re.compile(r"\{\{\s*secret\(\s*(['\"])([^'\"]+)\1\s*\)\s*\}\}")


def reference(value: str) -> str | None:
    """The key of a whole-value reference ``{{ secret('masking#salt') }}``, else None."""
    match = REFERENCE.fullmatch(value.strip())
    return match[2] if match else None
