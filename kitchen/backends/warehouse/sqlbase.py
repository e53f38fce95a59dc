"""What the adapters of SQL engines share (``SqlWarehouse``: DuckDB, PostgreSQL and Spark
extend it)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from kitchen.backends.warehouse.base import (
    LINK_MARK,
    Item,
    Link,
    Probe,
    Readable,
    Reference,
    Result,
    Structure,
    TableSpec,
    Warehouse,
)
from kitchen.backends.warehouse.dialect import Dialect
from kitchen.backends.warehouse.sql import Identifier, Literal, Placeholder, Query, join, sql
from kitchen.errors import WarehouseError


def _listed(columns: list[tuple[str, str]]) -> str:
    return "(" + ", ".join(f"{name} {kind}" for name, kind in columns) + ")"


class SqlWarehouse(ABC):
    """What every SQL warehouse does the same way; adapters supply connection and naming."""

    environment: str
    dialect: Dialect
    zero_copy_clone = False
    views_hold_tables = False
    sessions_side_by_side = True
    exclusive = False
    transactional = True
    declares_keys = True
    any_names = True
    holds_registry = True
    INSERT_BATCH = 500  # rows per multi-row INSERT: far faster than executemany on DuckDB

    @property
    @abstractmethod
    def location(self) -> str: ...

    @abstractmethod
    def execute(self, query: Query, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def qualify(self, *names: str) -> Identifier:
        """The fully qualified identifier of a schema or ``schema, table`` in this adapter."""

    def table(self, schema: str, table: str) -> Identifier:
        return self.qualify(schema, table)

    def concurrently(
        self: Warehouse,
        source: Warehouse,
        work: Callable[[Warehouse, Warehouse, Item], Result],
        items: Sequence[Item],
    ) -> Generator[tuple[Item, Result], None, None]:
        for item in items:
            yield item, work(self, source, item)

    @contextmanager
    def session(self: Warehouse, login: tuple[str, str] | None = None) -> Iterator[Warehouse]:
        yield self

    @property
    @abstractmethod
    def connected(self) -> bool:
        """Whether a connection is open (so a rollback has something to roll back)."""

    @abstractmethod
    def hash_int(self, hex_digest: Query) -> Query: ...

    def fingerprint(self, text: Query, seed: int) -> Query:
        return sql("md5({} || {})", Literal(f"{seed}:"), text)  # everywhere, if not fast

    def bucket(self, fingerprint: Query, buckets: int) -> Query:
        return sql("({} % {})", self.hash_int(fingerprint), Literal(buckets))

    def bytewise(self, text: Query) -> Query:
        return text  # where text compares as bytes already (DuckDB's default)

    def read_structure(
        self, schema: str, tables: Sequence[str], masked: Mapping[str, Collection[str]]
    ) -> Structure | None:
        return None  # bare tables, until the engine reads more

    def build_before(self, structure: Structure, schema: str, home: str | None = None) -> None:
        raise TypeError(f"{type(self).__name__} reads no structure to build")

    def build_after(self, structure: Structure, schema: str) -> None:
        raise TypeError(f"{type(self).__name__} reads no structure to build")

    def _begin(self) -> None:
        self.execute(sql("BEGIN"))

    def _commit(self) -> None:
        self.execute(sql("COMMIT"))

    def _rollback(self) -> None:
        if self.connected:
            self.execute(sql("ROLLBACK"))

    _depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction; nested calls join the outer one."""
        if self._depth:
            yield
            return
        self._begin()
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._rollback()
            raise
        self._depth = 0
        self._commit()

    def schema_exists(self, schema: str) -> bool:
        return schema in self.list_schemas()

    def list_schemas(self) -> list[str]:
        rows = self.execute(
            sql(
                "SELECT schema_name FROM information_schema.schemata"
                " WHERE catalog_name = current_database() ORDER BY schema_name"
            )
        )
        return [row[0] for row in rows]

    def create_schema(self, schema: str) -> None:
        self.execute(sql("CREATE SCHEMA IF NOT EXISTS {}", self.qualify(schema)))

    def drop_schema(self, schema: str) -> None:
        self.execute(sql("DROP SCHEMA IF EXISTS {} CASCADE", self.qualify(schema)))

    def list_tables(self, schema: str) -> list[str]:
        rows = self.execute(
            sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = {}"
                " AND table_catalog = current_database() AND table_type = 'BASE TABLE'"
                " ORDER BY table_name",
                Placeholder(),
            ),
            [schema],
        )
        return [row[0] for row in rows]

    # An engine without logins kitchen could make (DuckDB, Spark): none to make or keep.

    def identity_names(self, schema: str) -> list[str]:
        return []

    def create_identity(
        self,
        schema: str,
        read: Sequence[Readable],
        *,
        ours: Collection[str] = (),
        record: Callable[[str], None] | None = None,
    ) -> tuple[str, str] | None:
        return None

    def grant_identity(self, role: str, schema: str, read: Sequence[Readable]) -> None:
        return None  # no login to grant anything to

    def drop_identity(self, role: str) -> None:
        return None  # no login was made

    def list_identities(self) -> list[str]:
        return []

    def open_to_all(self) -> tuple[str, list[str]]:
        return "", []

    def kitchen_tables(self, schema: str) -> list[str]:
        return sorted({*self.list_tables(schema), *(link.table for link in self.links(schema))})

    @abstractmethod
    def _marked_views(self, schema: str | None) -> list[tuple[str, str, str]]:
        """(schema, view, comment) of the views whose comment starts with ``LINK_MARK``."""

    def links(self, schema: str | None = None) -> list[Link]:
        found = []
        for where, view, comment in self._marked_views(schema):
            origin_schema, _, table = comment.removeprefix(LINK_MARK).partition(".")
            if table == view:
                found.append(Link(where, view, origin_schema))
        return found

    def _link_view(self, origin: Identifier, view: Identifier) -> Query:
        """The statement that makes ``view`` show ``origin``, which nobody writes through."""
        return sql("CREATE VIEW {} AS SELECT * FROM {}", view, origin)

    @abstractmethod
    def _drop_tables(self, schema: str, tables: Sequence[str]) -> None:
        """Drop those of ``tables`` there are, keys between them first."""

    def link(self, origin_schema: str, schema: str, tables: Sequence[str]) -> None:
        linked = {link.table for link in self.links(schema)}
        own = set(self.list_tables(schema))
        with self.transaction():
            self._drop_tables(schema, [table for table in tables if table in own])
            for table in tables:
                view = self.table(schema, table)
                if table in linked:
                    self.execute(sql("DROP VIEW {}", view))
                self.execute(self._link_view(self.table(origin_schema, table), view))
                self._mark(view, f"{LINK_MARK}{origin_schema}.{table}")

    def _mark(self, view: Identifier, mark: str) -> None:
        """Say on ``view`` that kitchen made it, and of what (``LINK_MARK``)."""
        self.execute(sql("COMMENT ON VIEW {} IS {}", view, Literal(mark)))

    def unlink(self, schema: str, tables: Sequence[str], *, keep: bool = False) -> None:
        linked = {link.table: link for link in self.links(schema)}
        with self.transaction():
            for table in tables:
                if table not in linked:
                    continue
                view = self.table(schema, table)
                self.execute(sql("DROP VIEW {}", view))
                if keep:
                    origin = self.table(linked[table].origin_schema, table)
                    self.execute(sql("CREATE TABLE {} AS SELECT * FROM {}", view, origin))

    def link_problem(self: Warehouse, link: Link) -> str | None:
        origin = link.origin
        if link.table not in self.list_tables(link.origin_schema):
            return f"{origin} is gone"
        try:
            self.execute(sql("SELECT * FROM {} WHERE false", self.table(link.schema, link.table)))
        except WarehouseError as exc:
            return f"it cannot be read: {exc.reason}"
        shown = self.column_types(link.schema, link.table)
        if shown != (now := self.column_types(link.origin_schema, link.table)):
            return f"{origin} changed: its columns are {_listed(now)}, the view's {_listed(shown)}"
        return None

    def create_table(self, schema: str, spec: TableSpec) -> None:
        items = [sql(f"{{}} {column.type}", Identifier(column.name)) for column in spec.columns]
        if spec.primary_key:
            items.append(sql("PRIMARY KEY ({})", Identifier(spec.primary_key)))
        for fk in spec.foreign_keys:
            target = self.table(schema, fk.table)
            items.append(
                sql(
                    "FOREIGN KEY ({}) REFERENCES {} ({})",
                    Identifier(fk.column),
                    target,
                    Identifier(fk.references),
                )
            )
        self.execute(sql("CREATE TABLE {} ({})", self.table(schema, spec.name), join(", ", items)))

    def insert_rows(
        self, schema: str, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
    ) -> None:
        names = join(", ", [Identifier(column) for column in columns])
        row = sql("({})", join(", ", [Placeholder()] * len(columns)))
        for start in range(0, len(rows), self.INSERT_BATCH):
            batch = rows[start : start + self.INSERT_BATCH]
            values = join(", ", [row] * len(batch))
            statement = sql(
                "INSERT INTO {} ({}) VALUES {}", self.table(schema, table), names, values
            )
            self.execute(statement, [value for item in batch for value in item])

    def swap_in(
        self, staging: str, schema: str, tables: Sequence[str], gone: Sequence[str] = ()
    ) -> None:
        """Drop and re-create inside one transaction: all tables change, or none."""
        with self.transaction():
            for table in gone:
                self.execute(sql("DROP TABLE IF EXISTS {}", self.table(schema, table)))
            for table in tables:
                target = self.table(schema, table)
                self.execute(sql("DROP TABLE IF EXISTS {}", target))
                origin = self.table(staging, table)
                self.execute(sql("CREATE TABLE {} AS SELECT * FROM {}", target, origin))
                self.execute(sql("DROP TABLE {}", origin))  # as a move would: recovery looks

    def _overlap_query(self, kitchen: Identifier, origin: Identifier, probe: Probe) -> Query:
        # The semi-join first: only the (normally no) matches are made distinct.
        mine = probe.value(self.dialect, "k")
        return sql(
            "SELECT count(DISTINCT {}) FROM {} AS k WHERE {} IN (SELECT {} FROM {}) AND {}",
            *(
                mine,
                kitchen,
                mine,
                probe.value(self.dialect),
                origin,
                probe.leaked(self.dialect, "k"),
            ),
        )

    def orphans(self, schema: str, key: Reference) -> int:
        child, parent = self.table(schema, key.table), self.table(schema, key.parent)
        pairs = zip(key.columns, key.parent_columns, strict=True)
        matched = join(
            " AND ",
            [sql("p.{} = c.{}", Identifier(theirs), Identifier(ours)) for ours, theirs in pairs],
        )
        present = join(" AND ", [sql("c.{} IS NOT NULL", Identifier(c)) for c in key.columns])
        query = sql(
            "SELECT count(*) FROM {} AS c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})",
            child,
            present,
            parent,
            matched,
        )
        return int(self.execute(query)[0][0])

    def row_count(self, schema: str, table: str) -> int:
        return int(self.execute(sql("SELECT count(*) FROM {}", self.table(schema, table)))[0][0])

    def present(
        self, schema: str, table: str, columns: Sequence[str], limit: int, within: int
    ) -> list[tuple[Any, ...]]:
        names = [Identifier(column) for column in columns]
        listed = join(", ", names)
        return self.execute(
            sql(
                "SELECT {} FROM (SELECT {} FROM {} LIMIT {}) AS first_rows WHERE {} LIMIT {}",
                listed,
                listed,
                self.table(schema, table),
                Placeholder(),
                join(" OR ", [sql("{} IS NOT NULL", name) for name in names]),
                Placeholder(),
            ),
            [within, limit],
        )

    def preview(
        self, schema: str, table: str, limit: int, ordered: bool = True
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        columns = self.execute(
            sql(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = {}"
                " AND table_name = {} AND table_catalog = current_database()"
                " ORDER BY ordinal_position",
                Placeholder(),
                Placeholder(),
            ),
            [schema, table],
        )
        statement = (
            "SELECT * FROM {} ORDER BY 1 LIMIT {}" if ordered else "SELECT * FROM {} LIMIT {}"
        )
        rows = self.execute(sql(statement, self.table(schema, table), Placeholder()), [limit])
        return [column[0] for column in columns], rows
