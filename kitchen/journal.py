"""Multi-step commands as recorded steps, so that a crash leaves a trail to finish or undo.

A command opens an operation in its kitchen's registry, records each step as it completes
(each step is also a fault-injection point, ``KITCHEN_FAIL_AT=<command>.<step>``), and ends
the operation when it returns: on success, or after it cleaned up its own failure. An
operation still open whose process is gone was cut short by a crash; running the command
again, or ``kitchen doctor --repair``, finishes or undoes it (kitchen/workflows/recover.py).
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kitchen import faults
from kitchen.backends.registry import Registry
from kitchen.errors import KitchenError
from kitchen.model import utcnow
from kitchen.project import Project


@dataclass
class Operation:
    registry: Registry
    id: str
    command: str
    kitchen: str
    details: dict[str, Any]

    def step(self, name: str, **details: Any) -> None:
        """Record that step ``name`` is done, with what recovery needs to know of it."""
        self.details.update(details)
        self.registry.advance(self.id, name, self.details)
        faults.checkpoint(f"{self.command}.{name}")


@contextlib.contextmanager
def operation(
    project: Project, environment: str, command: str, kitchen: str, **details: Any
) -> Iterator[Operation]:
    registry = project.registry(environment)
    registry.ensure()
    begun = Operation(registry, uuid.uuid4().hex[:12], command, kitchen, dict(details))
    registry.begin(
        {
            "id": begun.id,
            "command": command,
            "kitchen": kitchen,
            "actor": project.user,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "since": utcnow(),
            "step": "begun",
            "details": begun.details,
        }
    )
    try:
        yield begun
    finally:  # a crash never gets here: that is what leaves the operation open
        with contextlib.suppress(KitchenError):
            registry.end(begun.id)
