"""The warehouse protocol and the SQL every adapter shares."""

from __future__ import annotations

from collections.abc import Callable, Collection, Generator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from kitchen.backends.warehouse.dialect import Dialect
from kitchen.backends.warehouse.sql import Identifier, Query, join, sql

SELECT_ALL = sql("*")
Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a portable SQL type: INTEGER, TEXT, DATE, TIMESTAMP, DECIMAL(p,s), BOOLEAN


@dataclass(frozen=True)
class ForeignKey:
    column: str
    table: str
    references: str


@dataclass(frozen=True)
class Reference:
    """A foreign key: ``table(columns)`` references ``parent(parent_columns)``."""

    table: str
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]
    nullable: bool  # every referencing column may be NULL: a cycle can be broken here


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    primary_key: str | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()


class Structure(Protocol):
    """A schema's structure as one engine reads it, built again by the same engine."""

    left_out: list[str]  # what a copy leaves out (a key to a table not copied), said
    loosened: list[str]  # columns given other types than the source's ("t.c (a -> b)"), said

    @property
    def arrival(self) -> list[str]:
        """The copied tables in the order their rows must arrive."""
        ...


LINK_MARK = "kitchen: view of "  # the comment on a view kitchen made onto a parent's table


@dataclass(frozen=True)
class Readable:
    """What a kitchen's login may read outside its own schema: ``schema`` whole, or only
    its ``tables`` (the origins of the kitchen's views)."""

    schema: str
    tables: tuple[str, ...] | None = None  # None: every table, view and sequence


@dataclass(frozen=True)
class Link:
    """A view kitchen made in ``schema`` onto ``origin_schema.table`` (``data: views``)."""

    schema: str
    table: str
    origin_schema: str

    @property
    def origin(self) -> str:
        return f"{self.origin_schema}.{self.table}"


