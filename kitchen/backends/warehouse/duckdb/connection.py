"""A DuckDB file as a release environment's warehouse: opening it (and saying who holds it
when another process does), running queries, the masking salt, reading its catalogue
(columns, keys, views onto other schemas), and what clients (dbt, scripts) are given."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb

from kitchen.backends.warehouse.base import LINK_MARK, Reference, Warehouse
from kitchen.backends.warehouse.dialect import Dialect
from kitchen.backends.warehouse.sql import (
    Identifier,
    Literal,
    Placeholder,
    Query,
    quote_identifier,
    sql,
)
from kitchen.backends.warehouse.sqlbase import SqlWarehouse
from kitchen.errors import BadInput, WarehouseError, WarehouseUnreachable

# The file is attached under a catalog name that no schema can have (kitchen names and schemas
# start with a letter): DuckDB confuses a catalog and a schema of the same name.
CATALOG = "0kitchen"


log = logging.getLogger(__name__)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


class DuckDBConnection(SqlWarehouse):
    """The connection and catalogue half of ``DuckDBWarehouse``."""

    dialect = Dialect("duckdb")
    sessions_side_by_side = False  # one writer: a file's connection is shared
    exclusive = True  # another process opens the file only once this one closed it

    def __init__(self, path: Path, environment: str, part: str = "warehouse") -> None:
        self.path = path
        self.environment = environment
        self.part = part  # what it is to the environment: its warehouse, or its registry
        self._connection: duckdb.DuckDBPyConnection | None = None
        self._held: Warehouse | None = None  # another environment's, attached (snapshot())
        self._lent_to: DuckDBConnection | None = None  # where this file is attached meanwhile

    @property
    def location(self) -> str:
        return f"DuckDB file {self.path}"

    def create_schema(self, schema: str) -> None:
        """Not one named as the file, which is its catalog where a tool opens it: there
        ``<schema>.<table>`` would be ambiguous."""
        if schema.lower() == self.path.stem.lower() and not self.schema_exists(schema):
            raise BadInput(
                f"A schema {schema} in {self.path.name} would have the name of the file's "
                f"catalog: `{schema}.<table>` would be ambiguous in the duckdb shell, "
                "notebooks and dbt.",
                hint="Give the kitchen another name, or the environment's DuckDB file "
                f"another path (environments.{self.environment}.{self.part}.path).",
            )
        super().create_schema(schema)

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
                raise self._unopened(exc) from exc
            self._connection = connection
        return self._connection

    def _unopened(self, exc: duckdb.IOException) -> WarehouseUnreachable:
        """DuckDB lets one process at a time write a file: name the one that holds it."""
        where = f"The {self.environment} {self.part} ({self.location})"
        holder = re.search(r"Conflicting lock is held in (\S+) \(PID (\d+)\)", str(exc))
        if holder is None:
            return WarehouseUnreachable(f"{where} cannot be opened: {_first_line(exc)}")
        program, pid = Path(holder[1]).name, holder[2]
        return WarehouseUnreachable(
            f"{where} is open in another program: {program} (PID {pid}).",
            hint="DuckDB lets one program at a time use it: close that one (a notebook, the "
            "duckdb shell), or wait for it if it is a kitchen command.",
        )

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
            reason = _first_line(exc)
            # a parser error's line is the script's; a later error's, only its statement's
            parsed = isinstance(exc, duckdb.ParserException)
            pointed = re.search(r"^LINE (\d+):", str(exc), re.MULTILINE) if parsed else None
            raise WarehouseError(
                f"The {self.environment} {self.part} refused a statement: {reason}",
                reason=reason,
                line=int(pointed.group(1)) if pointed else None,
            ) from exc

    @property
    def connected(self) -> bool:
        return self._connection is not None

    @property
    def salt_sql(self) -> Query:
        return sql("getvariable('kitchen_salt')")

    def set_salt(self, salt: str) -> None:
        self.execute(sql("SET VARIABLE kitchen_salt = {}", Placeholder()), [salt])

    def hash_int(self, hex_digest: Query) -> Query:
        return sql("CAST(('0x' || substr({}, 1, 7)) AS INTEGER)", hex_digest)

    def outside_readers(self, schema: str) -> list[str]:
        """None: DuckDB binds a view when it is read, so dropping a schema leaves the views
        of others that read it in place (they fail when read, until it is back)."""
        return []

    def unreadable(self, schema: str) -> dict[str, list[str]]:
        """None: a DuckDB file has no privileges; whoever opens it reads every table."""
        return {}

    def column_types(self, schema: str, table: str, *, base: bool = False) -> list[tuple[str, str]]:
        """DuckDB spells a type alias (CREATE TYPE x AS VARCHAR) as its type: always base."""
        rows = self.execute(
            sql(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_catalog = current_database() AND table_schema = {}"
                " AND table_name = {} ORDER BY ordinal_position",
                Placeholder(),
                Placeholder(),
            ),
            [schema, table],
        )
        return [(str(name), str(kind)) for name, kind in rows]

    def _marked_views(self, schema: str | None) -> list[tuple[str, str, str]]:
        rows = self.execute(
            sql(
                "SELECT schema_name, view_name, comment FROM duckdb_views()"
                " WHERE database_name = {} AND starts_with(comment, {})"
                " AND (schema_name = {} OR {} IS NULL) ORDER BY 1, 2",
                Literal(CATALOG),
                Placeholder(),
                Placeholder(),
                sql("{}::text", Placeholder()),
            ),
            [LINK_MARK, schema, schema],
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def client_environment(self, schema: str) -> dict[str, str]:
        # the file's catalog is its name (dev.duckdb: dev): tools use "<catalog>.<schema>"
        return {
            "KITCHEN_DUCKDB": str(self.path.resolve()),
            "KITCHEN_DUCKDB_CATALOG": self.path.stem,
        }

    def dbt_output(self) -> dict[str, object]:
        return {  # dbt-duckdb; one thread: DuckDB takes one writer
            "type": "duckdb",
            "path": "{{ env_var('KITCHEN_DUCKDB') }}",
            "schema": "{{ env_var('KITCHEN_SCHEMA') }}",
            "threads": 1,
        }

    def run_script(self, schema: str, script: str) -> list[tuple[Any, ...]]:
        self.execute(sql("USE {}", Identifier(CATALOG, schema)))
        try:
            with self.transaction():
                return self.execute(Query((script,)))
        finally:
            self.execute(sql("USE {}", Identifier(CATALOG, "main")))

    def open_to_all(self) -> tuple[str, list[str]]:
        return self.path.stem, []

    def foreign_keys(self, schema: str) -> list[Reference]:
        rows = self.execute(
            sql(
                "SELECT k.table_name, k.constraint_column_names, k.referenced_table,"
                " k.referenced_column_names, bool_and(c.is_nullable = 'YES')"
                " FROM duckdb_constraints() k JOIN information_schema.columns c"
                " ON c.table_catalog = k.database_name AND c.table_schema = k.schema_name"
                " AND c.table_name = k.table_name AND list_contains(k.constraint_column_names,"
                " c.column_name)"
                " WHERE k.constraint_type = 'FOREIGN KEY' AND k.database_name = {}"
                " AND k.schema_name = {} GROUP BY ALL ORDER BY 1, 3",
                Placeholder(),
                Placeholder(),
            ),
            [CATALOG, schema],
        )
        return [
            Reference(table, tuple(columns), parent, tuple(parents), bool(nullable))
            for table, columns, parent, parents, nullable in rows
        ]

    def primary_keys(self, schema: str) -> dict[str, tuple[str, ...]]:
        rows = self.execute(
            sql(
                "SELECT table_name, constraint_column_names FROM duckdb_constraints()"
                " WHERE constraint_type = 'PRIMARY KEY' AND database_name = {}"
                " AND schema_name = {}",
                Placeholder(),
                Placeholder(),
            ),
            [CATALOG, schema],
        )
        return {table: tuple(columns) for table, columns in rows}
