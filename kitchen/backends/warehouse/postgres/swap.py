"""Replacing a kitchen's data in one transaction on PostgreSQL: the refreshed objects moved in
from the staging schema, the views built on the replaced tables built again with their
grants, and the locks this takes waited for with patience, naming who holds them."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from kitchen.backends.warehouse.postgres import structure as pg_structure
from kitchen.backends.warehouse.postgres.catalog import PARTITIONS_SINCE
from kitchen.backends.warehouse.postgres.connection import DEPENDENT_OBJECTS, LOCK_NOT_AVAILABLE
from kitchen.backends.warehouse.postgres.views import PostgresViews, granting
from kitchen.backends.warehouse.sql import (
    Identifier,
    Placeholder,
    Query,
    join,
    sql,
)
from kitchen.backends.warehouse.sqlbase import SqlWarehouse
from kitchen.errors import WarehouseError

_GRANTED = ("VIEW", "MATERIALIZED VIEW", "SEQUENCE")  # besides tables: grants kept on refresh


@dataclass(frozen=True)
class Arriving:
    """An object a refresh moves from its staging schema into the kitchen's."""

    keyword: str  # of its ALTER and DROP statements: TABLE, VIEW, ROUTINE, TYPE ...
    name: str
    identity: Query | Identifier  # schema-qualified (a routine's with its argument types)
    owned: bool = False  # by a type (a range's constructors): it goes with the type


LOCK_WAIT_MS = 2000  # each try at the locks a swap or a drop takes (see _locking)


LOCK_PATIENCE = 30.0  # seconds of tries before naming the sessions that hold them


class PostgresSwap(PostgresViews):
    """``PostgresWarehouse``'s swap of refreshed data, and its drops."""

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
                for statement in granting(self.table(schema, name), granted, kind):
                    self.execute(statement)
            self._empty(staging, schema)
            replaced = {(schema, name) for keyword, name in brought if keyword.endswith("VIEW")}
            views = [view for view in views if tuple(view.name.parts) not in replaced]
            for view in views:
                self._build(view, schema, me)

        self._locking(swap, schema, staging)
        self._beside.pop(staging, None)

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
