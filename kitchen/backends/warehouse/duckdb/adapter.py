"""The embedded warehouse: one DuckDB file per release environment. This half copies: from
the same file by ``CREATE TABLE ... AS``, from another environment's file attached read-only
for the copy, with the structure rebuilt (structure.py) and refreshed data swapped in."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace

from kitchen.backends.warehouse.base import Probe, Structure, Warehouse
from kitchen.backends.warehouse.duckdb import structure as duckdb_structure
from kitchen.backends.warehouse.duckdb.connection import CATALOG, DuckDBConnection
from kitchen.backends.warehouse.rowsql import select_from
from kitchen.backends.warehouse.sql import (
    Identifier,
    Placeholder,
    Query,
    join,
    resolve_sources,
    sql,
)
from kitchen.errors import WarehouseError

SOURCE_ALIAS = "0source"


def _plan(structure: Structure) -> duckdb_structure.Structure:
    if not isinstance(structure, duckdb_structure.Structure):
        raise TypeError(f"DuckDB cannot build {type(structure).__name__}")
    return structure


class DuckDBWarehouse(DuckDBConnection):
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
        with self._visible(source) as catalog:
            origin = Identifier(*catalog, source_schema, table)
            query = resolve_sources(
                select_from(select, origin, where, derived),
                lambda name: Identifier(*catalog, source_schema, name),
            )
            if into_existing:
                self._fill(self.table(schema, table), query)
            else:
                self.execute(sql("CREATE TABLE {} AS {}", self.table(schema, table), query))
        return self.row_count(schema, table)

    def _fill(self, into: Identifier, rows: Query) -> None:
        """``rows`` into the table the structure built, but for its generated columns, which
        compute themselves from the (masked) others."""
        *_, schema, table = into.parts
        names = [
            Identifier(name)
            for (name,) in self.execute(
                sql(
                    "SELECT column_name FROM duckdb_columns() WHERE database_name = {}"
                    " AND schema_name = {} AND table_name = {} AND NOT is_generated"
                    " ORDER BY column_index",
                    *[Placeholder()] * 3,
                ),
                [CATALOG, schema, table],
            )
        ]
        listed = join(", ", names)
        self.execute(
            sql("INSERT INTO {} ({}) SELECT {} FROM ({}) AS q", into, listed, listed, rows)
        )

    def read_structure(
        self, schema: str, tables: Sequence[str], masked: Mapping[str, Collection[str]]
    ) -> Structure:
        """DuckDB has no domains: a masked column keeps its type. Read through the warehouse
        this file is attached to, if it is (see ``snapshot``)."""
        owner, catalog = (self._lent_to, SOURCE_ALIAS) if self._lent_to else (self, CATALOG)
        catalogs = list(dict.fromkeys([catalog, CATALOG, SOURCE_ALIAS]))
        return duckdb_structure.read(owner.execute, catalogs, schema, tables)

    def build_before(self, structure: Structure, schema: str, home: str | None = None) -> None:
        """Types, sequences, then the tables with their keys, each before those whose keys
        reference it. A refresh's staging schema gets its own types: its tables spell
        theirs in full, as DuckDB writes an enum's column."""
        self._build(duckdb_structure.before(_plan(structure), schema))

    def build_after(self, structure: Structure, schema: str) -> None:
        self._build(duckdb_structure.after(_plan(structure), schema))

    def _build(self, statements: list[str]) -> None:
        with self.transaction():
            for statement in statements:
                self.execute(Query((statement,)))

    def swap_in(
        self, staging: str, schema: str, tables: Sequence[str], gone: Sequence[str] = ()
    ) -> None:
        """DuckDB moves no table between schemas: in one transaction, the kitchen's tables
        are dropped and built again as the staging schema's, with its sequences, types (those
        that changed), indexes, views and macros, and filled from it. The kitchen's own views
        stay as they are: DuckDB binds a view when it is read. A sequence or type the
        kitchen's own tables use, or a table of its own with a key to a copied one, stops
        the swap (the old data stays)."""
        with self.transaction():
            plan = duckdb_structure.read(self.execute, [CATALOG], staging, tables)
            self._drop_tables(schema, [*tables, *gone])
            present = duckdb_structure.types(self.execute, CATALOG, schema)
            changed = {n: t for n, t in plan.types.items() if present.get(n) != t}
            for name in changed:
                if name in present:
                    self.execute(sql("DROP TYPE {}", self.table(schema, name)))
            for series in plan.sequences:
                self.execute(sql("DROP SEQUENCE IF EXISTS {}", self.table(schema, series.name)))
            self._build(duckdb_structure.before(replace(plan, types=changed), schema))
            for table in plan.arrival:
                self._fill(
                    self.table(schema, table), sql("SELECT * FROM {}", self.table(staging, table))
                )
            self._build(duckdb_structure.after(plan, schema))
            self._drop_tables(staging, tables)  # as a move would: recovery looks

    def _drop_tables(self, schema: str, tables: Sequence[str]) -> None:
        """Each of ``tables`` there is, those with keys referencing others first."""
        references = [(r.table, r.parent) for r in self.foreign_keys(schema)]
        existing = set(self.list_tables(schema))
        order = duckdb_structure.arrival([t for t in tables if t in existing], references)
        for table in reversed(order):
            self.execute(sql("DROP TABLE {}", self.table(schema, table)))

    def overlap(
        self,
        source: Warehouse,
        source_schema: str,
        table: str,
        schema: str,
        probe: Probe,
    ) -> int:
        with self._visible(source) as catalog:
            origin = Identifier(*catalog, source_schema, table)
            query = self._overlap_query(self.table(schema, table), origin, probe)
            return int(self.execute(query)[0][0])

    @contextmanager
    def snapshot(
        self, source: Warehouse, source_schema: str, tables: Sequence[str]
    ) -> Iterator[None]:
        """DuckDB lets one process write a file, and none while another reads it: this
        file is open for writing here all along, and another environment's stays attached
        (read-only) from the first table copied to the last, so no one can write either."""
        if source is self or source is self._held:
            yield
            return
        with self._visible(source):
            self._held = source
            try:
                yield
            finally:
                self._held = None

    @contextmanager
    def _visible(self, source: Warehouse) -> Iterator[tuple[str, ...]]:
        """The catalog under which ``source``'s tables can be read from this connection.

        Another environment's file is attached read-only while needed (see ``snapshot``);
        this process must let go of it first, since DuckDB opens a file once.
        """
        if source is self:
            yield (CATALOG,)
            return
        if source is self._held:
            yield (SOURCE_ALIAS,)
            return
        if not isinstance(source, DuckDBWarehouse):
            raise WarehouseError(
                f"Cannot copy from {source.location} into {self.location}.",
                hint="Both environments must use the same warehouse type.",
            )
        source.close()
        alias = Identifier(SOURCE_ALIAS)
        self.execute(sql("ATTACH {} AS {} (READ_ONLY)", Placeholder(), alias), [str(source.path)])
        source._lent_to = self
        try:
            yield (SOURCE_ALIAS,)
        finally:
            source._lent_to = None
            self.execute(sql("DETACH {}", alias))
