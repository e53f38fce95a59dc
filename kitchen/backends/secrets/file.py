"""The embedded vault: a YAML file per release environment, mode 0600, git-ignored."""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from kitchen.errors import SecretsError
from kitchen.names import did_you_mean

MODE = 0o600


class FileSecretStore:
    def __init__(self, path: Path, environment: str) -> None:
        self.path = path
        self.environment = environment

    @property
    def location(self) -> str:
        return f"secrets file {self.path}"

    def create(self) -> bool:
        """Create an empty store readable by its owner alone; False if it already existed."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, MODE)
        except FileExistsError:
            return False
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("{}\n")
        return True

    def get(self, key: str) -> str:
        """``key`` is a plain key or ``path#field`` (a field of the mapping at ``path``)."""
        values = self._read()
        value = values.get(key)
        path, _, field = key.partition("#")
        if value is None and field and isinstance(values.get(path), dict):
            value = values[path].get(field)
        if value is None:
            known = [name for name, held in values.items() if not isinstance(held, dict)]
            known += [
                f"{name}#{field}"
                for name, held in values.items()
                if isinstance(held, dict)
                for field in held
            ]
            raise SecretsError(
                f"Secret {key!r} is missing from the {self.environment} {self.location}."
                + did_you_mean(key, known),
                hint=f"Add it with a line `{key}: ...` (the file is mode 0600 and git-ignored).",
            )
        return str(value)

    def set(self, key: str, value: str) -> None:
        with self._changing():
            values = self._read()
            holder, name = self._place(values, key)
            holder[name] = value
            self._write(values)

    def delete(self, key: str) -> None:
        with self._changing():
            values = self._read()
            holder, name = self._place(values, key)
            if holder.pop(name, None) is None:
                return
            if holder is not values and not holder:  # the mapping's last field: it too
                del values[key.partition("#")[0]]
            self._write(values)

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """One change at a time, across processes: twenty creates at once each read the
        file, added their kitchen's login and wrote it back, and all but one login was
        lost. Readers need no lock: a change replaces the whole file at once."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(f".{self.path.name}.lock")
        descriptor = os.open(lock, os.O_WRONLY | os.O_CREAT, MODE)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # and with it the lock

    def keys(self) -> list[str]:
        """As secrets are referenced: ``pg#password`` for a field of a mapping ``pg``."""
        return sorted(
            f"{path}#{field}" if isinstance(value, dict) else path
            for path, value in self._read().items()
            for field in (value if isinstance(value, dict) else [None])
        )

    @staticmethod
    def _place(values: dict[str, Any], key: str) -> tuple[dict[str, Any], str]:
        """Where ``key`` lives: a ``path#field`` key is ``field`` of the mapping ``path`` when
        the file has one (`pg: {password: ...}`, as written by hand), else a key of its own."""
        path, _, field = key.partition("#")
        nested = values.get(path)
        if field and isinstance(nested, dict) and key not in values:
            return nested, field
        return values, key

    def _read(self) -> dict[str, Any]:
        try:
            mode = stat.S_IMODE(self.path.stat().st_mode)
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise SecretsError(f"The {self.location} cannot be read: {exc.strerror}.") from None
        if mode & 0o077:
            raise SecretsError(
                f"The {self.location} is readable by others (mode {mode:o}).",
                hint=f"Run `chmod 600 {self.path}`.",
            )
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            # the parser's message may quote a secret value: say where, not what
            mark = getattr(exc, "problem_mark", None)
            at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise SecretsError(
                f"The {self.location} is not valid YAML{at}.",
                hint="Write one `key: value` per line; quote a value that has ': ' or ' #'.",
            ) from None
        if not isinstance(data, dict):
            raise SecretsError(f"The {self.location} must hold a mapping of key: value.")
        return data

    def _write(self, values: dict[str, Any]) -> None:
        self.create()
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:  # mode 0600
                yaml.safe_dump(values, handle, sort_keys=True)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
