"""The secrets port: named secrets of one release environment (a vault)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from kitchen import config, redaction
from kitchen.backends.secrets.base import SecretStore
from kitchen.errors import BadInput, ConfigError, SecretsError


def connect(settings: config.Secrets, root: Path, environment: str) -> SecretStore:
    if isinstance(settings, config.FileSecrets):
        from kitchen.backends.secrets.file import FileSecretStore

        return FileSecretStore(root / settings.path, environment)
    from kitchen.backends.secrets.vault import VaultSecretStore

    return VaultSecretStore(settings, environment, root)


REFERENCE = re.compile(r"\{\{\s*secret\(\s*(['\"])([^'\"]+)\1\s*\)\s*\}\}")
KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*(#[A-Za-z0-9_.-]+)?")
Model = TypeVar("Model", bound=BaseModel)


def reference(value: str) -> str | None:
    """The key of a whole-value reference ``{{ secret('masking#salt') }}``, else None."""
    match = REFERENCE.fullmatch(value.strip())
    return match[2] if match else None


def check_key(key: str) -> str:
    if not KEY.fullmatch(key) or ".." in key.split("/"):
        raise BadInput(
            f"{key!r} is not a secret key.",
            hint="Use path#field, e.g. warehouse#password (letters, digits, _ . - and /).",
        )
    return key


class Scoped:
    """A kitchen's view of its environment's secrets: its own path first, then the
    environment's (an inherited vault). Every value it hands out is remembered for redaction."""

    def __init__(self, store: SecretStore, kitchen: str | None) -> None:
        self.store = store
        self.own = f"kitchens/{kitchen}/" if kitchen else None

    def get(self, key: str) -> str:
        if self.own:
            try:
                return redaction.remember(self.store.get(self.own + key))
            except SecretsError:
                pass  # not overridden for this kitchen: the environment's value applies
        return redaction.remember(self.store.get(key))

    def resolve(self, text: str, where: str) -> str:
        """``text`` with each ``{{ secret('key') }}`` replaced by the secret's value."""
        resolved = REFERENCE.sub(lambda match: self.get(check_key(match[2])), text)
        if "{{" in resolved:
            raise ConfigError(
                f"{where}: a malformed secret reference.",
                hint="Write it as {{ secret('path#key') }}.",
            )
        return resolved

    def resolve_settings(self, settings: Model, where: str) -> Model:
        """A copy of ``settings`` with every reference in its text values resolved."""
        updates: dict[str, Any] = {}
        for name, value in settings:
            if isinstance(value, str) and "{{" in value:
                updates[name] = self.resolve(value, f"{where}.{name}")
            elif isinstance(value, BaseModel):
                resolved = self.resolve_settings(value, f"{where}.{name}")
                if resolved is not value:
                    updates[name] = resolved
        return settings.model_copy(update=updates) if updates else settings
