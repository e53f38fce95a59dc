"""Apache Spark through Spark Connect: a kitchen's schema is a database of the server's
catalog, its tables Parquet tables made by ``CREATE TABLE ... AS SELECT``.

Spark enforces no keys and has no transactions: the registry lives in a store of its own
(``registry:``), a statement that fails half-way leaves what it made, and a refresh's swap
is a drop and a rename per table. Spark moves no table between databases, so a refresh's
staging schema is, here, tables of the kitchen's own database under a name of kitchen's
(``STAGED``), renamed in place by the swap: a catalog change, not a second copy. It has no
logins kitchen could make per kitchen.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any

from kitchen import faults, names
from kitchen.backends.warehouse.base import (
    LINK_MARK,
    Probe,
    Reference,
    Structure,
    TableSpec,
    Warehouse,
)
from kitchen.backends.warehouse.dialect import Dialect
from kitchen.backends.warehouse.rowsql import select_from
from kitchen.backends.warehouse.spark import session
from kitchen.backends.warehouse.spark.dialect import SparkDialect, render
from kitchen.backends.warehouse.sql import (
    Identifier,
    Literal,
    Placeholder,
    Query,
    join,
    resolve_sources,
    sql,
)
from kitchen.backends.warehouse.sqlbase import SqlWarehouse
from kitchen.errors import ConfigError, WarehouseError, WarehouseUnreachable

if TYPE_CHECKING:
    from pyspark.sql.connect.session import SparkSession

    from kitchen import config

log = logging.getLogger(__name__)
LINK_PROPERTY = "kitchen.view_of"  # a view's table property: kitchen's mark (views mode)
# portable names (TableSpec) as Spark spells them; its TIMESTAMP is a point in time
TYPES = {"TEXT": "STRING", "INTEGER": "INT", "TIMESTAMPTZ": "TIMESTAMP"}
STAGED = "kitchen_staged__"  # a refresh's new table, in the kitchen's own database


@dataclass
class Bare:
    """A Spark schema's structure: tables alone (no keys, indexes or routines to build)."""

    tables: list[str]
    left_out: list[str] = field(default_factory=list)
    loosened: list[str] = field(default_factory=list)

    @property
    def arrival(self) -> list[str]:
        return self.tables


