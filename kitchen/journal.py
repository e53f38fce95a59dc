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
from kitchen.backends.registry import OPERATION_TTL, Registry, stale
from kitchen.errors import KitchenError, PreconditionFailed
from kitchen.model import Kitchen, Status, utcnow
from kitchen.project import Project
from kitchen.text import moment


def typed(command: str) -> str:
    """The command as a user types it: ``refresh`` is ``kitchen data refresh``."""
    return f"kitchen data {command}" if command == "refresh" else f"kitchen {command}"


DOING = {  # what a live run of each command is doing to its kitchen, for refusals
    "test": "is being tested",
    "create": "is being created",
    "delete": "is being deleted",
    "refresh": "is having its data refreshed",
    "update": "is being updated from its parent",
    "merge": "is being merged into its parent",
    "promote": "is receiving a promotion",
    "rollback": "is being rolled back",
}
LOOK_WAIT = 10.0  # seconds to wait for the lock under which an ``alone`` run looks


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
    project: Project,
    environment: str,
    command: str,
    kitchen: str,
    *,
    alone: bool = False,
    **details: Any,
) -> Iterator[Operation]:
    """Record ``command`` on ``kitchen`` as it runs. ``alone``: refuse (exit 3) while another
    run of it on the same kitchen is alive."""
    registry = project.registry(environment)
    registry.ensure()
    begun = Operation(registry, uuid.uuid4().hex[:12], command, kitchen, dict(details))
    record = {
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
    if alone:
        # looking and recording at once, under a lock held for just that: of two runs
        # started together, the second to get the lock sees the first
        doing = f"`{typed(command)}` of {kitchen}"
        with registry.locked(f"{kitchen}:{command}", project.user, LOOK_WAIT, doing):
            _refuse_if_running(registry, command, kitchen)
            registry.begin(record)
    else:
        registry.begin(record)
    try:
        yield begun
    finally:  # a crash never gets here: that is what leaves the operation open
        with contextlib.suppress(KitchenError):
            registry.end(begun.id)


def _alive(registry: Registry, kitchen: str, command: str | None = None) -> dict[str, Any] | None:
    """A run on ``kitchen`` (of ``command``, or of any command) whose process is alive."""
    for other in registry.operations():
        if (
            other["kitchen"] == kitchen
            and command in (None, other["command"])
            and not stale(other, OPERATION_TTL)
        ):
            return other
    return None


def _refuse_if_running(registry: Registry, command: str, kitchen: str) -> None:
    other = _alive(registry, kitchen, command)
    if other:
        raise PreconditionFailed(
            f"Another `{typed(command)}` of {kitchen} is running: "
            f"{other['actor']}'s, on {other['host']} since {moment(other['since'])}.",
            hint="Wait for it to finish; run this again only if you still need to.",
        )


def refuse_busy(project: Project, kitchen: Kitchen) -> None:
    """Refuse (exit 3) while a run of any command on ``kitchen`` is alive."""
    other = _alive(project.registry(kitchen.environment), kitchen.name)
    if other:
        raise PreconditionFailed(
            f"Kitchen {kitchen.name!r} {DOING[other['command']]} right now, by "
            f"{other['actor']} on {other['host']} since {moment(other['since'])}.",
            hint="Wait for it to finish, then run this again.",
        )


def settled(project: Project, kitchen: Kitchen) -> Kitchen | None:
    """Refuse (exit 3) while a run on ``kitchen`` is alive; else the kitchen as it is now, or
    None if it is gone. The copy in hand may predate the end of the run that was making it."""
    refuse_busy(project, kitchen)
    return project.registry(kitchen.environment).get(kitchen.name)


def require_ready(project: Project, kitchen: Kitchen) -> Kitchen:
    """The kitchen, ready; refuse (exit 3) to work on one that is not: one another command
    is creating or deleting right now, or one a crash left half-made."""
    if kitchen.status == Status.READY:
        return kitchen
    now = settled(project, kitchen)
    if now is not None and now.status == Status.READY:
        return now
    raise PreconditionFailed(
        f"Kitchen {kitchen.name!r} is {kitchen.status.value}, not ready.",
        hint="Run `kitchen init` to provision the root kitchens."
        if kitchen.root
        else f"Run `kitchen doctor --repair`, or `kitchen delete {kitchen.name}` and create it "
        "again.",
    )
