"""The registry's layout: its tables, and the numbered migrations that bring a registry made
by an earlier release forward. Each migration applied is recorded in the registry itself
(``kitchen_meta.migrations``), in the transaction that applies it, so a registry is brought
forward once, by the first command that writes to it, and a later one reads one number.

A migration is idempotent (``IF NOT EXISTS``, columns added where missing): two commands
of one release that meet the same old registry both apply it, and the second's record of
it is refused by the first's, harmlessly. A new table, column or index is a new migration
at the end of ``MIGRATIONS``; one that has been released is never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kitchen.backends.warehouse.base import Column, TableSpec, Warehouse
from kitchen.backends.warehouse.sql import Identifier, Query, join, sql
from kitchen.errors import WarehouseError
from kitchen.model import utcnow
from kitchen.names import REGISTRY_SCHEMA

KITCHENS = TableSpec(
    name="kitchens",
    columns=(
        Column("name", "TEXT"),
        Column("parent", "TEXT"),
        Column("environment", "TEXT"),
        Column("branch", "TEXT"),
        Column("schema_name", "TEXT"),
        Column("status", "TEXT"),
        Column("protected", "BOOLEAN"),
        Column("is_root", "BOOLEAN"),
        Column("staff", "TEXT"),
        Column("created_by", "TEXT"),
        Column("created_at", "TEXT"),
        Column("expires_at", "TEXT"),
        Column("data", "TEXT"),
        Column("error", "TEXT"),
        Column("ticket", "TEXT"),
        Column("notify", "TEXT"),  # JSON: target names
    ),
    primary_key="name",
)
COLUMNS = [column.name for column in KITCHENS.columns]
RUNS = TableSpec(
    name="runs",
    columns=(
        Column("id", "TEXT"),
        Column("kitchen", "TEXT"),
        Column("pipelines", "TEXT"),
        Column("commit_sha", "TEXT"),
        Column("dirty", "BOOLEAN"),
        Column("started_at", "TEXT"),
        Column("ended_at", "TEXT"),
        Column("status", "TEXT"),
        Column("results", "TEXT"),  # JSON: nodes and checks with their metrics
    ),
    primary_key="id",
)
RELEASES = TableSpec(
    name="releases",
    columns=(
        Column("tag", "TEXT"),
        Column("kitchen", "TEXT"),
        Column("kind", "TEXT"),  # promote, rollback
        Column("commit_sha", "TEXT"),
        Column("at", "TEXT"),
        Column("actor", "TEXT"),
        Column("details", "TEXT"),  # JSON: source, commits, test runs, approver
    ),
)
LOCKS = TableSpec(
    name="locks",
    columns=(
        Column("target", "TEXT"),
        Column("holder", "TEXT"),
        Column("since", "TEXT"),
        Column("host", "TEXT"),
        Column("pid", "INTEGER"),
    ),
    primary_key="target",
)
OPERATIONS = TableSpec(
    name="operations",
    columns=(
        Column("id", "TEXT"),
        Column("command", "TEXT"),  # create, delete, refresh, update, merge, promote, ...
        Column("kitchen", "TEXT"),
        Column("actor", "TEXT"),
        Column("host", "TEXT"),
        Column("pid", "INTEGER"),
        Column("since", "TEXT"),
        Column("step", "TEXT"),  # the last step completed
        Column("details", "TEXT"),  # JSON: what recovery needs (branch, commit before, tag...)
    ),
    primary_key="id",
)
OWNED = TableSpec(  # every schema, branch and login kitchen made for a kitchen, until it is gone
    name="owned",
    columns=(Column("kind", "TEXT"), Column("name", "TEXT"), Column("kitchen", "TEXT")),
)
EVENTS = TableSpec(
    name="events",
    columns=(
        Column("at", "TEXT"),
        Column("actor", "TEXT"),
        Column("action", "TEXT"),  # create, delete, refresh, update, merge, promote, ...
        Column("kitchen", "TEXT"),
        Column("result", "TEXT"),  # ok, failed
        Column("details", "TEXT"),  # JSON: commits, sources, runs...
    ),
)

SCHEDULES = TableSpec(  # a schedule switched on or off in a kitchen, and its latest slot
    name="schedules",
    columns=(
        Column("id", "TEXT"),  # kitchen/pipeline.schedule
        Column("kitchen", "TEXT"),
        Column("schedule", "TEXT"),  # pipeline.schedule
        Column("enabled", "BOOLEAN"),
        Column("changed_by", "TEXT"),
        Column("changed_at", "TEXT"),
        Column("last_slot", "TEXT"),  # the newest slot run (or, until one is, when enabled)
        Column("last_run", "TEXT"),
        Column("last_status", "TEXT"),
    ),
    primary_key="id",
)
SLOTS = TableSpec(  # a slot of a schedule, taken by the run-due that runs it: never two
    name="schedule_slots",
    columns=(
        Column("id", "TEXT"),  # kitchen/pipeline.schedule@slot
        Column("kitchen", "TEXT"),
        Column("slot", "TEXT"),
        Column("taken_at", "TEXT"),
        Column("host", "TEXT"),
        Column("pid", "INTEGER"),
    ),
    primary_key="id",
)


TABLES = (RUNS, EVENTS, LOCKS, RELEASES, OPERATIONS, OWNED, SCHEDULES, SLOTS)
# what the reads ask: a kitchen's runs and events newest first, the whole trail newest first
INDEXES = {  # on times compared as bytes, as the registry's reads order them
    "runs_by_kitchen_bytewise": (RUNS, ("kitchen", "started_at")),
    "events_by_kitchen_bytewise": (EVENTS, ("kitchen", "at")),
    "events_by_time_bytewise": (EVENTS, ("at",)),
}
RETIRED_INDEXES = ("runs_by_kitchen", "events_by_kitchen", "events_by_time")  # no use to them
MIGRATIONS_TABLE = TableSpec(
    name="migrations",
    columns=(Column("version", "INTEGER"), Column("name", "TEXT"), Column("applied_at", "TEXT")),
    primary_key="version",
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Warehouse], None]


def _tables(warehouse: Warehouse) -> None:
    warehouse.create_schema(REGISTRY_SCHEMA)
    have = set(warehouse.list_tables(REGISTRY_SCHEMA))
    for spec in (KITCHENS, *TABLES):
        if spec.name not in have:
            warehouse.create_table(REGISTRY_SCHEMA, spec)


def _lock_holders(warehouse: Warehouse) -> None:
    """A locks table without host and pid is made anew: it only ever holds the locks of
    merges running now."""
    columns = {name for name, _ in warehouse.column_types(REGISTRY_SCHEMA, LOCKS.name)}
    if columns >= {column.name for column in LOCKS.columns}:
        return
    warehouse.execute(sql("DROP TABLE {}", warehouse.table(REGISTRY_SCHEMA, LOCKS.name)))
    warehouse.create_table(REGISTRY_SCHEMA, LOCKS)


def _kitchen_columns(warehouse: Warehouse) -> None:
    """The columns an earlier kitchens table lacks, added (empty)."""
    have = {name for name, _ in warehouse.column_types(REGISTRY_SCHEMA, KITCHENS.name)}
    table = warehouse.table(REGISTRY_SCHEMA, KITCHENS.name)
    for column in [c for c in KITCHENS.columns if c.name not in have]:
        warehouse.execute(  # the type is this module's own, never a user's
            sql(
                "ALTER TABLE {} ADD COLUMN {} {}",
                table,
                Identifier(column.name),
                Query((column.type,)),
            )
        )


def _bytewise_indexes(warehouse: Warehouse) -> None:
    """The indexes the reads need, on times compared as bytes as the reads order them; the
    earlier ones on times as text are of no use to them and a cost to every write."""
    for name, (spec, columns) in INDEXES.items():
        warehouse.execute(
            sql(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({})",
                Identifier(f"{REGISTRY_SCHEMA}_{name}"),
                warehouse.table(REGISTRY_SCHEMA, spec.name),
                join(", ", [ordered(warehouse, column) for column in columns]),
            )
        )
    for name in RETIRED_INDEXES:
        index = warehouse.table(REGISTRY_SCHEMA, f"{REGISTRY_SCHEMA}_{name}")
        warehouse.execute(sql("DROP INDEX IF EXISTS {}", index))


def ordered(warehouse: Warehouse, column: str) -> Query:
    """A text column as the registry orders it: byte by byte (a kitchen's, in indexes, only
    matched: as it is)."""
    named = sql("{}", Identifier(column))
    return named if column == "kitchen" else warehouse.bytewise(named)


MIGRATIONS = (
    Migration(1, "kitchens, runs, audit trail, releases, locks, operations, schedules", _tables),
    Migration(2, "merge locks name their holder's host and process", _lock_holders),
    Migration(3, "kitchens record their ticket and notification targets", _kitchen_columns),
    Migration(4, "runs and the audit trail indexed on times as bytes", _bytewise_indexes),
)
LATEST = MIGRATIONS[-1].version


def recorded(warehouse: Warehouse) -> int:
    """The newest migration a registry with a migrations table records."""
    table = warehouse.table(REGISTRY_SCHEMA, MIGRATIONS_TABLE.name)
    found = warehouse.execute(sql("SELECT max(version) FROM {}", table))[0][0]
    return int(found or 0)


def migrate(warehouse: Warehouse, since: int) -> None:
    """Apply and record every migration after ``since`` (0: a registry made before them,
    or none at all)."""
    with warehouse.transaction():
        warehouse.create_schema(REGISTRY_SCHEMA)
        if MIGRATIONS_TABLE.name not in warehouse.list_tables(REGISTRY_SCHEMA):
            warehouse.create_table(REGISTRY_SCHEMA, MIGRATIONS_TABLE)
    for migration in MIGRATIONS:
        if migration.version <= since:
            continue
        record = (migration.version, migration.name, utcnow())
        try:
            with warehouse.transaction():
                migration.apply(warehouse)
                warehouse.insert_rows(
                    REGISTRY_SCHEMA,
                    MIGRATIONS_TABLE.name,
                    ["version", "name", "applied_at"],
                    [record],
                )
        except WarehouseError:
            if recorded(warehouse) < migration.version:  # not another command's record
                raise
