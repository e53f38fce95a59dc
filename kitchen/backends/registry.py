"""The registry: the kitchens of one release environment, kept in its warehouse.

It lives in the warehouse's ``kitchen_meta`` schema, so the record of a kitchen sits next to
the kitchen's data and shares its fate (and its access rules) in each environment. Its
tables, and the migrations that bring an earlier release's forward: registry_layout.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from kitchen.backends import registry_layout as layout
from kitchen.backends.registry_layout import (
    COLUMNS,
    EVENTS,
    KITCHENS,
    LOCKS,
    OPERATIONS,
    OWNED,
    RELEASES,
    RUNS,
    SCHEDULES,
    SLOTS,
    TABLES,
)
from kitchen.backends.warehouse.base import TableSpec, Warehouse
from kitchen.backends.warehouse.sql import Identifier, Placeholder, Query, join, sql
from kitchen.errors import NotAllowed, PreconditionFailed, WarehouseError
from kitchen.model import DataState, Kitchen, Lock, Operation, Release, Run, Status, utcnow
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


def _run_row(run: Run) -> dict[str, Any]:
    """A run as the runs table keeps it: its results as JSON."""
    return {**asdict(run), "results": json.dumps(run.results)}


def _journaled(operation: Operation) -> str:
    """An operation's details as its row keeps them, with what it is doing."""
    return json.dumps({**operation.details, DOING: operation.doing})


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} hours" if minutes >= 120 else f"{minutes} minutes"


