"""What a PostgreSQL warehouse holds, read from its catalogue (tables, keys, column and result
types, previews, views onto other schemas), and a schema's structure read and built again."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from psycopg import sql as pgsql
from psycopg.types.composite import CompositeInfo, register_composite

from kitchen.backends.warehouse.base import (
    LINK_MARK,
    Reference,
    Structure,
)
from kitchen.backends.warehouse.postgres import structure as pg_structure
from kitchen.backends.warehouse.postgres.connection import PostgresConnection, compose
from kitchen.backends.warehouse.sql import (
    Identifier,
    Placeholder,
    Query,
    sql,
)

PARTITIONS_SINCE = 100000  # declarative partitioning: PostgreSQL 10


INVOKER_VIEWS_SINCE = 150000  # views that read with the reader's rights (security_invoker)


def _partition_root(column: str) -> Query:
    """The table that pg_constraint row ``k``'s ``column`` names, or the partitioned table
    at the top of its tree (PostgreSQL 12 and later)."""
    key = Identifier("k", column)
    return sql("coalesce(pg_partition_root({}), {})", key, key)


def _names(numbers: str, relation: str) -> Query:
    """The names, in order, of the columns a pg_constraint row ``k`` lists by number in
    ``k.<numbers>``, of the table ``k.<relation>``."""
    return sql(
        "ARRAY(SELECT a.attname FROM unnest({}) WITH ORDINALITY u(n, i)"
        " JOIN pg_attribute a ON a.attrelid = {} AND a.attnum = u.n ORDER BY u.i)",
        Identifier("k", numbers),
        Identifier("k", relation),
    )


def _fields_of(names: Sequence[str]) -> Callable[..., dict[str, Any]]:
    """A composite value's fields by name."""
    return lambda *values: dict(zip(names, values, strict=True))


