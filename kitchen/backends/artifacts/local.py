"""The embedded artifact store: a folder per release environment."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from kitchen.errors import ArtifactsError


class LocalArtifactStore:
    def __init__(self, path: Path, environment: str) -> None:
        self.path = path
        self.environment = environment

    @property
    def location(self) -> str:
        return f"artifact folder {self.path}"

    def url(self, key: str) -> str:
        return self._resolve(key).resolve().as_uri()

    def put(self, key: str, data: bytes) -> None:
        target = self._resolve(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".partial")
        temporary.write_bytes(data)
        os.replace(temporary, target)

    def get(self, key: str) -> bytes:
        try:
            return self._resolve(key).read_bytes()
        except FileNotFoundError:
            raise ArtifactsError(f"No artifact {key!r} in the {self.location}.") from None

    def list(self, prefix: str = "") -> list[str]:
        if not self.path.is_dir():
            return []
        keys = (path.relative_to(self.path).as_posix() for path in self.path.rglob("*"))
        return sorted(key for key in keys if key.startswith(prefix) and self._is_file(key))

    def delete(self, prefix: str) -> int:
        doomed = self.list(prefix)
        for key in doomed:
            self._resolve(key).unlink()
        return len(doomed)

    def _is_file(self, key: str) -> bool:
        return (self.path / key).is_file() and not key.endswith(".partial")

    def _resolve(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or any(part in ("..", ".") for part in parts):
            raise ArtifactsError(f"Artifact key {key!r} must be a relative path without '..'.")
        return self.path.joinpath(*parts)
