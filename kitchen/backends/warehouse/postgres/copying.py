"""Rows from one PostgreSQL to another: within a database by ``INSERT ... SELECT`` (masking and
sample predicates in the ``SELECT``), across databases by a binary ``COPY`` relayed block by
block, never decoded; with the planner settings a sampled or parallel copy needs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Self

import psycopg
from psycopg import sql as pgsql

from kitchen.backends.warehouse.postgres.connection import compose, log
from kitchen.backends.warehouse.postgres.swap import PostgresSwap
from kitchen.backends.warehouse.rowsql import select_from
from kitchen.backends.warehouse.sql import (
    Identifier,
    Literal,
    Placeholder,
    Query,
    join,
    resolve_sources,
    sql,
)
from kitchen.errors import WarehouseError, WarehouseUnreachable

PARALLEL_COPY: tuple[str, ...] = (
    "parallel_setup_cost",
    "parallel_tuple_cost",
    "min_parallel_table_scan_size",
)


# A table's columns a copy writes: name, type (as the search path's schema writes it), whether
# the type is the schema's own, whether an identity refuses values without OVERRIDING, and
# whether its binary form carries type oids (an array or record not built in).
_INSERTABLE = (
    "SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
    " t.typnamespace IN (SELECT oid FROM pg_namespace WHERE nspname = ANY(current_schemas(false))),"
    " a.attidentity = 'a',"
    " t.typnamespace <> 'pg_catalog'::regnamespace AND (t.typtype = 'c' OR t.typcategory = 'A')"
    " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
    " JOIN pg_class c ON c.oid = a.attrelid"
    " WHERE c.relname = {} AND c.relnamespace = to_regnamespace({})"
    " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum"
)


class PostgresCopying(PostgresSwap):
    """``PostgresWarehouse``'s copies of rows."""

    def _fill(
        self, source: Self, query: Query, source_schema: str, schema: str, table: str
    ) -> None:
        """Rows of ``query`` into the table the structure built: each column cast to its
        type there (a type of the schema's own through text: the kitchen's copy of it is
        another type, which names the source's namesake where the query runs in the source),
        generated columns left to compute themselves from the masked ones."""
        with self._search_path(schema):
            columns = self.execute(sql(_INSERTABLE, Placeholder(), Placeholder()), [table, schema])
        target: Query | Identifier = self.table(schema, table)
        if columns:  # a table may have none: its rows are all alike, and counted
            target = sql("{} ({})", target, join(", ", [Identifier(n) for n, *_ in columns]))
        casts = join(
            ", ",
            [
                sql(
                    f"CAST(CAST({{}} AS text) AS {kind})" if local else f"CAST({{}} AS {kind})",
                    Identifier("kitchen_source", name),
                )
                for name, kind, local, _, _ in columns
            ],
        )
        rows = sql("SELECT {} FROM ({}) AS kitchen_source", casts, query)
        if source.address == self.address:
            always = any(always for _, _, _, always, _ in columns)
            overriding = " OVERRIDING SYSTEM VALUE" if always else ""
            with self._as_of(source._snapshot), self._search_path(schema):
                self.execute(sql(f"INSERT INTO {{}}{overriding} {{}}", target, rows))
            return
        textual = any(oids for *_, oids in columns)  # binary arrays, records name type oids
        try:
            with (
                self.transaction(),
                source._as_of(source._snapshot),
                source._search_path(source_schema),
            ):
                source._relay(rows, self, target, textual=textual)
        except psycopg.Error as exc:
            raise WarehouseError(
                f"Copying table {table} from {source.location} failed: {self._reason(exc)}"
            ) from None

    def _copy_query(
        self,
        source_schema: str,
        table: str,
        select: Query | None,
        where: Sequence[Query],
        derived: Query | None,
    ) -> Query:
        return resolve_sources(
            select_from(select, self.table(source_schema, table), where, derived, postgres=True),
            lambda name: Identifier(source_schema, name),
        )

    @contextmanager
    def _parallel(self) -> Iterator[None]:
        """Let the server spread a bare copy's masking over its cores (a copy into tables
        built as the parent's is an INSERT, which PostgreSQL never runs in parallel).

        Masking is CPU-bound (an md5 per masked value) and the planner's default costs keep
        such a scan on one core.
        """
        with self._planned(dict.fromkeys(PARALLEL_COPY, "0")):
            yield

    @contextmanager
    def _planned(self, settings: Mapping[str, str]) -> Iterator[None]:
        """The session's planner ``settings`` for what runs inside, reset after. Hints only:
        servers without them (Redshift) run as they are."""
        applied = []
        for setting, value in settings.items():
            try:
                self.execute(sql(f"SET {{}} = {value}", Identifier(setting)))
            except WarehouseUnreachable:
                raise
            except WarehouseError:
                log.debug("%s: the server has no setting %s", self.environment, setting)
                continue
            applied.append(setting)
        try:
            yield
        finally:
            for setting in applied:
                self.execute(sql("RESET {}", Identifier(setting)))

    def _relay(
        self,
        query: Query,
        target: Self,
        table: Identifier | Query,
        *,
        textual: bool = False,
    ) -> None:
        """Rows of ``query`` here into ``table`` there, as COPY blocks (binary unless
        ``textual``), never decoded here."""
        form = pgsql.SQL("TEXT" if textual else "BINARY")
        outgoing = pgsql.SQL("COPY ({}) TO STDOUT (FORMAT {})").format(
            compose(query, escape_percent=False), form
        )
        incoming = pgsql.SQL("COPY {} FROM STDIN (FORMAT {})").format(
            compose(sql("{}", table), escape_percent=False), form
        )
        with (
            self.connection.cursor().copy(outgoing) as reader,
            target.connection.cursor().copy(incoming) as writer,
        ):
            for block in reader:
                writer.write(block)

    def _stream_from(self, source: Self, query: Query, schema: str, table: str) -> None:
        """Another server or database: binary COPY relayed block by block, never decoded here.

        ``query`` runs in the source, so masking happens before any value leaves it. A type
        this database lacks (it lives in the source's schema, or was never created here)
        arrives as its base type (``result_types``): a domain as the built-in type it
        constrains, any other as text; the source casts the values, so the binary formats
        agree.
        """
        columns = []
        for name, kind, base, builtin in source.result_types(query):
            here = builtin or self.execute(sql("SELECT to_regtype({})", Literal(kind)))[0][0]
            columns.append((Identifier(name), kind if here else base, not here))
        definitions = join(", ", [sql(f"{{}} {base}", name) for name, base, _ in columns])
        casts = [
            sql(f"CAST({{}} AS {base})" if cast else "{}", name) for name, base, cast in columns
        ]
        if any(cast for *_, cast in columns):
            query = sql("SELECT {} FROM ({}) AS kitchen_source", join(", ", casts), query)
        target = self.table(schema, table)
        try:
            with self.transaction(), source._as_of(source._snapshot):
                self.execute(sql("CREATE TABLE {} ({})", target, definitions))
                source._relay(query, self, target)
        except psycopg.Error as exc:
            raise WarehouseError(
                f"Copying table {table} from {source.location} failed: {self._reason(exc)}"
            ) from None