class PostgresCatalog(PostgresConnection):
    """``PostgresWarehouse``'s reads of its catalogue, and the structure it rebuilds."""

    def read_structure(
        self, schema: str, tables: Sequence[str], masked: Mapping[str, Collection[str]]
    ) -> Structure | None:
        """The structure of ``tables`` as ``pg_structure`` reads it; None on servers older
        than PostgreSQL 12 (and Redshift), whose kitchens get bare tables."""
        if self.connection.info.server_version < pg_structure.STRUCTURE_SINCE:
            return None
        with self._search_path(schema):
            return pg_structure.read(pg_structure.Catalogue(self.execute, schema), tables, masked)

    def _marked_views(self, schema: str | None) -> list[tuple[str, str, str]]:
        rows = self.execute(
            sql(
                "SELECT n.nspname, c.relname, d.description FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_description d ON d.objoid = c.oid"
                " AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0"
                " WHERE c.relkind = 'v' AND starts_with(d.description, {})"
                " AND (n.nspname = {} OR {} IS NULL) ORDER BY 1, 2",
                Placeholder(),
                Placeholder(),
                sql("{}::text", Placeholder()),
            ),
            [LINK_MARK, schema, schema],
        )
        return [(str(a), str(b), str(c)) for a, b, c in rows]

    def _link_view(self, origin: Identifier, view: Identifier) -> Query:
        """A view that reads with its reader's rights where the server has them (15+): a
        kitchen's login reads the parent's table only where it may. ``WITH`` makes it one
        PostgreSQL does not write through (views with WITH are not automatically
        updatable), and the planner inlines it: the table's indexes still serve."""
        invoker = self.connection.info.server_version >= INVOKER_VIEWS_SINCE
        return sql(
            "CREATE VIEW {} {} AS WITH origin AS (SELECT * FROM {}) SELECT * FROM origin",
            view,
            sql("WITH (security_invoker = true)" if invoker else ""),
            origin,
        )

    def list_tables(self, schema: str) -> list[str]:
        """A partitioned table is one table: a copy of it holds its partitions' rows, which
        copied one by one as well would be there twice (and masked only by their own rules)."""
        tables = super().list_tables(schema)
        if self.connection.info.server_version < PARTITIONS_SINCE:
            return tables
        rows = self.execute(
            sql(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON p.oid = i.inhparent"
                " WHERE n.nspname = {} AND c.relispartition AND p.relnamespace = n.oid",
                Placeholder(),
            ),
            [schema],
        )
        partitions = {row[0] for row in rows}
        return [table for table in tables if table not in partitions]

    def foreign_keys(self, schema: str) -> list[Reference]:
        """Between the tables ``list_tables`` gives: a key declared on a partition (as
        pagila's payments have them) is a key of the partitioned table it belongs to."""
        listed = set(self.list_tables(schema))
        rooted = self.connection.info.server_version >= pg_structure.STRUCTURE_SINCE

        def root(column: str) -> Query | Identifier:
            return _partition_root(column) if rooted else Identifier("k", column)

        rows = self.execute(
            sql(
                "SELECT DISTINCT c.relname, p.relname, {}, {},"
                " (SELECT bool_and(NOT a.attnotnull) FROM unnest(k.conkey) u(n)"
                "  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n)"
                " FROM pg_constraint k JOIN pg_class c ON c.oid = {}"
                " JOIN pg_class p ON p.oid = {}"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE k.contype = 'f' AND n.nspname = {} AND p.relnamespace = n.oid"
                " ORDER BY 1, 2",
                _names("conkey", "conrelid"),
                _names("confkey", "confrelid"),
                root("conrelid"),
                root("confrelid"),
                Placeholder(),
            ),
            [schema],
        )
        return [
            Reference(table, tuple(columns), parent, tuple(parents), bool(nullable))
            for table, parent, columns, parents, nullable in rows
            if table in listed and parent in listed
        ]

    def primary_keys(self, schema: str) -> dict[str, tuple[str, ...]]:
        rows = self.execute(
            sql(
                "SELECT c.relname, {} FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE k.contype = 'p' AND n.nspname = {}",
                _names("conkey", "conrelid"),
                Placeholder(),
            ),
            [schema],
        )
        return {table: tuple(columns) for table, columns in rows}

    def result_types(self, query: Query) -> list[tuple[str, str, str, bool]]:
        """The names, full types, base types and whether each type is built in (every
        database has it) of the columns ``query`` returns, without running it. A base type
        is what a type another database may lack becomes there: a domain over a built-in
        type that type, any other type (enum, composite, range, an extension's) text,
        arrays alike."""
        view = pgsql.Identifier(f"kitchen_probe_{id(query)}")
        with self.connection.transaction(force_rollback=True):
            self.connection.execute(
                pgsql.SQL("CREATE TEMPORARY VIEW {} AS {}").format(
                    view, compose(query, escape_percent=False)
                )
            )
            rows = self.connection.execute(
                "SELECT a.attname, format_type(a.atttypid, a.atttypmod), CASE"
                " WHEN b.typnamespace = 'pg_catalog'::regnamespace"
                " THEN format_type(t.typbasetype, t.typtypmod)"
                " WHEN eb.typnamespace = 'pg_catalog'::regnamespace"
                " THEN format_type(e.typbasetype, e.typtypmod) || '[]'"
                " WHEN e.oid IS NOT NULL THEN 'text[]' ELSE 'text' END,"
                " t.typnamespace = 'pg_catalog'::regnamespace"
                " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                " LEFT JOIN pg_type b ON b.oid = t.typbasetype"
                " LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'"
                " LEFT JOIN pg_type eb ON eb.oid = e.typbasetype"
                " WHERE a.attrelid = %s::regclass AND a.attnum > 0 ORDER BY a.attnum",
                [view.as_string(self.connection)],
            ).fetchall()
        return [
            (str(name), str(kind), str(base), bool(builtin)) for name, kind, base, builtin in rows
        ]

    def preview(
        self, schema: str, table: str, limit: int, ordered: bool = True
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Values of a composite type (or arrays of them) come as dicts of their fields, as
        DuckDB's structs do, so a PII scan looks inside them."""
        rows = self.execute(
            sql(
                "SELECT DISTINCT format_type(k.oid, NULL) FROM pg_attribute a"
                " JOIN pg_class c ON c.oid = a.attrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_type t ON t.oid = a.atttypid"
                " JOIN pg_type k ON k.oid = CASE WHEN t.typcategory = 'A' THEN t.typelem"
                " ELSE t.oid END"
                " WHERE n.nspname = {} AND c.relname = {} AND a.attnum > 0"
                " AND NOT a.attisdropped AND k.typtype = 'c'",
                Placeholder(),
                Placeholder(),
            ),
            [schema, table],
        )
        for (name,) in rows:
            info = CompositeInfo.fetch(self.connection, name)
            if info is not None:
                register_composite(info, self.connection, _fields_of(info.field_names))
        return super().preview(schema, table, limit, ordered)

    def column_types(self, schema: str, table: str, *, base: bool = False) -> list[tuple[str, str]]:
        """Each column's name and its full type, as PostgreSQL itself would write it. With
        ``base``, a domain as the type it constrains, one level down (a domain over a domain
        stays a domain, which masking then refuses by name)."""
        rows = self.execute(
            sql(
                "SELECT a.attname, CASE WHEN {} AND t.typtype = 'd'"
                " THEN format_type(t.typbasetype, t.typtypmod)"
                " ELSE format_type(a.atttypid, a.atttypmod) END FROM pg_attribute a"
                " JOIN pg_type t ON t.oid = a.atttypid"
                " JOIN pg_class c ON c.oid = a.attrelid"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = {} AND c.relname = {} AND a.attnum > 0 AND NOT a.attisdropped"
                " ORDER BY a.attnum",
                Placeholder(),
                Placeholder(),
                Placeholder(),
            ),
            [base, schema, table],
        )
        return [(str(name), str(kind)) for name, kind in rows]
