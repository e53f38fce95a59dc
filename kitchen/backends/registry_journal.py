"""The registry's records of work in progress: merge locks (and stale ones taken over), the
operations multi-step commands journal (kitchen/journal.py), the schemas, branches and
logins kitchen owns, and schedule slots, each claimed once."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from kitchen.backends.registry_layout import (
    LOCKS,
    OPERATIONS,
    OWNED,
    SCHEDULES,
    SLOTS,
)
from kitchen.backends.registry_store import RegistryStore
from kitchen.backends.warehouse.sql import Placeholder, sql
from kitchen.errors import PreconditionFailed, WarehouseError
from kitchen.model import Lock, Operation, Owned, Switch, utcnow
from kitchen.names import REGISTRY_SCHEMA
from kitchen.text import moment

LOCK_TTL = timedelta(minutes=10)  # no merge holds its lock this long: the holder is gone


LOCK_POLL = 0.5


OPERATION_TTL = timedelta(hours=6)  # an operation on another host is presumed dead after


def stale(held: Lock | Operation, ttl: timedelta = LOCK_TTL) -> str | None:
    """Why the process behind a lock or an operation is gone, if it is: it died (told on its
    own host), or it is older than ``ttl`` (anywhere, and against a reused process id)."""
    if held.host == socket.gethostname() and held.pid:
        try:
            os.kill(int(held.pid), 0)
        except ProcessLookupError:
            return f"its process {held.pid} on {held.host} is gone"
        except PermissionError:
            pass  # alive, another user's
    age = datetime.now(UTC) - datetime.fromisoformat(held.since)
    if age > ttl:
        return f"it started more than {_duration(ttl)} ago on {held.host or 'a host'}"
    return None


DOING = "doing"  # kept with an operation's details: what it does to its kitchen


def _journaled(operation: Operation) -> str:
    """An operation's details as its row keeps them, with what it is doing."""
    return json.dumps({**operation.details, DOING: operation.doing})


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} hours" if minutes >= 120 else f"{minutes} minutes"


class RegistryJournal(RegistryStore):
    """Locks, operations, ownership and schedule slots in a registry."""

    def lock(self, target: str, holder: str, wait: float = 0, activity: str = "") -> None:
        """Take the lock on ``target`` (one merge into a kitchen at a time), waiting up to
        ``wait`` seconds for its holder; a stale lock (see ``stale``) is taken over.
        ``activity`` names what the lock guards, for the refusal (a merge into ``target``)."""
        deadline = time.monotonic() + wait
        while True:
            mine = {"target": target, "holder": holder, "since": utcnow()}
            try:
                self._insert(LOCKS, {**mine, "host": socket.gethostname(), "pid": os.getpid()})
                return
            except WarehouseError:
                held = next((lock for lock in self.locks() if lock.target == target), None)
            if held is not None and stale(held):
                self.release(held)
                continue
            if time.monotonic() >= deadline:
                who = f" by {held.holder} since {moment(held.since)}" if held else ""
                raise PreconditionFailed(
                    f"Another {activity or f'merge into {target}'} is in progress{who}.",
                    hint=f"Wait for it to finish, then {'try' if activity else 'merge'} again.",
                )
            time.sleep(LOCK_POLL)

    @contextlib.contextmanager
    def locked(
        self, target: str, holder: str, wait: float = 0, activity: str = ""
    ) -> Iterator[None]:
        self.lock(target, holder, wait, activity)
        try:
            yield
        finally:
            self.unlock(target)

    def locks(self) -> list[Lock]:
        """Every lock held, oldest first."""
        if not self.exists() or not self._has(LOCKS.name):
            return []
        return [Lock(**row) for row in self._select(LOCKS, "since", None)[::-1]]

    def unlock(self, target: str) -> None:
        self._delete(LOCKS, {"target": target})

    def release(self, held: Lock) -> None:
        """Remove exactly the lock ``held`` (not one taken since by someone else)."""
        self._delete(LOCKS, {"target": held.target, "holder": held.holder, "since": held.since})

    def begin(self, operation: Operation) -> None:
        row = {column.name: getattr(operation, column.name) for column in OPERATIONS.columns}
        self._insert(OPERATIONS, {**row, "details": _journaled(operation)})

    def advance(self, operation: Operation) -> None:
        """Record the step ``operation`` completed last, and its details as they are now."""
        table = self.warehouse.table(REGISTRY_SCHEMA, OPERATIONS.name)
        self.warehouse.execute(
            sql("UPDATE {} SET step = {}, details = {} WHERE id = {}", table, *[Placeholder()] * 3),
            [operation.step, _journaled(operation), operation.id],
        )

    def end(self, operation: str) -> None:
        self._delete(OPERATIONS, {"id": operation})

    def operations(self) -> list[Operation]:
        """Operations begun and not ended, oldest first."""
        if not self.exists() or not self._has(OPERATIONS.name):
            return []
        found = []
        for row in self._select(OPERATIONS, "since", None)[::-1]:
            details = json.loads(row.pop("details") or "{}")
            found.append(Operation(**row, doing=details.pop(DOING, None), details=details))
        return found

    def own(self, kind: str, name: str, kitchen: str) -> None:
        """Record, before making it, that kitchen makes ``name`` for ``kitchen``."""
        self._insert(OWNED, {"kind": kind, "name": name, "kitchen": kitchen})

    def disown(self, kind: str, name: str) -> None:
        if self.exists() and self._has(OWNED.name):
            self._delete(OWNED, {"kind": kind, "name": name})

    def owned(self) -> list[Owned]:
        if not self.exists() or not self._has(OWNED.name):
            return []
        return [Owned(**row) for row in self._select(OWNED, "name", None)]

    def schedules(self, kitchen: str | None = None) -> list[Switch]:
        """Schedules switched on or off (of one kitchen, or all), last changed first."""
        if not self.exists() or not self._has(SCHEDULES.name):
            return []
        rows = self._select(SCHEDULES, "changed_at", kitchen)
        return [Switch(**{k: v for k, v in row.items() if k != "id"}) for row in rows]

    def put_schedule(self, switch: Switch) -> None:
        """Record a schedule's state in a kitchen, replacing the last."""
        self.ensure()
        with self.warehouse.transaction():
            self._delete(SCHEDULES, {"id": switch.id})
            self._insert(SCHEDULES, {"id": switch.id, **asdict(switch)})

    def take_slot(self, schedule_id: str, slot: str) -> bool:
        """Take ``slot`` of a schedule to run it: False where another run-due took it."""
        kitchen = schedule_id.split("/", 1)[0]
        taken = {"id": f"{schedule_id}@{slot}", "kitchen": kitchen, "slot": slot}
        try:
            with self.warehouse.transaction():
                self._insert(
                    SLOTS,
                    {
                        **taken,
                        "taken_at": utcnow(),
                        "host": socket.gethostname(),
                        "pid": os.getpid(),
                    },
                )
        except WarehouseError:
            return False
        return True

    def free_slot(self, schedule_id: str, slot: str) -> None:
        """Give back a slot whose run could not start, for the next run-due."""
        self._delete(SLOTS, {"id": f"{schedule_id}@{slot}"})
