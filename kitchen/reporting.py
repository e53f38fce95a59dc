"""How workflows tell the user what is going on, without knowing how it is shown."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

Advance = Callable[[int], None]


class Reporter(Protocol):
    def step(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def progress(self, description: str, total: int) -> AbstractContextManager[Advance]: ...


class SilentReporter:
    """For library use and tests: says nothing."""

    def step(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Advance]:
        yield lambda amount: None