class Warehouse(Protocol):
    """One release environment's warehouse. Data moves inside it, never through the client."""

    environment: str
    dialect: Dialect  # the SQL the data layer writes, as this engine spells it
    zero_copy_clone: bool  # a table can be cloned without copying its data (data: clone)
    views_hold_tables: bool  # a view keeps the tables it reads from being dropped
    sessions_side_by_side: bool  # several sessions may work at once (nodes run in parallel)
    transactional: bool  # statements in a transaction stand or fall together
    declares_keys: bool  # primary and foreign keys are declared (and read) in its catalogue
    any_names: bool  # a quoted name may hold any character (Spark's catalog: letters, digits, _)
    holds_registry: bool  # enforced keys and transactions: kitchen's registry may live there
    exclusive: bool  # one process at a time: closed while a tool (dbt, a script) uses it

    @property
    def location(self) -> str:
        """Where the warehouse is, for messages; never contains a secret."""
        ...

    def close(self) -> None: ...
    def table(self, schema: str, table: str) -> Identifier: ...
    def execute(self, query: Query, params: Sequence[object] = ()) -> list[tuple[Any, ...]]: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def schema_exists(self, schema: str) -> bool: ...
    def create_schema(self, schema: str) -> None: ...
    def drop_schema(self, schema: str) -> None: ...
    def list_schemas(self) -> list[str]: ...
    def list_tables(self, schema: str) -> list[str]: ...
    def create_table(self, schema: str, spec: TableSpec) -> None: ...
    def insert_rows(
        self, schema: str, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
    ) -> None: ...
    def copy_table(
        self,
        source: Warehouse,
        source_schema: str,
        table: str,
        schema: str,
        *,
        select: Query | None = None,
        where: Sequence[Query] = (),
        derived: Query | None = None,
        into_existing: bool = False,
    ) -> int:
        """Copy ``source_schema.table`` of ``source`` into ``schema`` (``into_existing``:
        into the table ``build_before`` made there); ``select`` is the list
        of output expressions (default ``*``), ``where`` the predicates of which a copied
        row meets one (none: every row) and ``derived`` adds per-row values the output reads
        (see ``select_from``), all evaluated where the source rows are read. ``SourceTable``
        parts name tables of the source."""
        ...

    def read_structure(
        self, schema: str, tables: Sequence[str], masked: Mapping[str, Collection[str]]
    ) -> Structure | None:
        """What it takes to build ``tables`` of ``schema`` again elsewhere with their types,
        keys, indexes, partitions, sequences, and the schema's views, functions and triggers
        on them; None where this engine copies bare tables. ``masked`` columns (by table)
        hold other values than the source's, which its types' checks need not fit."""
        ...

    def build_before(self, structure: Structure, schema: str, home: str | None = None) -> None:
        """What must stand in ``schema`` before the rows arrive: types, sequences, tables.
        ``home``: the schema a refresh builds ``schema`` to replace objects of."""
        ...

    def build_after(self, structure: Structure, schema: str) -> None:
        """What is built over the rows: keys, indexes, foreign keys, views, triggers."""
        ...

    def snapshot(
        self, source: Warehouse, source_schema: str, tables: Sequence[str]
    ) -> AbstractContextManager[None]:
        """Until exit, copies from ``source`` into this warehouse read ``tables`` of
        ``source_schema`` as they were at one moment, whatever others write meanwhile, and
        no one drops or alters them: a kitchen's tables are one consistent picture of its
        parent's, so no copied row points at a row that arrived after its table was read."""
        ...

    def concurrently(
        self,
        source: Warehouse,
        work: Callable[[Warehouse, Warehouse, Item], Result],
        items: Sequence[Item],
    ) -> Generator[tuple[Item, Result], None, None]:
        """``work(destination, source, item)`` for every item, yielded as each finishes.

        An adapter whose server runs statements side by side (PostgreSQL) gives each
        concurrent ``work`` its own connections, with the salt set; others run in turn.
        """
        ...

    def session(self, login: tuple[str, str] | None = None) -> AbstractContextManager[Warehouse]:
        """Another session on this warehouse, for work beside this one's (a pipeline's SQL
        nodes run in parallel), closed after; where statements run in turn (DuckDB), this.
        ``login``: (user, password) to connect as, a kitchen's own login, where there are
        logins (PostgreSQL)."""
        ...

    def outside_readers(self, schema: str) -> list[str]:
        """Views of other schemas (as schema.view) that dropping ``schema`` would take."""
        ...

    def unreadable(self, schema: str) -> dict[str, list[str]]:
        """The tables of ``schema`` this login may not read: each with the columns it may not
        read, or ``[]`` when it may not read the table at all (``list_tables`` omits those)."""
        ...

    def column_types(self, schema: str, table: str, *, base: bool = False) -> list[tuple[str, str]]:
        """Each column's name and full SQL type, in table order; with ``base``, a domain's
        column as the type the domain constrains, which is what masking works on."""
        ...

    def kitchen_tables(self, schema: str) -> list[str]:
        """The tables a kitchen has: its own, and its views onto its parent's (views mode)."""
        ...

    def links(self, schema: str | None = None) -> list[Link]:
        """The views kitchen made in ``schema`` (None: in every schema) onto other tables."""
        ...

    def link(self, origin_schema: str, schema: str, tables: Sequence[str]) -> None:
        """In one transaction: make each of ``tables`` in ``schema`` a view onto
        ``origin_schema``'s table of that name, replacing the kitchen's own table or view of
        it. Nobody writes through the views."""
        ...

    def unlink(self, schema: str, tables: Sequence[str], *, keep: bool = False) -> None:
        """Drop the kitchen's views among ``tables``; with ``keep``, each becomes a table of
        its own holding what it showed (in one transaction)."""
        ...

    def link_problem(self, link: Link) -> str | None:
        """Why a view no longer shows its origin as it is (the table was dropped or changed
        under it), or None."""
        ...

    def overlap(
        self,
        source: Warehouse,
        source_schema: str,
        table: str,
        schema: str,
        probe: Probe,
    ) -> int:
        """How many distinct values of ``schema.table`` in ``probe``'s column also occur in
        the source's table (apart from the value ``probe`` allows)."""
        ...

    def orphans(self, schema: str, key: Reference) -> int:
        """How many rows of ``schema.<key.table>`` reference, through ``key``, a row that
        ``schema.<key.parent>`` does not hold (a NULL reference is none)."""
        ...

    def swap_in(
        self, staging: str, schema: str, tables: Sequence[str], gone: Sequence[str] = ()
    ) -> None:
        """Replace each ``schema.table`` of ``tables`` by ``staging.table``, which leaves
        ``staging``, and drop each of ``gone``: in one transaction."""
        ...

    def foreign_keys(self, schema: str) -> list[Reference]:
        """The foreign keys between tables of ``schema``."""
        ...

    def primary_keys(self, schema: str) -> dict[str, tuple[str, ...]]:
        """Each table of ``schema`` that has a primary key: its columns, in key order."""
        ...

    def client_environment(self, schema: str) -> dict[str, str]:
        """Variables that point a client tool at this warehouse, working in ``schema``."""
        ...

    def dbt_output(self) -> dict[str, object]:
        """The output of a dbt profile for this warehouse, reading where and as whom to
        connect from ``client_environment``'s variables (with the kitchen's schema as
        ``KITCHEN_SCHEMA``) through dbt's ``env_var``: no value, and no secret, is written."""
        ...

    def run_script(self, schema: str, script: str) -> list[tuple[Any, ...]]:
        """Run a pipeline's SQL (several statements) with ``schema`` as the default schema,
        in one transaction: it all happens, or none of it does. The rows of its query, for
        a check's (one statement)."""
        ...

    def identity_names(self, schema: str) -> list[str]:
        """The names the login of ``schema``'s kitchen may have, its own first (none where
        the warehouse has no logins)."""
        ...

    def create_identity(
        self,
        schema: str,
        read: Sequence[Readable],
        *,
        ours: Collection[str] = (),
        record: Callable[[str], None] | None = None,
    ) -> tuple[str, str] | None:
        """A login for the kitchen of ``schema``: (user, password), or None where the
        warehouse has no such thing or it is not configured. One that exists is taken over
        only if it is one of ``ours``; ``record`` is told the name before it is made."""
        ...

    def grant_identity(self, role: str, schema: str, read: Sequence[Readable]) -> None:
        """(Re-)grant the login ``role`` its rights: all in ``schema``, SELECT on ``read``."""
        ...

    def drop_identity(self, role: str) -> None:
        """Drop the login ``role``, if it exists, with what it owns."""
        ...

    def list_identities(self) -> list[str]:
        """The kitchen logins (role names) granted this environment's database."""
        ...

    def open_to_all(self) -> tuple[str, list[str]]:
        """This environment's database, and what every login of the server may do in it
        (PUBLIC's privileges: CONNECT, TEMPORARY, CREATE); none where there are no logins."""
        ...

    def set_salt(self, salt: str) -> None:
        """Bind the masking salt to the session; SQL reads it through ``salt_sql``."""
        ...

    @property
    def salt_sql(self) -> Query: ...

    def hash_int(self, hex_digest: Query) -> Query:
        """A non-negative integer below 2**28 from a hex digest (its first 7 digits)."""
        ...

    def fingerprint(self, text: Query, seed: int) -> Query:
        """A deterministic, evenly spread, orderable value of ``text`` and ``seed``.

        For sampling, which needs no secret: the cheapest hash that gives the same value
        every time on this server.
        """
        ...

    def bucket(self, fingerprint: Query, buckets: int) -> Query:
        """A ``fingerprint`` as an integer in [0, buckets)."""
        ...

    def bytewise(self, text: Query) -> Query:
        """``text`` ordered and compared byte by byte, as Python orders strings, whatever the
        database's collation (en_US puts 'a-b' after 'ab'); an index made on it serves it."""
        ...

    def row_count(self, schema: str, table: str) -> int: ...
    def preview(
        self, schema: str, table: str, limit: int, ordered: bool = True
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and the first ``limit`` rows (by the first column if ``ordered``;
        otherwise whichever rows come first, without sorting the table)."""
        ...

    def present(
        self, schema: str, table: str, columns: Sequence[str], limit: int, within: int
    ) -> list[tuple[Any, ...]]:
        """Up to ``limit`` rows of ``columns`` in which one of them is not null, among the
        first ``within`` rows: values of columns that the first rows leave empty."""
        ...


@dataclass(frozen=True)
class Probe:
    """What a masking check compares between a kitchen's table and its source's."""

    column: str
    as_text: bool = False  # compare the text: types without equality (PostgreSQL's json)
    allowed: Query | None = None  # the constant a fixed or redact rule writes: not a leak
    text: bool = False  # a text column, whose empty strings every rule keeps: not a leak

    def value(self, dialect: Dialect, *qualifier: str) -> Query:
        """The column (of ``qualifier``, a table alias) as the check compares it."""
        column = Identifier(*qualifier, self.column)
        return dialect.text(column) if self.as_text else sql("{}", column)

    def leaked(self, dialect: Dialect, *qualifier: str) -> Query:
        """The condition that a value the kitchen holds may be an original one."""
        value, conditions = self.value(dialect, *qualifier), [sql("TRUE")]
        if self.allowed is not None:
            allowed = dialect.text(self.allowed) if self.as_text else self.allowed
            conditions.append(sql("{} IS DISTINCT FROM {}", value, allowed))
        if self.text:
            conditions.append(sql("{} <> ''", dialect.text(value)))
        return join(" AND ", conditions)
