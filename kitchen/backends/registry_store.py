"""Where a registry's tables live and how its rows are read and written: made and brought
forward (numbered migrations) by the first command that writes, rows inserted, deleted,
selected newest first a page at a time, counted. ``Registry`` (registry.py) is the records
above it."""

from __future__ import annotations

from typing import Any

from kitchen.backends import registry_layout as layout
from kitchen.backends.registry_layout import (
    COLUMNS,
    KITCHENS,
    TABLES,
)
from kitchen.backends.warehouse.base import TableSpec, Warehouse
from kitchen.backends.warehouse.sql import Identifier, Placeholder, Query, join, sql
from kitchen.errors import NotAllowed
from kitchen.names import REGISTRY_SCHEMA


class RegistryStore:
    """A registry's tables in its store, and the rows of them."""

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

    def _insert_all(self, spec: TableSpec, values: list[dict[str, Any]]) -> None:
        names = [column.name for column in spec.columns]
        rows = [[value.get(name) for name in names] for value in values]
        self.warehouse.insert_rows(REGISTRY_SCHEMA, spec.name, names, rows)

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

    def _update(self, name: str, **values: object) -> None:
        assignments = join(", ", [sql("{} = {}", Identifier(key), Placeholder()) for key in values])
        self.warehouse.execute(
            sql("UPDATE {} SET {} WHERE name = {}", self._table, assignments, Placeholder()),
            [*values.values(), name],
        )
