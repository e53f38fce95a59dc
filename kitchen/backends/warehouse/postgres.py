"""PostgreSQL (and servers that speak its protocol, e.g. Redshift) through psycopg 3.

Nothing here needs a server newer than PostgreSQL 13. Identifiers only pass through
``psycopg.sql``; values are always parameters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Collection, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql as pgsql
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.composite import CompositeInfo, register_composite
from psycopg.types.datetime import DateLoader, IntervalLoader, TimestampLoader, TimestamptzLoader

from kitchen import redaction
from kitchen.backends.warehouse import pg_structure
from kitchen.backends.warehouse.base import (
    LINK_MARK,
    Item,
    Probe,
    Reference,
    Result,
    SqlWarehouse,
    Structure,
    Warehouse,
    select_from,
)
from kitchen.backends.warehouse.dialect import Dialect
from kitchen.backends.warehouse.sql import (
    Identifier,
    Literal,
    Placeholder,
    Query,
    SourceTable,
    join,
    quote_identifier,
    quote_literal,
    resolve_sources,
    sql,
)
from kitchen.errors import ConfigError, PreconditionFailed, WarehouseError, WarehouseUnreachable

if TYPE_CHECKING:
    from kitchen import config

OPEN_RIGHTS = ("CONNECT", "TEMPORARY", "CREATE")  # on a database, as PUBLIC may hold them
SET_OPTION_SINCE = 160000  # GRANT ... WITH SET: acting as a role, apart from membership
_GRANTED = ("VIEW", "MATERIALIZED VIEW", "SEQUENCE")  # besides tables: grants kept on refresh
GRANTS_LOCK = 7_164_117_105  # an advisory lock key of kitchen's own: grants, one at a time
# the rights on a table, view or sequence, as aclexplode names them
RIGHTS = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"}
    | {"USAGE"}  # a sequence's
)


@dataclass(frozen=True)
class Grant:
    grantee: str  # a role, or PUBLIC
    right: str
    grantable: bool


@dataclass(frozen=True)
class Arriving:
    """An object a refresh moves from its staging schema into the kitchen's."""

    keyword: str  # of its ALTER and DROP statements: TABLE, VIEW, ROUTINE, TYPE ...
    name: str
    identity: Query | Identifier  # schema-qualified (a routine's with its argument types)
    owned: bool = False  # by a type (a range's constructors): it goes with the type


@dataclass(frozen=True)
class View:
    """A view or materialized view built on tables that a refresh replaces, as the
    catalogue describes it: what it takes to build it again on the new tables."""

    name: Identifier
    kind: str  # VIEW or MATERIALIZED VIEW
    populated: bool
    definition: str
    options: list[str]  # reloptions: security_barrier=true, check_option=local
    owner: str
    comment: str | None
    grants: list[Grant]
    extras: list[str]  # its indexes, triggers and rules, as PostgreSQL writes them


log = logging.getLogger(__name__)
CONNECT_TIMEOUT = 10
TABLE_RIGHTS = "SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"
SNAPSHOTS_SINCE = 90200  # pg_export_snapshot: PostgreSQL 9.2 (Redshift says 8.0.2)
PARTITIONS_SINCE = 100000  # declarative partitioning: PostgreSQL 10
INVOKER_VIEWS_SINCE = 150000  # views that read with the reader's rights (security_invoker)
# lock_timeout, relispopulated (and aclexplode, 9.0): PostgreSQL 9.3. Redshift says 8.0.2;
# there the swap and the drop wait as before, and views and grants are left as they are.
CATALOGUE_SINCE = 90300
LOCK_WAIT_MS = 2000  # each try at the locks a swap or a drop takes (see _locking)
LOCK_PATIENCE = 30.0  # seconds of tries before naming the sessions that hold them
LOCK_NOT_AVAILABLE, DEPENDENT_OBJECTS = "55P03", "2BP01"  # SQLSTATEs
# A sample's predicates are semi- and anti-joins on hashes of keys under a percentage, whose
# rows the planner cannot estimate: it guessed one row and chose nested loops that ran a
# whole key set once per row (a 100,000-payment shop: customers 14.5 s, 0.13 s by hash;
# docs/benchmarks.md). A copy reads whole tables: it joins by hash.
SAMPLED_COPY = {"enable_nestloop": "off"}
PARALLEL_COPY: tuple[str, ...] = (
    "parallel_setup_cost",
    "parallel_tuple_cost",
    "min_parallel_table_scan_size",
)


def _tolerant(loader: type[Loader]) -> type[Loader]:
    """``loader``, but a value Python's types cannot hold ('infinity', a date BC or past year
    9999, an interval over 999,999,999 days) is read as PostgreSQL writes it: a preview or a
    scan of an SCD table (valid_to = 'infinity') reads it instead of failing."""

    class Tolerant(loader):  # type: ignore[valid-type,misc]
        def load(self, data: Buffer) -> Any:
            try:
                return super().load(data)
            except psycopg.DataError:
                return bytes(data).decode()

    return Tolerant


TOLERANT_LOADERS = {
    "date": _tolerant(DateLoader),
    "timestamp": _tolerant(TimestampLoader),
    "timestamptz": _tolerant(TimestamptzLoader),
    "interval": _tolerant(IntervalLoader),
}