class SparkWarehouse(SqlWarehouse):
    dialect: Dialect = SparkDialect("spark")
    sessions_side_by_side = False  # one Connect session per command
    views_hold_tables = False  # a view is its SQL, read when the view is
    transactional = False
    declares_keys = False
    any_names = False  # the catalog takes letters, digits and _ in names
    holds_registry = False  # a registry store of its own (registry:)

    def __init__(
        self, settings: config.SparkWarehouse, environment: str, part: str = "warehouse"
    ) -> None:
        self.settings = settings
        self.environment = environment
        self.part = part
        self._session: SparkSession | None = None

    @property
    def location(self) -> str:
        address = self.settings.url.removeprefix("sc://").split("/")[0]
        return f"Spark Connect at {address}"

    @property
    def spark(self) -> SparkSession:
        if self._session is None:
            self._session = session.connect(
                self.settings, self.environment, self.part, self.location
            )
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.stop()
            self._session = None

    @property
    def connected(self) -> bool:
        return self._session is not None

    def qualify(self, *names: str) -> Identifier:
        return Identifier(*names)

    def table(self, schema: str, table: str) -> Identifier:
        home = _home(schema)
        return Identifier(home, STAGED + table) if home else Identifier(schema, table)

    def execute(self, query: Query, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        from pyspark.sql.types import TimestampType

        text = render(query)
        log.debug("%s: %s", self.environment, text)
        try:
            frame = self.spark.sql(text, args=list(params) if params else None)
            rows = frame.collect()
            zoned = [isinstance(f.dataType, TimestampType) for f in frame.schema.fields]
        except WarehouseUnreachable:
            raise
        except Exception as exc:
            reason = session.first_line(exc)
            if "UNAVAILABLE" in reason or "Connection refused" in reason:
                self._session = None
                raise WarehouseUnreachable(
                    f"Lost the {self.environment} {self.part} ({self.location}): {reason}"
                ) from None
            raise WarehouseError(
                f"The {self.environment} {self.part} refused a statement: {reason}",
                reason=reason,
            ) from None
        if not any(zoned):
            return [tuple(row) for row in rows]
        # a TIMESTAMP is a point in time, handed over in the session's zone (UTC): said so
        return [
            tuple(
                value.replace(tzinfo=UTC) if is_zoned and value is not None else value
                for value, is_zoned in zip(row, zoned, strict=True)
            )
            for row in rows
        ]

    # no transactions: each statement stands alone
    def _begin(self) -> None:
        pass

    def _commit(self) -> None:
        pass

    def _rollback(self) -> None:
        pass

    @property
    def salt_sql(self) -> Query:
        return sql("kitchen_salt")

    def set_salt(self, salt: str) -> None:
        self.execute(sql("DECLARE OR REPLACE VARIABLE kitchen_salt STRING"))
        self.execute(sql("SET VAR kitchen_salt = {}", Placeholder()), [salt])

    def hash_int(self, hex_digest: Query) -> Query:
        return sql("CAST(conv(substr({}, 1, 7), 16, 10) AS INT)", hex_digest)

    # schemas and tables

    def list_schemas(self) -> list[str]:
        return sorted(str(row[0]) for row in self.execute(sql("SHOW DATABASES")))

    def schema_exists(self, schema: str) -> bool:
        return super().schema_exists(_home(schema) or schema)

    def create_schema(self, schema: str) -> None:
        self.execute(sql("CREATE DATABASE IF NOT EXISTS {}", Identifier(_home(schema) or schema)))

    def drop_schema(self, schema: str) -> None:
        if _home(schema) is None:
            self.execute(sql("DROP DATABASE IF EXISTS {} CASCADE", Identifier(schema)))
        else:  # a refresh's staged tables, in the kitchen's database
            self._drop_tables(schema, self.list_tables(schema))

    def _relations(self, schema: str) -> list[tuple[str, str]]:
        """(name, MANAGED | EXTERNAL | VIEW) of each relation in ``schema``: a staging
        schema's are the staged tables of its kitchen's database, by their own names."""
        home = _home(schema)
        if not self.schema_exists(home or schema):
            return []
        try:
            found = self.spark.catalog.listTables(home or schema)
        except Exception as exc:
            raise WarehouseError(f"Cannot list {schema}: {session.first_line(exc)}") from None
        relations = [(t.name, str(t.tableType)) for t in found if not t.isTemporary]
        if home:
            return [(n.removeprefix(STAGED), k) for n, k in relations if n.startswith(STAGED)]
        return [(name, kind) for name, kind in relations if not name.startswith(STAGED)]

    def list_tables(self, schema: str) -> list[str]:
        return sorted(name for name, kind in self._relations(schema) if kind != "VIEW")

    def column_types(self, schema: str, table: str, *, base: bool = False) -> list[tuple[str, str]]:
        rows = self.execute(sql("DESCRIBE TABLE {}", self.table(schema, table)))
        found = []
        for name, kind, *_ in rows:
            if not name or str(name).startswith("#"):
                break  # partitioning and details follow the columns
            found.append((str(name), str(kind)))
        return found

    def create_table(self, schema: str, spec: TableSpec) -> None:
        columns = [
            sql(f"{{}} {TYPES.get(column.type, column.type)}", Identifier(column.name))
            for column in spec.columns
        ]  # keys: Spark enforces none
        target = self.table(schema, spec.name)
        self.execute(sql("CREATE TABLE {} ({}) USING parquet", target, join(", ", columns)))

    def insert_rows(
        self, schema: str, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
    ) -> None:
        """One Arrow batch through Spark Connect, not statements of parameters (1,234 rows
        took 30 s as multi-row INSERTs), typed as the table's columns."""
        from pyspark.sql.types import StructType

        if not rows:
            return
        fields = {field.name: field for field in self.spark.table(f"`{schema}`.`{table}`").schema}
        shape = StructType([fields[column] for column in columns])
        try:
            frame = self.spark.createDataFrame([tuple(row) for row in rows], schema=shape)
            frame.createOrReplaceTempView("kitchen_rows")
            names = join(", ", [Identifier(column) for column in columns])
            self.execute(
                sql(
                    "INSERT INTO {} ({}) SELECT * FROM kitchen_rows",
                    self.table(schema, table),
                    names,
                )
            )
        finally:
            self.spark.catalog.dropTempView("kitchen_rows")

    def _drop_tables(self, schema: str, tables: Sequence[str]) -> None:
        for table in tables:
            self.execute(sql("DROP TABLE IF EXISTS {}", self.table(schema, table)))

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
        if not isinstance(source, SparkWarehouse):
            raise WarehouseError(
                f"Cannot copy from {source.location} into {self.location}.",
                hint="Both environments must use the same warehouse type.",
            )
        origin = Identifier(source_schema, table)
        query = resolve_sources(
            select_from(select, origin, where, derived),
            lambda name: Identifier(source_schema, name),
        )
        target = self.table(schema, table)  # build_before made nothing: always made here
        self.execute(sql("CREATE TABLE {} USING parquet AS {}", target, query))
        return self.row_count(schema, table)

    def read_structure(
        self, schema: str, tables: Sequence[str], masked: Mapping[str, Collection[str]]
    ) -> Structure:
        return Bare(list(tables))

    def build_before(self, structure: Structure, schema: str, home: str | None = None) -> None:
        pass  # the copy makes each table

    def build_after(self, structure: Structure, schema: str) -> None:
        pass

    @contextmanager
    def snapshot(self, source: Warehouse, schema: str, tables: Sequence[str]) -> Iterator[None]:
        yield  # Spark reads each table as it is when read

    def swap_in(
        self, staging: str, schema: str, tables: Sequence[str], gone: Sequence[str] = ()
    ) -> None:
        """No transaction: each table dropped, then its staged one renamed in its place
        (staged in the kitchen's own database, as ``table`` places them); a staging schema
        whose name was cut (names.STAGING_LONGEST) is a database of its own, copied from instead."""
        self._drop_tables(schema, [*tables, *gone])
        for table in tables:
            target, staged = self.table(schema, table), self.table(staging, table)
            if _home(staging) == schema:
                self.execute(sql("ALTER TABLE {} RENAME TO {}", staged, target))
            else:
                query = sql("CREATE TABLE {} USING parquet AS SELECT * FROM {}", target, staged)
                self.execute(query)
                self.execute(sql("DROP TABLE {}", staged))
            faults.checkpoint("swap.table")  # between two tables: what a refresh's repair ends

    def overlap(
        self, source: Warehouse, source_schema: str, table: str, schema: str, probe: Probe
    ) -> int:
        origin = Identifier(source_schema, table)
        return int(
            self.execute(self._overlap_query(self.table(schema, table), origin, probe))[0][0]
        )

    def foreign_keys(self, schema: str) -> list[Reference]:
        return []  # Spark declares none it enforces: data.sample.foreign_keys names them

    def primary_keys(self, schema: str) -> dict[str, tuple[str, ...]]:
        return {}

    def outside_readers(self, schema: str) -> list[str]:
        return []

    def unreadable(self, schema: str) -> dict[str, list[str]]:
        return {}

    # views mode

    def _link_view(self, origin: Identifier, view: Identifier) -> Query:
        return sql("CREATE VIEW {} AS SELECT * FROM {}", view, origin)

    def _mark(self, view: Identifier, mark: str) -> None:
        self.execute(
            sql(
                "ALTER VIEW {} SET TBLPROPERTIES ({} = {})",
                view,
                Literal(LINK_PROPERTY),
                Literal(mark),
            )
        )

    def _marked_views(self, schema: str | None) -> list[tuple[str, str, str]]:
        found = []
        for where in [schema] if schema is not None else self.list_schemas():
            for name, kind in self._relations(where):
                if kind != "VIEW":
                    continue
                view = Identifier(where, name)
                rows = self.execute(sql("SHOW TBLPROPERTIES {} ({})", view, Literal(LINK_PROPERTY)))
                said = str(rows[0][-1]) if rows else ""
                if said.startswith(LINK_MARK):
                    found.append((where, name, said))
        return found

    # tools

    def client_environment(self, schema: str) -> dict[str, str]:
        """A Python node's ``SparkSession.builder.remote(os.environ["SPARK_REMOTE"])``."""
        return {"SPARK_REMOTE": session.url(self.settings), "KITCHEN_SPARK_DATABASE": schema}

    def dbt_output(self) -> dict[str, object]:
        raise ConfigError(
            "dbt cannot run against Spark Connect: dbt-spark reaches Spark through Thrift, "
            "HTTP or ODBC, not Spark Connect.",
            hint="Run dbt against the cluster's Thrift server with a profile of your own "
            "(profile: project), or write the pipeline's nodes in SQL or Python.",
        )

    def run_script(self, schema: str, script: str) -> list[tuple[Any, ...]]:
        import sqlglot

        self.execute(sql("USE {}", Identifier(schema)))
        rows: list[tuple[Any, ...]] = []
        for statement in sqlglot.transpile(script, read="spark", write="spark"):
            rows = self.execute(Query((statement,)))
        return rows

    def preview(
        self, schema: str, table: str, limit: int, ordered: bool = True
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        columns = [name for name, _ in self.column_types(schema, table)]
        order = sql(" ORDER BY 1") if ordered else sql("")
        rows = self.execute(
            sql("SELECT * FROM {}{} LIMIT {}", self.table(schema, table), order, Literal(limit))
        )
        return columns, rows


def _home(schema: str) -> str | None:
    """The kitchen's database whose staging schema ``schema`` is, if it is one whose name
    was not cut (one cut to fit could stand for several): None else."""
    home = schema.removeprefix(names.STAGING_PREFIX)
    if home == schema or len(schema) >= names.STAGING_LONGEST:
        return None
    return home
