"""PostgreSQL (and servers that speak its protocol, e.g. Redshift) through psycopg 3.

Nothing here needs a server newer than PostgreSQL 13. Identifiers only pass through
``psycopg.sql``; values are always parameters. The adapter is a chain of classes, one per
concern (connection, catalog, identity, swap); this last one copies: tables with their
structure rebuilt, within a database by ``CREATE TABLE ... AS`` and across by a binary
``COPY`` relayed block by block."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import make_conninfo

from kitchen.backends.warehouse.base import (
    Item,
    Probe,
    Result,
    Structure,
    Warehouse,
)
from kitchen.backends.warehouse.postgres import structure as pg_structure
from kitchen.backends.warehouse.postgres.connection import log
from kitchen.backends.warehouse.postgres.copying import PostgresCopying
from kitchen.backends.warehouse.sql import (
    Identifier,
    Query,
    join,
    sql,
)
from kitchen.errors import WarehouseError, WarehouseUnreachable

SNAPSHOTS_SINCE = 90200  # pg_export_snapshot: PostgreSQL 9.2 (Redshift says 8.0.2)


# A sample's predicates are semi- and anti-joins on hashes of keys under a percentage, whose
# rows the planner cannot estimate: it guessed one row and chose nested loops that ran a
# whole key set once per row (a 100,000-payment shop: customers 14.5 s, 0.13 s by hash;
# docs/benchmarks.md). A copy reads whole tables: it joins by hash.
SAMPLED_COPY = {"enable_nestloop": "off"}


BUILT = re.compile(
    r"CREATE (?:OR REPLACE |UNIQUE |UNLOGGED )?(?:MATERIALIZED )?\w+ (?:ON ONLY )?\S+"
    r"|ALTER TABLE (?:ONLY )?\S+ ADD CONSTRAINT \S+|ALTER \w+ \S+|COMMENT ON \w+ \S+"
)


def _object_of(statement: str) -> str:
    """What a DDL statement builds, for a message: its words up to the object's name."""
    found = BUILT.match(statement)
    return (found.group(0) if found else statement[:60]).split("(", 1)[0]


class PostgresWarehouse(PostgresCopying):
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