class Registry:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse
        self._exists: bool | None = None
        self._ensured = False
        self._present: list[str] | None = None  # the kitchens table's columns, once read
        self._tables: set[str] | None = None  # its tables, once read (ensure reads them again)

    @property
    def _table(self) -> Identifier:
        return self.warehouse.table(REGISTRY_SCHEMA, KITCHENS.name)

    def exists(self) -> bool:
        if self._exists is None:
            tables = self._tables = set(self.warehouse.list_tables(REGISTRY_SCHEMA))
            if KITCHENS.name not in tables and self.warehouse.unreadable(REGISTRY_SCHEMA):
                # PostgreSQL hides them: taken for missing, the kitchens would read as never
                # provisioned, and provisioning them would fail on the tables already there
                raise NotAllowed(
                    f"The {self.warehouse.environment} warehouse's login may not read "
                    f"kitchen's registry, the tables of {REGISTRY_SCHEMA}.",
                    hint="Grant it SELECT, INSERT, UPDATE and DELETE on them: kitchen keeps its "
                    "kitchens, runs and audit trail there.",
                )
            self._exists = KITCHENS.name in tables
        return self._exists

    def ensure(self) -> None:
        """Bring the registry to this release's layout before anything is written: made
        where the warehouse has none, its pending migrations applied where an earlier
        release made it (checked once per command: one number read)."""
        if self._ensured:
            return
        self.exists()  # tables this login may not read are said so, not taken for missing
        since = layout.recorded(self.warehouse) if self._has(layout.MIGRATIONS_TABLE.name) else 0
        if since < layout.LATEST:
            layout.migrate(self.warehouse, since)
            self._exists, self._tables, self._present = True, None, None
        self._ensured = True

    def _bytewise(self, column: str) -> Query:
        return layout.ordered(self.warehouse, column)

    def _kitchen_columns(self) -> Query:
        """The kitchens table's columns as this registry has them: an earlier version's
        lacks some, which ``ensure`` adds before anything is written."""
        if self._present is None:
            have = {n for n, _ in self.warehouse.column_types(REGISTRY_SCHEMA, KITCHENS.name)}
            self._present = [name for name in COLUMNS if name in have]
        return join(", ", [Identifier(name) for name in self._present])

    def _has(self, table: str) -> bool:
        if self._tables is None:
            self._tables = set(self.warehouse.list_tables(REGISTRY_SCHEMA))
        return table in self._tables

    def add_all(
        self,
        kitchens: list[Kitchen],
        runs: list[Run],
        events: list[dict[str, Any]],
    ) -> None:
        """Record many kitchens, runs and events at once, each as ``add``, ``add_run`` and
        ``record`` would (a benchmark's registry of a thousand kitchens)."""
        self.ensure()
        with self.warehouse.transaction():
            self._insert_all(
                KITCHENS, [dict(zip(COLUMNS, _to_row(k), strict=True)) for k in kitchens]
            )
            self._insert_all(RUNS, [_run_row(run) for run in runs])
            self._insert_all(
                EVENTS, [{**e, "details": json.dumps(e.get("details") or {})} for e in events]
            )

    def _insert_all(self, spec: TableSpec, values: list[dict[str, Any]]) -> None:
        names = [column.name for column in spec.columns]
        rows = [[value.get(name) for name in names] for value in values]
        self.warehouse.insert_rows(REGISTRY_SCHEMA, spec.name, names, rows)

    def add_run(self, run: Run) -> None:
        """Record a run; its ``results`` are stored as JSON."""
        self._insert(RUNS, _run_row(run))

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

    # the journal: operations in progress, and what kitchen made for each kitchen

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

    def owned(self) -> list[dict[str, Any]]:
        if not self.exists() or not self._has(OWNED.name):
            return []
        return self._select(OWNED, "name", None)

    def add_release(self, release: Release) -> None:
        self._insert(RELEASES, {**release.to_json(), "details": json.dumps(release.details)})

    def releases(self, kitchen: str | None = None) -> list[Release]:
        """Releases and rollbacks, newest first."""
        if not self.exists() or not self._has(RELEASES.name):
            return []
        found = self._select(RELEASES, "at", kitchen)
        return [Release.load(row, json.loads(row["details"] or "{}")) for row in found]

    def record(self, event: dict[str, Any]) -> None:
        """Append to the audit trail; ``details`` is stored as JSON."""
        self._insert(EVENTS, {**event, "details": json.dumps(event.get("details") or {})})

    def schedules(self, kitchen: str | None = None) -> list[dict[str, Any]]:
        """Schedules switched on or off (of one kitchen, or all), last changed first."""
        if not self.exists() or not self._has(SCHEDULES.name):
            return []
        return self._select(SCHEDULES, "changed_at", kitchen)

    def put_schedule(self, row: dict[str, Any]) -> None:
        """Record a schedule's state in a kitchen (the SCHEDULES columns), replacing the last."""
        self.ensure()
        with self.warehouse.transaction():
            self._delete(SCHEDULES, {"id": row["id"]})
            self._insert(SCHEDULES, row)

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

    def events(
        self, kitchen: str | None = None, limit: int = 0, before: str | None = None
    ) -> list[dict[str, Any]]:
        """The audit trail, newest first (of one kitchen, or all): the newest ``limit``
        events (0: all; more where the last time is shared), those ``before`` a time where
        given, read as such, not all then cut."""
        if not self.exists() or not self._has(EVENTS.name):
            return []
        found = self._select(EVENTS, "at", kitchen, limit, before=before)
        for event in found:
            event["details"] = json.loads(event["details"] or "{}")
        return found

    def _insert(self, spec: TableSpec, values: dict[str, Any]) -> None:
        self.ensure()
        self._insert_all(spec, [values])

    def _delete(self, spec: TableSpec, where: dict[str, Any]) -> None:
        condition = join(" AND ", [sql("{} = {}", Identifier(k), Placeholder()) for k in where])
        table = self.warehouse.table(REGISTRY_SCHEMA, spec.name)
        self.warehouse.execute(
            sql("DELETE FROM {} WHERE {}", table, condition), list(where.values())
        )

    def _select(
        self,
        spec: TableSpec,
        newest: str,
        kitchen: str | None,
        limit: int = 0,
        *,
        before: str | None = None,
        at: str | None = None,
    ) -> list[dict[str, Any]]:
        """Rows newest first by ``newest`` (an ISO time: ordered as bytes, as Python orders
        them), those older than ``before`` or at ``at`` where given, the first ``limit``: where
        that cuts through rows of one time, all of that time (the next page starts before it,
        so none is skipped or shown twice)."""
        names = [column.name for column in spec.columns]
        columns = join(", ", [Identifier(n) for n in names])
        table = self.warehouse.table(REGISTRY_SCHEMA, spec.name)
        where, values = self._where(kitchen, newest, before=before, at=at)
        query = sql(
            "SELECT {} FROM {}{} ORDER BY {} DESC",
            columns,
            table,
            where,
            self._bytewise(newest),
        )
        if limit:
            query = sql("{} LIMIT {}", query, Placeholder())
            values.append(limit)
        rows = self.warehouse.execute(query, values)
        found = [dict(zip(names, row, strict=True)) for row in rows]
        if limit and len(found) == limit:
            last = found[-1][newest]
            found = [row for row in found if row[newest] != last]
            found += self._select(spec, newest, kitchen, at=last)
        return found

    def count(self, table: str, kitchen: str | None = None) -> int:
        """How many rows ``table`` (events, runs) holds, of one kitchen or all."""
        spec = next(spec for spec in TABLES if spec.name == table)
        if not self.exists() or not self._has(spec.name):
            return 0
        where, values = self._where(kitchen)
        table_name = self.warehouse.table(REGISTRY_SCHEMA, spec.name)
        query = sql("SELECT count(*) FROM {}{}", table_name, where)
        return int(self.warehouse.execute(query, values)[0][0])

    def event_kitchens(self) -> set[str]:
        """Every kitchen the audit trail names (deleted ones too)."""
        if not self.exists() or not self._has(EVENTS.name):
            return set()
        table = self.warehouse.table(REGISTRY_SCHEMA, EVENTS.name)
        return {
            row[0] for row in self.warehouse.execute(sql("SELECT DISTINCT kitchen FROM {}", table))
        }

    def _where(
        self,
        kitchen: str | None,
        newest: str = "",
        *,
        before: str | None = None,
        at: str | None = None,
    ) -> tuple[Query, list[object]]:
        """`` WHERE kitchen = ? AND newest < ?`` (as far as given), and its values."""
        conditions: list[Query] = []
        values: list[object] = []
        for given, condition in (
            (kitchen, sql("kitchen = {}", Placeholder())),
            (before, sql("{} < {}", self._bytewise(newest), Placeholder())),
            (at, sql("{} = {}", Identifier(newest), Placeholder())),
        ):
            if given is not None:
                conditions.append(condition)
                values.append(given)
        if not conditions:
            return sql(""), values
        return sql(" WHERE {}", join(" AND ", conditions)), values

    def runs(
        self, kitchen: str | None = None, limit: int = 0, before: str | None = None
    ) -> list[Run]:
        """Recorded runs, newest first (of one kitchen, or all): the newest ``limit`` (0: all;
        more where the last start time is shared), those started ``before`` a time."""
        if not self.exists() or not self._has(RUNS.name):
            return []
        found = self._select(RUNS, "started_at", kitchen, limit, before=before)
        return [
            Run(
                **{
                    **row,
                    "dirty": bool(row["dirty"]),
                    "results": json.loads(row["results"] or "{}"),
                }
            )
            for row in found
        ]

    def each_run(self, kitchen: str, page: int = 100) -> Iterator[Run]:
        """A kitchen's runs, newest first, read a page at a time as they are consumed: a
        caller that stops at the run it looks for reads no further (a page never ends inside
        one start time, so the next page, before it, skips nothing)."""
        before = None
        while found := self.runs(kitchen, page, before):
            yield from found
            before = found[-1].started_at

    def lineage_runs(self, kitchen: Kitchen) -> Iterator[tuple[Kitchen, Run]]:
        """The kitchen's runs, then its parent's, up to the root of its environment (another
        environment's kitchens are not in this registry), each newest first with the kitchen
        it ran in; read as consumed, as ``each_run`` reads them."""
        here: Kitchen | None = kitchen
        seen = set()
        while here is not None and here.name not in seen:
            seen.add(here.name)
            yield from ((here, run) for run in self.each_run(here.name))
            here = self.get(here.parent) if here.parent else None

    def all(self, after: str | None = None, limit: int = 0) -> list[Kitchen]:
        """The kitchens by name (byte order, as Python sorts: pages of several registries
        merge), those named after ``after`` where given, the first ``limit`` (0: all)."""
        if not self.exists():
            return []
        query = sql("SELECT {} FROM {}", self._kitchen_columns(), self._table)
        values: list[object] = []
        if after is not None:
            query = sql(
                "{} WHERE {} > {}",
                query,
                self._bytewise("name"),
                Placeholder(),
            )
            values.append(after)
        query = sql("{} ORDER BY {}", query, self._bytewise("name"))
        if limit:
            query = sql("{} LIMIT {}", query, Placeholder())
            values.append(limit)
        rows = self.warehouse.execute(query, values)
        return [_to_kitchen(dict(zip(self._present or (), row, strict=True))) for row in rows]

    def get(self, name: str) -> Kitchen | None:
        if not self.exists():
            return None
        rows = self.warehouse.execute(
            sql(
                "SELECT {} FROM {} WHERE name = {}",
                self._kitchen_columns(),
                self._table,
                Placeholder(),
            ),
            [name],
        )
        return _to_kitchen(dict(zip(self._present or (), rows[0], strict=True))) if rows else None

    def add(self, kitchen: Kitchen) -> None:
        self._insert(KITCHENS, dict(zip(COLUMNS, _to_row(kitchen), strict=True)))

    def set_status(self, name: str, status: Status, error: str | None = None) -> None:
        self._update(name, status=status.value, error=error)

    def set_data(self, name: str, data: DataState | None) -> None:
        self._update(name, data=json.dumps(asdict(data)) if data else None)

    def set_staff(self, name: str, staff: list[str]) -> None:
        self._update(name, staff=json.dumps(staff))

    def remove(self, name: str) -> None:
        """The kitchen's record goes, and its schedules with it (its runs and trail stay)."""
        if self.exists():
            self.warehouse.execute(
                sql("DELETE FROM {} WHERE name = {}", self._table, Placeholder()), [name]
            )
            for spec in (SCHEDULES, SLOTS):
                if self._has(spec.name):
                    self._delete(spec, {"kitchen": name})

    def _update(self, name: str, **values: object) -> None:
        assignments = join(", ", [sql("{} = {}", Identifier(key), Placeholder()) for key in values])
        self.warehouse.execute(
            sql("UPDATE {} SET {} WHERE name = {}", self._table, assignments, Placeholder()),
            [*values.values(), name],
        )


