"""Multi-step commands as recorded steps, so that a crash leaves a trail to finish or undo.

Each multi-step command declares itself once, in its own module, as a ``Command``: its
name, what it does to its kitchen (for whoever it holds back), its steps (an enum) and the
function that finishes or undoes a run of it that a crash cut short. A run opens an
operation in its kitchen's registry, records each step as it completes (each step is also a
fault-injection point, ``KITCHEN_FAIL_AT=<command>.<step>``), and ends the operation when it
returns: on success, or after it cleaned up its own failure. Before it begins, a run settles
an earlier one of its command on the same kitchen that a crash left open;
``kitchen doctor --repair`` settles any (kitchen/workflows/recover.py holds the list).
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from kitchen import faults
from kitchen.backends.registry import Registry
from kitchen.backends.registry_journal import OPERATION_TTL, stale
from kitchen.errors import KitchenError, PreconditionFailed
from kitchen.model import Kitchen, Operation, Status, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.text import moment

BEGUN = "begun"  # the step of an operation recorded and not yet past its first step


def typed(command: str) -> str:
    """The command as a user types it: ``refresh`` is ``kitchen data refresh``."""
    return f"kitchen data {command}" if command == "refresh" else f"kitchen {command}"


Repair = Callable[[Project, Operation, Reporter], str]


@dataclass(frozen=True)
class Command:
    """A multi-step command: its ``steps`` (an enum whose values are the names the journal
    and ``KITCHEN_FAIL_AT`` use) and its ``repair``, which finishes or undoes an interrupted
    run and says what it did, in words."""

    name: str
    doing: str  # what a live run does to its kitchen: "is being merged into its parent"
    steps: type[StrEnum]
    repair: Repair


LOOK_WAIT = 10.0  # seconds to wait for the lock under which an ``alone`` run looks


@dataclass
class Ongoing:
    """A command's run as it goes: ``step`` records each step it completes."""

    registry: Registry
    command: Command
    record: Operation

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def details(self) -> dict[str, Any]:
        return self.record.details

    def step(self, done: StrEnum, **details: Any) -> None:
        """Record that step ``done`` is done, with what recovery needs to know of it."""
        if done not in self.command.steps.__members__.values():
            raise ValueError(f"{done!r} is not a step of {self.command.name}")
        self.record.details.update(details)
        self.record.step = done.value
        self.registry.advance(self.record)
        faults.checkpoint(f"{self.command.name}.{done.value}")


def interrupted(project: Project, environment: str) -> list[Operation]:
    """Operations of ``environment`` whose process is gone, each with why it is presumed so."""
    found = []
    for operation in project.registry(environment).operations():
        why = stale(operation, OPERATION_TTL)
        if why:
            found.append(replace(operation, environment=environment, why=why))
    return found


def settle(project: Project, command: Command, operation: Operation, report: Reporter) -> str:
    """Finish or undo ``operation``, an interrupted run of ``command``, and close it; what
    was done, in words."""
    done = command.repair(project, operation, report)
    project.registry(operation.environment).end(operation.id)
    return done


def resume(
    project: Project, environment: str, command: Command, kitchen: str, report: Reporter
) -> bool:
    """Before ``command`` runs on ``kitchen``: settle an earlier run of it that crashed.
    True when there was one."""
    settled = False
    for operation in interrupted(project, environment):
        if operation.command == command.name and operation.kitchen == kitchen:
            said(operation, settle(project, command, operation, report), report)
            settled = True
    return settled


def said(operation: Operation, done: str, report: Reporter) -> None:
    """Tell that an interrupted run was settled, and how."""
    report.warn(
        f"An earlier `{typed(operation.command)}` of {operation.kitchen} stopped "
        f"after step {operation.step!r}: {done}"
    )


@contextlib.contextmanager
def operation(
    project: Project,
    environment: str,
    command: Command,
    kitchen: str,
    *,
    alone: bool = False,
    **details: Any,
) -> Iterator[Ongoing]:
    """Record ``command`` on ``kitchen`` as it runs. ``alone``: refuse (exit 3) while another
    run of it on the same kitchen is alive."""
    registry = project.registry(environment)
    registry.ensure()
    record = Operation(
        id=uuid.uuid4().hex[:12],
        command=command.name,
        kitchen=kitchen,
        actor=project.user,
        host=socket.gethostname(),
        pid=os.getpid(),
        since=utcnow(),
        step=BEGUN,
        details=dict(details),
        doing=command.doing,
        environment=environment,
    )
    if alone:
        # looking and recording at once, under a lock held for just that: of two runs
        # started together, the second to get the lock sees the first
        doing = f"`{typed(command.name)}` of {kitchen}"
        with registry.locked(f"{kitchen}:{command.name}", project.user, LOOK_WAIT, doing):
            _refuse_if_running(registry, command.name, kitchen)
            registry.begin(record)
    else:
        registry.begin(record)
    try:
        yield Ongoing(registry, command, record)
    finally:  # a crash never gets here: that is what leaves the operation open
        with contextlib.suppress(KitchenError):
            registry.end(record.id)


def _alive(registry: Registry, kitchen: str, command: str | None = None) -> Operation | None:
    """A run on ``kitchen`` (of ``command``, or of any command) whose process is alive."""
    for other in registry.operations():
        if (
            other.kitchen == kitchen
            and command in (None, other.command)
            and not stale(other, OPERATION_TTL)
        ):
            return other
    return None


def _refuse_if_running(registry: Registry, command: str, kitchen: str) -> None:
    other = _alive(registry, kitchen, command)
    if other:
        raise PreconditionFailed(
            f"Another `{typed(command)}` of {kitchen} is running: "
            f"{other.actor}'s, on {other.host} since {moment(other.since)}.",
            hint="Wait for it to finish; run this again only if you still need to.",
        )


def refuse_busy(project: Project, kitchen: Kitchen) -> None:
    """Refuse (exit 3) while a run of any command on ``kitchen`` is alive."""
    other = _alive(project.registry(kitchen.environment), kitchen.name)
    if other:
        doing = other.doing or f"is busy with `{typed(other.command)}`"
        raise PreconditionFailed(
            f"Kitchen {kitchen.name!r} {doing} right now, by "
            f"{other.actor} on {other.host} since {moment(other.since)}.",
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
