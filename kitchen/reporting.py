"""How workflows tell the user what is going on, without knowing how it is shown."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

Advance = Callable[[int], None]


class Reporter(Protocol):
    def step(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def progress(self, description: str, total: int) -> AbstractContextManager[Advance]: ...