def _to_row(kitchen: Kitchen) -> list[object]:
    return [
        kitchen.name,
        kitchen.parent,
        kitchen.environment,
        kitchen.branch,
        kitchen.schema,
        kitchen.status.value,
        kitchen.protected,
        kitchen.root,
        json.dumps(kitchen.staff),
        kitchen.created_by,
        kitchen.created_at,
        kitchen.expires_at,
        json.dumps(asdict(kitchen.data)) if kitchen.data else None,
        kitchen.error,
        kitchen.ticket,
        json.dumps(kitchen.notify),
    ]


def _to_kitchen(record: dict[str, Any]) -> Kitchen:
    return Kitchen(
        name=record["name"],
        parent=record["parent"],
        environment=record["environment"],
        branch=record["branch"],
        schema=record["schema_name"],
        status=Status(record["status"]),
        protected=bool(record["protected"]),
        root=bool(record["is_root"]),
        staff=json.loads(record["staff"] or "[]"),
        created_by=record["created_by"],
        created_at=record["created_at"],
        expires_at=record["expires_at"],
        data=DataState.load(json.loads(record["data"])) if record["data"] else None,
        error=record["error"],
        ticket=record.get("ticket"),  # a registry of an earlier version has none
        notify=json.loads(record.get("notify") or "[]"),
    )
