"""The artifact store protocol: keys are '/'-separated paths below the store's root."""

from __future__ import annotations

from typing import Protocol


class ArtifactStore(Protocol):
    environment: str

    @property
    def location(self) -> str: ...

    def url(self, key: str) -> str:
        """Where ``key`` is, for people: a file:// or s3:// address."""
        ...

    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def list(self, prefix: str = "") -> list[str]: ...
    def delete(self, prefix: str) -> int:
        """Delete every artifact under ``prefix``; how many were removed."""
        ...
