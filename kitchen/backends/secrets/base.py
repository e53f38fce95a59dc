"""The secrets protocol. Values are returned to the caller and never put in a message."""

from __future__ import annotations

from typing import Protocol


class SecretStore(Protocol):
    environment: str

    @property
    def location(self) -> str: ...

    def get(self, key: str) -> str:
        """The value at ``key`` (``"masking/salt"``); ``SecretsError`` naming it if absent."""
        ...

    def set(self, key: str, value: str) -> None: ...
    def delete(self, key: str) -> None: ...
    def keys(self) -> list[str]: ...