class PostgresWarehouse(SqlWarehouse):
    dialect = Dialect("postgres")
    views_hold_tables = True  # a view is bound to its tables: DROP TABLE refuses

    def __init__(
        self, settings: config.PostgresWarehouse, environment: str, part: str = "warehouse"
    ) -> None:
        self.environment = environment
        self.part = part  # what it is to the environment: its warehouse, or its registry
        self.settings = settings
        fields = {
            "host": settings.host,
            "port": settings.port if settings.host or not settings.dsn else None,
            "dbname": settings.dbname,
            "user": settings.user,
            "password": settings.password,
            "sslmode": settings.sslmode,
        }
        where = f"environments.{environment}.{part}"
        given = {key: value for key, value in fields.items() if value is not None}
        try:
            self._conninfo = make_conninfo(settings.dsn or "", **given)
        except psycopg.ProgrammingError:
            raise ConfigError(f"{where}.dsn: not a valid PostgreSQL connection string.") from None
        self._connection: psycopg.Connection[Any] | None = None
        self._salt: str | None = None  # set again on every connection this opens for work
        self._fast_hash: bool | None = None  # whether the server has hashtextextended
        self._snapshot: str | None = None  # what copies out of here read as of (snapshot())
        self._beside: dict[str, str] = {}  # a refresh's staging schema: its kitchen's (types)
        self._database: str | None = None  # the database's name, once asked

    @property
    def address(self) -> tuple[str, str, str]:
        """(host, port, database): where the server is, without credentials."""
        params = conninfo_to_dict(self._conninfo)
        return (
            str(params.get("host") or "localhost"),
            str(params.get("port") or "5432"),
            str(params.get("dbname") or params.get("user") or ""),
        )

    @property
    def location(self) -> str:
        host, port, database = self.address
        return f"PostgreSQL at {host}:{port}, database {database}"

    @property
    def connection(self) -> psycopg.Connection[Any]:
        if self._connection is None:
            try:
                self._connection = psycopg.connect(
                    self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT
                )
            except psycopg.OperationalError as exc:
                raise WarehouseUnreachable(
                    f"Cannot connect to the {self.environment} {self.part} ({self.location}): "
                    f"{self._reason(exc)}",
                    hint="Check that the server runs and accepts connections, and the "
                    f"credentials in environments.{self.environment}.{self.part}.",
                ) from None
            for name, loader in TOLERANT_LOADERS.items():
                self._connection.adapters.register_loader(name, loader)
            if self._salt is not None:  # a new session: bind the salt again
                self._bind_salt()
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def qualify(self, *names: str) -> Identifier:
        return Identifier(*names)

    def execute(self, query: Query, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        statement = _compose(query, escape_percent=bool(params))
        if log.isEnabledFor(logging.DEBUG):  # the statement only, never its values
            log.debug("%s: %s", self.environment, statement.as_string(self.connection))
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(statement, list(params) if params else None)
                return cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            if self._lost(exc):
                self.close()
                raise WarehouseUnreachable(
                    f"Lost the {self.environment} {self.part} ({self.location}): "
                    + self._reason(exc)
                ) from None
            reason = self._reason(exc)
            position = exc.diag.statement_position  # a character of the statement, from 1
            raise WarehouseError(
                f"The {self.environment} {self.part} refused a statement: {reason}",
                reason=reason,
                code=exc.sqlstate or "",
                line=statement.as_string(self._connection).count("\n", 0, int(position) - 1) + 1
                if position
                else None,
            ) from None

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.closed

    @property
    def salt_sql(self) -> Query:
        return sql("current_setting('kitchen.salt')")

    def bytewise(self, text: Query) -> Query:
        return sql('({} COLLATE "C")', text)

    def set_salt(self, salt: str) -> None:
        """Bound to the session (when it opens, if it is not open yet) and to every later
        one: reconnections and the sessions of ``concurrently``."""
        self._salt = salt
        if self.connected:
            self._bind_salt()

    def _bind_salt(self) -> None:
        """Sent as a row of COPY, which the server's log never holds: with
        ``log_statement = all`` a statement's parameters are logged with it. Servers without
        COPY FROM STDIN (Redshift) get it as a parameter."""
        salt = Identifier("pg_temp", "kitchen_salt")
        try:
            with self.transaction():
                self.execute(sql("CREATE TEMPORARY TABLE {} (salt text)", salt))
                with self.connection.cursor() as cursor:
                    statement = pgsql.SQL("COPY {} FROM STDIN").format(
                        _compose(sql("{}", salt), False)
                    )
                    with cursor.copy(statement) as copy:
                        copy.write_row((self._salt,))
                self.execute(sql("SELECT set_config('kitchen.salt', salt, false) FROM {}", salt))
                self.execute(sql("DROP TABLE {}", salt))
        except psycopg.errors.FeatureNotSupported:
            self.execute(
                sql("SELECT set_config('kitchen.salt', {}, false)", Placeholder()), [self._salt]
            )

    def concurrently(
        self,
        source: Warehouse,
        work: Callable[[Warehouse, Warehouse, Item], Result],
        items: Sequence[Item],
    ) -> Generator[tuple[Item, Result], None, None]:
        """Up to ``threads`` items at once, each thread on its own pair of connections.

        The server does the work (the client only waits), so a copy of many tables, or the
        verification of many columns, uses the server's cores. If one item fails, or the
        caller stops, the statements still running are cancelled before this returns.
        """
        threads = min(self.settings.threads, len(items))
        if threads <= 1:
            yield from super().concurrently(source, work, items)
            return
        local, opened, stopping = threading.local(), list[PostgresWarehouse](), threading.Event()

        def run(item: Item) -> Result:
            if stopping.is_set():
                raise WarehouseError("Not started: another part failed.")  # never reported
            if not hasattr(local, "pair"):
                twin = self._twin()
                local.pair = (twin, twin if source is self else self._peer(source)._twin())
                opened.extend(local.pair)
            twin, origin = local.pair
            return work(twin, origin, item)

        pool = ThreadPoolExecutor(threads, thread_name_prefix=f"kitchen-{self.environment}")
        futures = {pool.submit(run, item): item for item in items}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            stopping.set()
            running = [future for future in futures if not future.cancel()]
            while running:  # again until all stop: a statement may start after a cancel
                for twin in list(opened):
                    twin._cancel()
                running = list(wait(running, timeout=0.2).not_done)
            raise
        finally:
            pool.shutdown(wait=True)
            for twin in opened:
                twin.close()

    def _peer(self, source: Warehouse) -> PostgresWarehouse:
        """The source of a copy: another PostgreSQL."""
        if not isinstance(source, PostgresWarehouse):
            raise WarehouseError(
                f"Cannot copy from {source.location} into {self.location}.",
                hint="Both environments must use the same warehouse type.",
            )
        return source

    @contextmanager
    def session(self, login: tuple[str, str] | None = None) -> Iterator[Warehouse]:
        twin = self._twin()
        if login is not None:  # a kitchen's own login: the masking salt is not its to read
            user, password = login
            twin._conninfo = make_conninfo(self._conninfo, user=user, password=password)
            twin._salt = None
        try:
            yield twin
        finally:
            twin.close()

    def _twin(self) -> PostgresWarehouse:
        """Another session (opened on first use) on the same database, with the same salt."""
        twin = PostgresWarehouse(self.settings, self.environment, self.part)
        twin._conninfo, twin._salt, twin._snapshot = self._conninfo, self._salt, self._snapshot
        twin._beside = self._beside
        return twin

    @contextmanager
    def snapshot(
        self, source: Warehouse, source_schema: str, tables: Sequence[str]
    ) -> Iterator[None]:
        """As pg_dump does: a session of the source locks the tables against DROP and ALTER
        (not against writes), then exports its snapshot, which each session that reads for
        a copy imports. A swap or drop of those tables by another command waits until the
        copy is done. Servers without exported snapshots (Redshift) read table by table."""
        source = self._peer(source)
        if not tables or source.connection.info.server_version < SNAPSHOTS_SINCE:
            yield
            return
        holder = source._twin()
        try:
            try:
                holder.execute(sql("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
                locked = join(", ", [source.table(source_schema, table) for table in tables])
                holder.execute(sql("LOCK TABLE {} IN ACCESS SHARE MODE", locked))
                source._snapshot = holder.execute(sql("SELECT pg_export_snapshot()"))[0][0]
            except WarehouseUnreachable:
                raise
            except WarehouseError as exc:  # a server that speaks the protocol, not all of it
                log.debug("%s: tables are read one by one: %s", source.environment, exc)
            yield
        finally:
            source._snapshot = None
            holder.close()

    @contextmanager
    def _as_of(self, snapshot: str | None) -> Iterator[None]:
        """A transaction that sees the database as ``snapshot`` (exported) does."""
        if snapshot is None:
            yield
            return
        with self.transaction():
            self.execute(sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
            self.execute(sql("SET TRANSACTION SNAPSHOT {}", Literal(snapshot)))
            yield

    def _cancel(self) -> None:
        """Stop the statement this session is running, if any (from another thread)."""
        connection = self._connection
        if connection is not None and not connection.closed:
            try:
                connection.cancel_safe(timeout=CONNECT_TIMEOUT)
            except psycopg.Error:  # the server is going away: nothing left to stop
                log.debug("%s: could not cancel a statement", self.environment)

    def hash_int(self, hex_digest: Query) -> Query:
        return sql("('x' || substr({}, 1, 7))::bit(28)::int", hex_digest)

    def fingerprint(self, text: Query, seed: int) -> Query:
        """``hashtextextended`` (PostgreSQL 11+) costs a tenth of md5, and a sample's hash
        need not be secret; servers without it (Redshift) sample by md5."""
        if not self._has_fast_hash():
            return super().fingerprint(text, seed)
        return sql("hashtextextended({}, {})", text, Literal(seed % 2**63))

    def bucket(self, fingerprint: Query, buckets: int) -> Query:
        if not self._has_fast_hash():
            return super().bucket(fingerprint, buckets)
        low = sql("({} & CAST(2147483647 AS BIGINT))", fingerprint)  # non-negative
        return sql("({} % {})", low, Literal(buckets))

    def _has_fast_hash(self) -> bool:
        if self._fast_hash is None:
            found = self.execute(
                sql("SELECT count(*) FROM pg_catalog.pg_proc WHERE proname = 'hashtextextended'")
            )
            self._fast_hash = bool(found[0][0])
        return self._fast_hash

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
        source = self._peer(source)
        query = self._copy_query(source_schema, table, select, where, derived)
        reader = self if source.address == self.address else source  # runs the query
        with reader._planned(SAMPLED_COPY if where else {}):
            if into_existing:
                self._fill(source, query, source_schema, schema, table)
            elif source.address == self.address:
                with self._parallel(), self._as_of(source._snapshot):
                    self.execute(sql("CREATE TABLE {} AS {}", self.table(schema, table), query))
            else:
                self._stream_from(source, query, schema, table)
        return self.row_count(schema, table)

    def read_structure(
        self, schema: str, tables: Sequence[str], masked: Mapping[str, Collection[str]]
    ) -> Structure | None:
        """The structure of ``tables`` as ``pg_structure`` reads it; None on servers older
        than PostgreSQL 12 (and Redshift), whose kitchens get bare tables."""
        if self.connection.info.server_version < pg_structure.STRUCTURE_SINCE:
            return None
        with self._search_path(schema):
            return pg_structure.read(pg_structure.Catalogue(self.execute, schema), tables, masked)

    def build_before(self, structure: Structure, schema: str, home: str | None = None) -> None:
        """With ``home`` (the kitchen a refresh builds ``schema`` for), the types are its:
        those it lacks are made there, those it has as the parent has them are used as they
        are, and only those that changed are made in ``schema`` to replace its own. A range
        type could not be moved by its owner: its constructors belong to the superuser."""
        plan = self._plan(structure)
        repointed = pg_structure.search_path_statements(plan, home or schema)
        if home is None or home == schema:
            self._build_all(schema, [*plan.before, *repointed])
            return
        with self._search_path(home):
            present = pg_structure.types(pg_structure.Catalogue(self.execute, home))
        self._build_all(home, [text for name, text in plan.types.items() if name not in present])
        self._beside[schema] = home  # names resolve in the staging schema, then the kitchen's
        changed = [text for name, text in plan.types.items() if present.get(name, text) != text]
        self._build_all(schema, [*changed, *plan.untyped, *repointed])

    def build_after(self, structure: Structure, schema: str) -> None:
        """Keys and indexes of each table side by side, partitions' indexes attached to
        their parents', then foreign keys, then what reads the rows. Foreign keys are added
        one at a time, NOT VALID (no scan) where PostgreSQL allows it: added side by side,
        each locking both its tables, they deadlocked. Their checks of the rows then run side
        by side, a table at a time each: a check locks its table against others' checks
        only."""
        plan = self._plan(structure)
        self._build_all(schema, plan.parents)
        self._side_by_side(schema, plan.per_table)
        self._build_all(schema, plan.attach)
        self._build_all(schema, plan.foreign)
        self._side_by_side(schema, plan.validate)
        self._build_all(schema, plan.after)

    def _side_by_side(self, schema: str, groups: Mapping[str, Sequence[str]]) -> None:
        """Each group's statements in turn, the groups at once on the copy's connections."""
        for _ in self.concurrently(
            self,
            lambda into, _, group: self._peer(into)._build_all(schema, groups[group]),
            list(groups),
        ):
            pass

    @staticmethod
    def _plan(structure: Structure) -> pg_structure.Structure:
        if not isinstance(structure, pg_structure.Structure):
            raise TypeError("a structure read by another engine")
        return structure

    def _build_all(self, schema: str, statements: Sequence[str]) -> None:
        """PostgreSQL's own DDL, read with the source schema as the search path, run with
        ``schema`` as it: each names the kitchen's objects. Function bodies are checked
        when called, as pg_restore leaves them."""
        if not statements:
            return
        with self._search_path(schema):
            self.execute(sql("SET LOCAL check_function_bodies = false"))
            for statement in statements:
                try:
                    self.execute(Query((statement,)))
                except WarehouseError as exc:
                    raise WarehouseError(
                        f"Could not build {_object_of(statement)} in {schema} as its parent "
                        f"has it: {exc.reason}",
                        "The kitchen's structure follows its parent's; the error above names "
                        "what this database lacks or what the copied rows broke.",
                    ) from None

    @contextmanager
    def _search_path(self, schema: str) -> Iterator[None]:
        """``schema`` and, for a refresh's staging schema, its kitchen's (whose types it
        uses): where names that the catalogue wrote unqualified resolve."""
        with self.transaction():
            path = [Identifier(name) for name in (schema, self._beside.get(schema)) if name]
            self.execute(sql("SET LOCAL search_path TO {}", join(", ", path)))
            yield

    def _fill(
        self, source: PostgresWarehouse, query: Query, source_schema: str, schema: str, table: str
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

    def client_environment(self, schema: str) -> dict[str, str]:
        """libpq's own variables, so psql, dbt and any driver connect as kitchen does."""
        params = conninfo_to_dict(self._conninfo)
        names = {
            "host": "PGHOST",
            "port": "PGPORT",
            "dbname": "PGDATABASE",
            "user": "PGUSER",
            "password": "PGPASSWORD",
            "sslmode": "PGSSLMODE",
        }
        found = {names[key]: str(value) for key, value in params.items() if key in names and value}
        return {**found, "PGOPTIONS": f"-c search_path={schema}"}

    def dbt_output(self) -> dict[str, object]:
        return {  # dbt-postgres, as libpq's variables say (the kitchen's own login's)
            "type": "postgres",
            "host": "{{ env_var('PGHOST', 'localhost') }}",
            "port": "{{ env_var('PGPORT', '5432') | as_number }}",
            "user": "{{ env_var('PGUSER') }}",
            "password": "{{ env_var('PGPASSWORD', '') }}",
            "dbname": "{{ env_var('PGDATABASE') }}",
            "schema": "{{ env_var('KITCHEN_SCHEMA') }}",
            "sslmode": "{{ env_var('PGSSLMODE', 'prefer') }}",
            "threads": self.settings.threads,
        }

    def run_script(self, schema: str, script: str) -> list[tuple[Any, ...]]:
        with self.transaction():
            self.execute(sql("SET LOCAL search_path TO {}", Identifier(schema)))
            return self.execute(Query((script,)))

    def identity_names(self, schema: str) -> list[str]:
        """The names the login of ``schema``'s kitchen may have: its own, then the one
        kitchen gave logins before they were recorded, which older kitchens still have."""
        if self._database is None:
            self._database = str(self.execute(sql("SELECT current_database()"))[0][0])
        legacy = f"kitchen_{self.environment}_{schema}"[:63]
        return [login_name(self._database, self.environment, schema), legacy]

    def create_identity(
        self,
        schema: str,
        read: list[str],
        *,
        ours: Collection[str] = (),
        record: Callable[[str], None] | None = None,
    ) -> tuple[str, str] | None:
        """A role that exists already is taken over (a new password) only when it is one of
        ``ours``, recorded as made for this kitchen (a create that crashed made it); any
        other is another's, and refused. ``record`` notes the name before the role is made."""
        if not self.settings.kitchen_roles:
            return None
        role, password = (
            self.identity_names(schema)[0],
            redaction.remember(secrets.token_urlsafe(24)),
        )
        verifier = Literal(scram_verifier(password))
        with self.transaction():
            if not self._role_exists(role):
                if record is not None and role not in ours:
                    record(role)
                self.execute(sql("CREATE ROLE {} LOGIN PASSWORD {}", Identifier(role), verifier))
                self._join(role)
            elif role in ours:
                self.execute(sql("ALTER ROLE {} LOGIN PASSWORD {}", Identifier(role), verifier))
            else:
                raise PreconditionFailed(
                    f"The {self.environment} server has a role {role} that kitchen did not "
                    f"make for this kitchen: it will not take it over as {schema}'s login.",
                    hint="Ask the server's administrator whose it is; drop it if it is "
                    "nobody's, or give the kitchen another name.",
                )
            self.grant_identity(role, schema, read)
        return role, password

    def grant_identity(self, role: str, schema: str, read: list[str]) -> None:
        if not self.settings.kitchen_roles or not self._role_exists(role):
            return
        who, own = Identifier(role), Identifier(schema)
        with self.transaction():
            self._one_grant_at_a_time()
            database = self.execute(sql("SELECT current_database()"))[0][0]
            # TEMPORARY: dbt's incremental models and snapshots build in temporary tables
            self.execute(
                sql("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}", Identifier(database), who)
            )
            self.execute(sql("GRANT USAGE, CREATE ON SCHEMA {} TO {}", own, who))
            self.execute(
                sql(f"GRANT {TABLE_RIGHTS} ON ALL TABLES IN SCHEMA {{}} TO {{}}", own, who)
            )
            self.execute(sql("GRANT ALL ON ALL SEQUENCES IN SCHEMA {} TO {}", own, who))
            later = (
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {{}} GRANT {TABLE_RIGHTS} ON TABLES TO {{}}"
            )
            self.execute(sql(later, own, who))  # tables kitchen makes there later (a refresh)
            for other in read:
                self.execute(sql("GRANT USAGE ON SCHEMA {} TO {}", Identifier(other), who))
                for kind in ("TABLES", "SEQUENCES"):  # views come with tables
                    self.execute(
                        sql(
                            f"GRANT SELECT ON ALL {kind} IN SCHEMA {{}} TO {{}}",
                            Identifier(other),
                            who,
                        )
                    )
            self._hand_over(schema, role)

    def _hand_over(self, schema: str, role: str) -> None:
        """Make ``role`` the owner of what kitchen's login owns in ``schema``: tables,
        views, sequences, routines and types came in as kitchen's (those a parent's pipeline
        built too), and the kitchen's pipelines, run as its login, could not replace them
        ("must be owner of table stg_orders"). kitchen, a member of the role, still may
        drop them. A range's multirange too; its constructors are PostgreSQL's own (the
        bootstrap superuser's), not kitchen's, and stay so."""
        found = pg_structure.movable(pg_structure.Catalogue(self.execute, schema))
        for keyword, _, identity, _, mine in found:
            if mine:
                self.execute(
                    sql(
                        f"ALTER {keyword} {{}} OWNER TO {{}}",
                        Query((identity,)),
                        Identifier(role),
                    )
                )

    def drop_identity(self, role: str) -> None:
        if not self._role_exists(role):
            return
        with self.transaction():
            self._one_grant_at_a_time()  # its grants on the database and parent go too
            self._join(role)  # a login made before kitchen joined the roles it makes
            self.execute(sql("DROP OWNED BY {}", Identifier(role)))  # its objects and grants
            self.execute(sql("DROP ROLE {}", Identifier(role)))

    def _one_grant_at_a_time(self) -> None:
        """Until the transaction ends, no other kitchen grants or revokes here: GRANTs and
        REVOKEs of two creates or deletes on one database or parent schema update one
        catalogue row, and one failed "tuple concurrently updated"."""
        self.execute(sql("SELECT pg_advisory_xact_lock({})", Literal(GRANTS_LOCK)))

    def _join(self, role: str) -> None:
        """Make kitchen's login a member of ``role``: without it, a login that is no
        superuser may not ``DROP OWNED BY`` the role ("permission denied to drop objects"),
        and delete, gc and repair stopped half-way. A superuser needs none."""
        if not self.execute(sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))[0][
            0
        ]:
            self.execute(sql("GRANT {} TO CURRENT_USER", Identifier(role)))

    def list_identities(self) -> list[str]:
        """Roles named like this environment's kitchen logins that were granted this
        database (the server may have others', for other databases)."""
        prefix = f"kitchen_{self.environment}_"
        rows = self.execute(
            sql(
                "SELECT r.rolname FROM pg_roles r WHERE left(r.rolname, {}) = {} AND EXISTS ("
                " SELECT 1 FROM pg_database d, aclexplode(d.datacl) a"
                " WHERE d.datname = current_database() AND a.grantee = r.oid)",
                Placeholder(),
                Placeholder(),
            ),
            [len(prefix), prefix],
        )
        return sorted(str(row[0]) for row in rows)

    def open_to_all(self) -> tuple[str, list[str]]:
        """PostgreSQL gives PUBLIC CONNECT and TEMPORARY on every new database: any
        kitchen's login of the server could enter this one, and make tables there."""
        asked = ", ".join(
            f"has_database_privilege('public', current_database(), '{right}')"
            for right in OPEN_RIGHTS
        )
        ((database, *held),) = self.execute(Query((f"SELECT current_database(), {asked}",)))
        return str(database), [right for right, on in zip(OPEN_RIGHTS, held, strict=True) if on]

    def _role_exists(self, role: str) -> bool:
        found = self.execute(
            sql("SELECT 1 FROM pg_roles WHERE rolname = {}", Placeholder()), [role]
        )
        return bool(found)

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

    def swap_in(
        self, staging: str, schema: str, tables: Sequence[str], gone: Sequence[str] = ()
    ) -> None:
        """Moves in what the refresh built in ``staging`` (no copy), in one transaction: the
        new tables with their partitions, keys, indexes and triggers and, where the kitchen
        is built as its parent (PostgreSQL 12+), its types, routines, sequences and views,
        each in place of its namesake. The new tables get the old ones' grants, and the
        views built on the old tables that the parent does not bring (a dbt project's models,
        say) are built again on the new ones; one that no longer fits them (it reads a
        column the source dropped) fails the whole swap."""

        def swap() -> None:
            arriving = self._movable(staging, tables)
            brought = {(item.keyword, item.name) for item in arriving}
            views = self._views_on(schema, [*tables, *gone])
            me = self._me() if views else ""
            self._may_build(views, me)
            # the grants of what is replaced: a child's login that may read the parent
            # kept reading its tables, views and sequences
            relations = {
                *(("TABLE", table) for table in tables),
                *((keyword, name) for keyword, name in brought if keyword in _GRANTED),
            }
            grants = {(kind, name): self._grants(schema, name) for kind, name in relations}
            for view in reversed(views):  # those built on others first
                self.execute(sql(f"DROP {view.kind} {{}}", view.name))
            self._drop_tables(schema, [*tables, *gone])
            self._drop_namesakes(schema, brought)
            for item in arriving:
                self.execute(
                    sql(
                        f"ALTER {item.keyword} {{}} SET SCHEMA {{}}",
                        item.identity,
                        Identifier(schema),
                    )
                )
            for (kind, name), granted in grants.items():
                for statement in _granting(self.table(schema, name), granted, kind):
                    self.execute(statement)
            self._empty(staging, schema)
            replaced = {(schema, name) for keyword, name in brought if keyword.endswith("VIEW")}
            views = [view for view in views if tuple(view.name.parts) not in replaced]
            for view in views:
                self._build(view, schema, me)

        self._locking(swap, schema, staging)
        self._beside.pop(staging, None)

    def _may_build(self, views: Sequence[View], me: str) -> None:
        """Refuse, before anything changes, to replace tables that views of a role kitchen's
        login (``me``) is no member of are built on: each is built again as its owner's, and
        PostgreSQL stopped the swap half-way with "must be member of role"."""
        right = "SET" if self.connection.info.server_version >= SET_OPTION_SINCE else "MEMBER"
        for view in (view for view in views if view.owner != me):
            allowed = self.execute(
                sql(f"SELECT pg_has_role(current_user, {{}}, '{right}')", Placeholder()),
                [view.owner],
            )
            if not allowed[0][0]:
                shown = ".".join(view.name.parts)
                raise PreconditionFailed(
                    f"The view {shown} is {view.owner}'s, built on tables this would replace, "
                    f"and kitchen's login may not act as {view.owner} to build it again.",
                    hint=f"Ask the server's administrator to `GRANT {view.owner} TO "
                    f"{me}` (or drop the view), then run this again; nothing changed.",
                )

    def _me(self) -> str:
        return str(self.execute(sql("SELECT current_user"))[0][0])

    def _movable(self, schema: str, tables: Sequence[str]) -> list[Arriving]:
        """What ``schema`` holds that a swap moves: all of it where kitchens are built as
        their parents, else ``tables``."""
        if self.connection.info.server_version < pg_structure.STRUCTURE_SINCE:
            return [Arriving("TABLE", table, self.table(schema, table)) for table in tables]
        with self.transaction():
            found = pg_structure.movable(pg_structure.Catalogue(self.execute, schema))
        return [
            Arriving(keyword, name, Query((identity,)), owned)
            for keyword, name, identity, owned, _ in found
        ]

    def _empty(self, staging: str, schema: str) -> None:
        """Drop ``staging``, which the swap must have emptied: dropped with something left
        in it, it would take along what depends on that in the kitchen."""
        try:
            self.execute(sql("DROP SCHEMA {}", Identifier(staging)))
        except WarehouseError as exc:
            raise WarehouseError(
                f"Could not move all that the refresh built into {schema}: {exc.reason}",
                "The kitchen's data is as it was. Run the command again with --verbose and "
                "report what it shows.",
            ) from None

    def _drop_namesakes(self, schema: str, brought: set[tuple[str, str]]) -> None:
        """Drop the views, routines, sequences and types of ``schema`` that ``brought``
        replaces (every overload of a routine); tables were dropped before. One that
        something else of the kitchen depends on stops the swap, naming it."""
        present = self._movable(schema, [])
        for keyword in ("MATERIALIZED VIEW", "VIEW", "ROUTINE", "SEQUENCE", "TYPE"):
            doomed = [
                item.identity
                for item in present
                if item.keyword == keyword and (keyword, item.name) in brought and not item.owned
            ]
            if not doomed:
                continue
            try:
                self.execute(sql(f"DROP {keyword} {{}}", join(", ", doomed)))
            except WarehouseError as exc:
                if exc.code != DEPENDENT_OBJECTS:
                    raise
                raise WarehouseError(
                    f"Could not replace the {keyword.lower()}s of {schema} that its parent "
                    f"brings: {exc.reason}",
                    "Drop what depends on them, then refresh again; the kitchen's data is "
                    "as it was.",
                ) from None

    def drop_schema(self, schema: str) -> None:
        self._locking(partial(SqlWarehouse.drop_schema, self, schema), schema)

    def _locking(self, work: Callable[[], None], *schemas: str) -> None:
        """Do ``work`` in a transaction that waits for the locks it takes on ``schemas``'
        tables at most LOCK_WAIT_MS at a time (while it waits, every query on them queues
        behind it), and again until LOCK_PATIENCE has passed; then name who holds them.
        Waiting on a session left idle in a transaction would hang the command for good."""
        if self._depth or not self._modern:  # joins the outer one, which a timeout would abort
            with self.transaction():
                work()
            return
        deadline = time.monotonic() + LOCK_PATIENCE
        while True:
            try:
                with self.transaction():
                    self.execute(sql(f"SET LOCAL lock_timeout = {LOCK_WAIT_MS}"))
                    work()
                return
            except WarehouseError as exc:
                if exc.code != LOCK_NOT_AVAILABLE:
                    raise
                if time.monotonic() >= deadline:
                    raise self._busy(schemas) from None
                time.sleep(LOCK_WAIT_MS / 1000)

    def _busy(self, schemas: Sequence[str]) -> WarehouseError:
        sessions = self.execute(
            sql(
                "SELECT DISTINCT a.pid, coalesce(nullif(a.application_name, ''), '?'),"
                " a.usename, a.state, to_char(a.xact_start AT TIME ZONE 'UTC', 'HH24:MI:SS')"
                " FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.granted AND n.nspname = ANY({}) AND a.pid <> pg_backend_pid()"
                " ORDER BY a.pid",
                Placeholder(),
            ),
            [list(schemas)],
        )
        holders = "; ".join(
            f"pid {pid} ({application}, user {user}"
            # another user's state is hidden from a login without pg_read_all_stats
            + (f", {state}" if state else "")
            + (f" since {since} UTC)" if since else ")")
            for pid, application, user, state, since in sessions
        )
        return WarehouseError(
            f"Other sessions kept tables of {schemas[0]} locked for {LOCK_PATIENCE:g} s"
            + (f": {holders}." if holders else "."),
            "End their transactions (SELECT pg_terminate_backend(pid) if you may), then run "
            "the command again.",
        )

    def _drop_tables(self, schema: str, tables: Sequence[str]) -> None:
        """In one statement: the keys and defaults among them go with them. What else
        depends on them stops the swap, named."""
        if not tables:
            return
        try:
            self.execute(
                sql(
                    "DROP TABLE IF EXISTS {}",
                    join(", ", [self.table(schema, table) for table in tables]),
                )
            )
        except WarehouseError as exc:
            if exc.code != DEPENDENT_OBJECTS:
                raise
            raise WarehouseError(
                f"Could not replace the tables of {schema}: {exc.reason}",
                "Drop what depends on them, then refresh again; the kitchen's data is as it was.",
            ) from None

    def unreadable(self, schema: str) -> dict[str, list[str]]:
        """Tables (a partitioned one as one) this login may not read, or not every column of:
        information_schema hides the first kind, and a copy of the second is refused. Servers
        older than 9.3 (Redshift) are asked about whole tables only."""
        if not self._modern:
            rows = self.execute(
                sql(
                    "SELECT c.relname FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = {}"
                    " AND c.relkind = 'r' AND NOT has_table_privilege(c.oid, 'SELECT')"
                    " ORDER BY 1",
                    Placeholder(),
                ),
                [schema],
            )
            return {str(table): [] for (table,) in rows}
        rows = self.execute(
            sql(
                "SELECT c.relname, array_remove(array_agg(CASE WHEN NOT"
                "  has_column_privilege(c.oid, a.attnum, 'SELECT') THEN CAST(a.attname AS text)"
                "  END ORDER BY a.attnum), NULL), has_any_column_privilege(c.oid, 'SELECT')"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
                "  AND NOT a.attisdropped"
                " WHERE n.nspname = {} AND c.relkind IN ('r', 'p') AND {}"
                "  AND NOT has_table_privilege(c.oid, 'SELECT')"
                " GROUP BY c.oid, c.relname ORDER BY c.relname",
                Placeholder(),
                sql("NOT c.relispartition")
                if self.connection.info.server_version >= PARTITIONS_SINCE
                else sql("true"),
            ),
            [schema],
        )
        return {str(table): list(columns) if some else [] for table, columns, some in rows}

    def outside_readers(self, schema: str) -> list[str]:
        """Views of other schemas built on ``schema``'s tables or views, directly or through
        other views: dropping the schema with CASCADE takes them too."""
        if not self._modern:
            return []
        return [f"{space}.{name}" for _, space, name in self._built_on(schema) if space != schema]

    @property
    def _modern(self) -> bool:
        return bool(self.connection.info.server_version >= CATALOGUE_SINCE)

    def _views_on(self, schema: str, tables: Sequence[str]) -> list[View]:
        """The views and materialized views built on ``tables``, directly or through other
        views, each after those it reads."""
        if not self._modern:
            return []
        return [self._view(oid) for oid, _, _ in self._built_on(schema, tables)]

    def _built_on(
        self, schema: str, tables: Sequence[str] | None = None
    ) -> list[tuple[int, str, str]]:
        """The views built on ``tables`` of ``schema`` (None: on any of its relations), as
        oid, schema and name, each after the views it reads."""
        return self.execute(
            sql(
                "WITH RECURSIVE built(oid, depth) AS ("
                " SELECT r.ev_class, 1 FROM pg_depend d"
                " JOIN pg_rewrite r ON r.oid = d.objid"
                " JOIN pg_class t ON t.oid = d.refobjid"
                " JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass"
                " AND n.nspname = {} AND (t.relname = ANY({}) OR {}) AND r.ev_class <> t.oid"
                " UNION SELECT r.ev_class, b.depth + 1 FROM built b"
                " JOIN pg_depend d ON d.refobjid = b.oid"
                " JOIN pg_rewrite r ON r.oid = d.objid"
                " WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass"
                " AND r.ev_class <> b.oid)"
                " SELECT c.oid, n.nspname, c.relname"
                " FROM (SELECT oid, max(depth) AS depth FROM built GROUP BY oid) b"
                " JOIN pg_class c ON c.oid = b.oid JOIN pg_namespace n ON n.oid = c.relnamespace"
                " ORDER BY b.depth, c.oid",
                Placeholder(),
                Placeholder(),
                Placeholder(),
            ),
            [schema, list(tables or ()), tables is None],
        )

    def _view(self, oid: int) -> View:
        """What it takes to build a view again: PostgreSQL's own SQL for its definition,
        indexes (a materialized view's), triggers and rules, and its options, owner,
        comment and grants."""
        ((space, name, kind, populated, definition, options, owner, comment),) = self.execute(
            sql(
                "SELECT n.nspname, c.relname, c.relkind, c.relispopulated,"
                " pg_get_viewdef(c.oid), coalesce(c.reloptions, ARRAY[]::text[]),"
                " pg_get_userbyid(c.relowner), obj_description(c.oid, 'pg_class')"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.oid = {}",
                Placeholder(),
            ),
            [oid],
        )
        extras = self.execute(
            sql(
                "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = {}"
                " UNION ALL SELECT pg_get_triggerdef(oid) FROM pg_trigger"
                " WHERE tgrelid = {} AND NOT tgisinternal"
                " UNION ALL SELECT pg_get_ruledef(oid) FROM pg_rewrite"
                " WHERE ev_class = {} AND rulename <> '_RETURN'",
                Placeholder(),
                Placeholder(),
                Placeholder(),
            ),
            [oid, oid, oid],
        )
        return View(
            Identifier(space, name),
            "MATERIALIZED VIEW" if kind == "m" else "VIEW",
            populated,
            definition.strip().rstrip(";"),
            list(options),
            owner,
            comment,
            self._grants(space, name),
            [text for (text,) in extras],
        )

    def _grants(self, schema: str, name: str) -> list[Grant]:
        """What the owner of table or view ``name`` granted others on it."""
        if not self._modern:
            return []
        rows = self.execute(
            sql(
                "SELECT coalesce(pg_get_userbyid(nullif(a.grantee, 0)), 'PUBLIC'),"
                " a.privilege_type, a.is_grantable FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a"
                " WHERE n.nspname = {} AND c.relname = {} AND a.grantee <> c.relowner",
                Placeholder(),
                Placeholder(),
            ),
            [schema, name],
        )
        return [Grant(str(grantee), str(right), bool(option)) for grantee, right, option in rows]

    def _build(self, view: View, schema: str, me: str) -> None:
        """Create ``view`` again as it was (``me``: the role creating it, which owns it
        unless told otherwise). The SQL is PostgreSQL's own (pg_get_viewdef and the like),
        so its identifiers arrive quoted by PostgreSQL."""
        options = f" WITH ({', '.join(view.options)})" if view.options else ""
        data = "" if view.kind == "VIEW" else " WITH DATA" if view.populated else " WITH NO DATA"
        create = sql(f"CREATE {view.kind} {{}}{options} AS ", view.name)
        statements = [
            Query((*create.parts, view.definition, data)),
            *(Query((text,)) for text in view.extras),
        ]
        if view.owner != me:
            statements.append(
                sql(f"ALTER {view.kind} {{}} OWNER TO {{}}", view.name, Identifier(view.owner))
            )
        if view.comment is not None:
            statements.append(
                sql(f"COMMENT ON {view.kind} {{}} IS {{}}", view.name, Literal(view.comment))
            )
        statements += _granting(view.name, view.grants)
        try:
            for statement in statements:
                self.execute(statement)
        except WarehouseError as exc:
            shown = ".".join(view.name.parts)
            raise WarehouseError(
                f"Refreshing {schema} would break the view {shown}: {exc.reason}",
                "Change or drop that view, then refresh again; the kitchen's data is as it was.",
            ) from None

    def overlap(
        self,
        source: Warehouse,
        source_schema: str,
        table: str,
        schema: str,
        probe: Probe,
    ) -> int:
        source = self._peer(source)
        kitchen = self.table(schema, table)
        if source.address == self.address:
            origin = self.table(source_schema, table)
            # the server's own plan: with PARALLEL_COPY it took 1.3x as long on two big
            # tables, and won nothing on a 15-table shop (docs/benchmarks.md)
            return int(self.execute(self._overlap_query(kitchen, origin, probe))[0][0])
        # The kitchen's (masked) values go to a temporary table in the source, so the
        # original values never leave the source environment. It takes the kitchen's type,
        # not the source's: a masked domain's values need not pass the domain's checks.
        copied = Identifier("kitchen_overlap_probe")
        values = sql("SELECT DISTINCT {} FROM {}", probe.value(self.dialect), kitchen)
        kind = "text" if probe.as_text else dict(self.column_types(schema, table))[probe.column]
        try:
            with source.transaction():
                source.execute(
                    sql(
                        f"CREATE TEMPORARY TABLE {{}} ({{}} {kind}) ON COMMIT DROP",
                        copied,
                        Identifier(probe.column),
                    )
                )
                self._relay(values, source, copied)
                query = source._overlap_query(copied, source.table(source_schema, table), probe)
                return int(source.execute(query)[0][0])
        except psycopg.Error as exc:
            raise WarehouseError(
                f"Checking the masking of {table}.{probe.column} against {source.location} "
                f"failed: {self._reason(exc)}"
            ) from None

    def _relay(
        self,
        query: Query,
        target: PostgresWarehouse,
        table: Identifier | Query,
        *,
        textual: bool = False,
    ) -> None:
        """Rows of ``query`` here into ``table`` there, as COPY blocks (binary unless
        ``textual``), never decoded here."""
        form = pgsql.SQL("TEXT" if textual else "BINARY")
        outgoing = pgsql.SQL("COPY ({}) TO STDOUT (FORMAT {})").format(
            _compose(query, escape_percent=False), form
        )
        incoming = pgsql.SQL("COPY {} FROM STDIN (FORMAT {})").format(
            _compose(sql("{}", table), escape_percent=False), form
        )
        with (
            self.connection.cursor().copy(outgoing) as reader,
            target.connection.cursor().copy(incoming) as writer,
        ):
            for block in reader:
                writer.write(block)

    def _stream_from(
        self, source: PostgresWarehouse, query: Query, schema: str, table: str
    ) -> None:
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
                    view, _compose(query, escape_percent=False)
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

    def _lost(self, exc: psycopg.Error) -> bool:
        """The connection is gone, not merely the statement refused: psycopg counts a lock
        timeout (55P03) or a cancelled statement as operational errors too."""
        if not isinstance(exc, psycopg.OperationalError):
            return False
        connection, state = self._connection, exc.sqlstate or ""
        return (
            connection is None
            or connection.broken
            or connection.closed
            or not state
            or state.startswith(("08", "57P"))  # connection exception, server shutting down
        )

    def _reason(self, exc: psycopg.Error) -> str:
        """The server's first line, with the password scrubbed should it ever appear. What
        depends on an object that could not be dropped comes along (other errors' details
        may quote the rows' values)."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if exc.sqlstate == DEPENDENT_OBJECTS and exc.diag.message_detail:
            text += f" ({'; '.join(exc.diag.message_detail.splitlines()[:3])})"
        password = conninfo_to_dict(self._conninfo).get("password")
        return text.replace(str(password), "***") if password else text


def login_name(database: str, environment: str, schema: str) -> str:
    """A kitchen's login role: role names are global to a server, so the name is unique to
    the database, environment and schema, through a digest of the three (also where the
    readable part is cut to fit PostgreSQL's 63 characters)."""
    digest = hashlib.sha256("\0".join((database, environment, schema)).encode()).hexdigest()
    return f"{f'kitchen_{environment}_{schema}'[:52]}_{digest[:10]}"


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802, 7677).

    CREATE ROLE takes no parameters, so kitchen sends the verifier: the password itself
    never appears in SQL text or the server's logs.
    """
    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    salt64, stored64, server64 = (
        base64.b64encode(raw).decode() for raw in (salt, stored_key, server_key)
    )
    return f"SCRAM-SHA-256${iterations}:{salt64}${stored64}:{server64}"


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


BUILT = re.compile(
    r"CREATE (?:OR REPLACE |UNIQUE |UNLOGGED )?(?:MATERIALIZED )?\w+ (?:ON ONLY )?\S+"
    r"|ALTER TABLE (?:ONLY )?\S+ ADD CONSTRAINT \S+|ALTER \w+ \S+|COMMENT ON \w+ \S+"
)


def _partition_root(column: str) -> Query:
    """The table that pg_constraint row ``k``'s ``column`` names, or the partitioned table
    at the top of its tree (PostgreSQL 12 and later)."""
    key = Identifier("k", column)
    return sql("coalesce(pg_partition_root({}), {})", key, key)


def _object_of(statement: str) -> str:
    """What a DDL statement builds, for a message: its words up to the object's name."""
    found = BUILT.match(statement)
    return (found.group(0) if found else statement[:60]).split("(", 1)[0]


def _names(numbers: str, relation: str) -> Query:
    """The names, in order, of the columns a pg_constraint row ``k`` lists by number in
    ``k.<numbers>``, of the table ``k.<relation>``."""
    return sql(
        "ARRAY(SELECT a.attname FROM unnest({}) WITH ORDINALITY u(n, i)"
        " JOIN pg_attribute a ON a.attrelid = {} AND a.attnum = u.n ORDER BY u.i)",
        Identifier("k", numbers),
        Identifier("k", relation),
    )


def _granting(name: Identifier, grants: Sequence[Grant], kind: str = "TABLE") -> list[Query]:
    """``kind``: SEQUENCE for a sequence (its USAGE has no TABLE form); TABLE otherwise,
    which views take too."""
    kind = "SEQUENCE" if kind == "SEQUENCE" else "TABLE"
    statements = []
    for grant in grants:
        if grant.right not in RIGHTS:  # it is written into the statement
            continue
        to = sql("PUBLIC") if grant.grantee == "PUBLIC" else sql("{}", Identifier(grant.grantee))
        option = " WITH GRANT OPTION" if grant.grantable else ""
        statements.append(sql(f"GRANT {grant.right} ON {kind} {{}} TO {{}}{option}", name, to))
    return statements


def _compose(query: Query, escape_percent: bool) -> pgsql.Composed:
    """Our query parts, one to one as psycopg.sql parts. With parameters, psycopg reads
    every ``%`` of the text as a placeholder's, within quotes too: a table named ``a%sb``
    made the query's placeholders outnumber its parameters. There names and constants
    holding one are written out, their ``%`` doubled."""
    parts: list[pgsql.Composable] = []
    for part in query.parts:
        if isinstance(part, Identifier):
            if escape_percent and any("%" in name for name in part.parts):
                quoted = ".".join(quote_identifier(name) for name in part.parts)
                parts.append(pgsql.SQL(quoted.replace("%", "%%")))
            else:
                parts.append(pgsql.Identifier(*part.parts))
        elif isinstance(part, Placeholder):
            parts.append(pgsql.Placeholder())
        elif isinstance(part, Literal):
            if escape_percent and "%" in str(part.value):
                parts.append(pgsql.SQL(quote_literal(part.value).replace("%", "%%")))
            else:
                parts.append(pgsql.Literal(part.value))
        elif isinstance(part, SourceTable):
            raise ValueError(f"unresolved source table {part.table!r}: resolve_sources first")
        else:
            parts.append(pgsql.SQL(part.replace("%", "%%") if escape_percent else part))
    return pgsql.Composed(parts)


def _fields_of(names: Sequence[str]) -> Callable[..., dict[str, Any]]:
    """A composite value's fields by name."""
    return lambda *values: dict(zip(names, values, strict=True))
