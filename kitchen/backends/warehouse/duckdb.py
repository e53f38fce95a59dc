"""The embedded warehouse: one DuckDB file per release environment."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from kitchen.backends.warehouse.base import SqlWarehouse, Warehouse
from kitchen.backends.warehouse.sql import Identifier, Placeholder, Query, quote_identifier, sql
from kitchen.errors import WarehouseError, WarehouseUnreachable

# The file is attached under a catalog name that no schema can have (kitchen names and schemas
# start with a letter): DuckDB confuses a catalog and a schema of the same name.
CATALOG = "0kitchen"
SOURCE_ALIAS = "0source"
log = logging.getLogger(__name__)


class DuckDBWarehouse(SqlWarehouse):
    def __init__(self, path: Path, environment: str) -> None:
        self.path = path
        self.environment = environment
        self._connection: duckdb.DuckDBPyConnection | None = None

    @property
    def location(self) -> str:
        return f"DuckDB file {self.path}"

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = duckdb.connect()
            try:
                connection.execute(f'ATTACH ? AS "{CATALOG}"', [str(self.path)])
                connection.execute(f'USE "{CATALOG}"')
            except duckdb.IOException as exc:
                connection.close()
                raise WarehouseUnreachable(
                    f"The {self.environment} warehouse ({self.location}) cannot be opened: "
                    f"{_first_line(exc)}",
                    hint="If another kitchen command is running, wait for it to finish.",
                ) from exc
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def qualify(self, *names: str) -> Identifier:
        return Identifier(CATALOG, *names)

    def execute(self, query: Query, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        text = query.render(quote_identifier, "?")
        log.debug("%s: %s", self.environment, text)  # the statement only, never its values
        try:
            return self.connection.execute(text, list(params)).fetchall()
        except duckdb.Error as exc:
            raise WarehouseError(
                f"The {self.environment} warehouse refused a statement: {_first_line(exc)}"
            ) from exc

    def _begin(self) -> None:
        self.connection.execute("BEGIN TRANSACTION")

    def _commit(self) -> None:
        self.connection.execute("COMMIT")

    def _rollback(self) -> None:
        if self._connection is not None:
            self._connection.execute("ROLLBACK")

    def copy_table(self, source: Warehouse, source_schema: str, table: str, schema: str) -> int:
        target = self.table(schema, table)
        if source is self:
            origin = self.table(source_schema, table)
            self.execute(sql("CREATE TABLE {} AS SELECT * FROM {}", target, origin))
            return self.row_count(schema, table)
        if not isinstance(source, DuckDBWarehouse):
            raise WarehouseError(
                f"Cannot copy from {source.location} into {self.location}.",
                hint="Both environments must use the same warehouse type.",
            )
        # Another file: attach it read-only; this process must let go of it first.
        source.close()
        alias = Identifier(SOURCE_ALIAS)
        self.execute(sql("ATTACH {} AS {} (READ_ONLY)", Placeholder(), alias), [str(source.path)])
        try:
            origin = Identifier(SOURCE_ALIAS, source_schema, table)
            self.execute(sql("CREATE TABLE {} AS SELECT * FROM {}", target, origin))
        finally:
            self.execute(sql("DETACH {}", alias))
        return self.row_count(schema, table)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
