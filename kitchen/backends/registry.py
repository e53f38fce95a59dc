"""The registry of an environment: its kitchens, test runs, audit trail and releases, as
typed records (kitchen/model.py) turned into rows and back here only; locks, operations
and ownership in registry_journal.py, its tables in registry_store.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from kitchen.backends.registry_journal import RegistryJournal
from kitchen.backends.registry_layout import (
    COLUMNS,
    EVENTS,
    KITCHENS,
    RELEASES,
    RUNS,
    SCHEDULES,
    SLOTS,
)
from kitchen.backends.warehouse.sql import Placeholder, sql
from kitchen.model import DataState, Event, Kitchen, Release, Run, Status
from kitchen.names import REGISTRY_SCHEMA


def _run_row(run: Run) -> dict[str, Any]:
    """A run as the runs table keeps it: its results as JSON."""
    return {**asdict(run), "results": json.dumps(run.results)}


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


class Registry(RegistryJournal):
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

    def add_run(self, run: Run) -> None:
        """Record a run; its ``results`` are stored as JSON."""
        self._insert(RUNS, _run_row(run))

    def add_release(self, release: Release) -> None:
        self._insert(RELEASES, {**release.to_json(), "details": json.dumps(release.details)})

    def releases(self, kitchen: str | None = None) -> list[Release]:
        """Releases and rollbacks, newest first."""
        if not self.exists() or not self._has(RELEASES.name):
            return []
        found = self._select(RELEASES, "at", kitchen)
        return [Release.load(row, json.loads(row["details"] or "{}")) for row in found]

    def record(self, event: Event) -> None:
        """Append to the audit trail; ``details`` is stored as JSON."""
        self._insert(EVENTS, {**event.to_json(), "details": json.dumps(event.details)})

    def events(
        self, kitchen: str | None = None, limit: int = 0, before: str | None = None
    ) -> list[Event]:
        """The audit trail, newest first (of one kitchen, or all): the newest ``limit``
        events (0: all; more where the last time is shared), those ``before`` a time where
        given, read as such, not all then cut."""
        if not self.exists() or not self._has(EVENTS.name):
            return []
        found = self._select(EVENTS, "at", kitchen, limit, before=before)
        return [Event(**{**row, "details": json.loads(row["details"] or "{}")}) for row in found]

    def event_kitchens(self) -> set[str]:
        """Every kitchen the audit trail names (deleted ones too)."""
        if not self.exists() or not self._has(EVENTS.name):
            return set()
        table = self.warehouse.table(REGISTRY_SCHEMA, EVENTS.name)
        return {
            row[0] for row in self.warehouse.execute(sql("SELECT DISTINCT kitchen FROM {}", table))
        }

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
