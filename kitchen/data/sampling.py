"""Deterministic, foreign-key-consistent samples, planned as data (``rows.py``'s tree)
that each engine compiles to SQL (``rowsql.py``).

Each sampled table keeps its own sample (a deterministic hash of the seed and the row's
primary key, or of the whole row when the table has none) plus every row that a kept row of a
child table references. So no kept row points at a dropped parent, and the parents of kept
rows are kept. Tables are walked children first; a cycle is broken at a nullable foreign key,
whose dangling references become NULL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from kitchen import config
from kitchen.backends.warehouse.base import Reference
from kitchen.backends.warehouse.rows import (
    AnyOf,
    Keep,
    KeyIn,
    Own,
    Percent,
    Referenced,
    Rows,
    Select,
    Spec,
    TablePlan,
)
from kitchen.errors import ConfigError
from kitchen.names import did_you_mean
from kitchen.text import counted

ALL = None  # every row


def parse_spec(value: str | int | None, where: str) -> Spec:
    if value is None or value in ("all", "100%"):
        return ALL
    if isinstance(value, str) and value.strip().isdecimal():  # from the command line
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Rows(value)
    if isinstance(value, str) and (match := re.fullmatch(r"(\d+(?:\.\d+)?)%", value.strip())):
        percent = float(match[1])
        if 0 < percent <= 100:
            return ALL if percent == 100 else Percent(percent)
    raise ConfigError(
        f"{where}: expected a percent above 0 and at most 100 like '10%', a row count or 'all'."
    )


def describe(spec: Spec) -> str:
    """How a parsed sample reads in ``kitchen show``: 10%, 300 rows, all."""
    if isinstance(spec, Percent):
        return f"{spec.value:g}%"
    if isinstance(spec, Rows):
        return counted(spec.count, "row")
    return "all"


def virtual_references(declared: list[str]) -> list[Reference]:
    """``orders.customer_id -> customers.id`` entries of data.sample.foreign_keys."""
    references = []
    for index, text in enumerate(declared):
        match = re.fullmatch(r"\s*(\w+)\.(\w+)\s*->\s*(\w+)\.(\w+)\s*", text)
        if not match:
            raise ConfigError(
                f"data.sample.foreign_keys[{index}]: expected 'table.column -> table.column'."
            )
        table, column, parent, parent_column = match.groups()
        references.append(Reference(table, (column,), parent, (parent_column,), nullable=False))
    return references


def check(settings: config.Sample, tables: Mapping[str, Sequence[str]]) -> None:
    """Every table and column ``data.sample`` names is there (``tables``: their columns);
    exit 2 with every one that is not, each on a line."""
    problems = [
        f"data.sample.tables.{name}: there is no table {name!r}.{did_you_mean(name, tables)}"
        for name in settings.tables
        if name not in tables
    ]
    for index, reference in enumerate(virtual_references(settings.foreign_keys)):
        where = f"data.sample.foreign_keys[{index}]"
        sides = ((reference.table, reference.columns), (reference.parent, reference.parent_columns))
        for table, columns in sides:
            if table not in tables:
                problems.append(
                    f"{where}: there is no table {table!r}.{did_you_mean(table, tables)}"
                )
                continue
            problems += [
                f"{where}: {table} has no column {column!r}.{did_you_mean(column, tables[table])}"
                for column in columns
                if column not in tables[table]
            ]
    if problems:
        raise ConfigError("\n".join(problems))


def plan(
    settings: config.Sample,
    tables: Mapping[str, list[str]],
    references: list[Reference],
    *,
    default: str | int | None = None,
    keys: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, TablePlan]:
    """How to copy each table (``tables``: their columns); empty when nothing is sampled.

    ``default`` overrides ``settings.default`` (``kitchen create --sample``); ``keys`` are
    the tables' primary keys, which identify a row for its sample decision.
    """
    check(settings, tables)
    fallback = parse_spec(settings.default, "data.sample.default")  # checked even if overridden
    if default is not None:
        fallback = parse_spec(default, "--sample")
    specs = {
        t: parse_spec(settings.tables[t], f"data.sample.tables.{t}")
        if t in settings.tables
        else fallback
        for t in tables
    }
    # a table without columns (PostgreSQL allows one) has nothing that tells its rows apart
    specs |= {t: ALL for t, columns in tables.items() if not columns}
    if all(spec is ALL for spec in specs.values()):
        return {}
    edges = [r for r in references if r.table in specs and r.parent in specs]
    kept, broken = _break_cycles(edges, specs)
    identity = {
        table: list((keys or {}).get(table) or columns) for table, columns in tables.items()
    }
    walker = _Walker(specs, kept, settings.seed, identity)
    plans = {table: TablePlan(keep=walker.alternatives(table)) for table in tables}
    for reference in broken:
        parent_rows = walker.kept(reference.parent)
        if parent_rows is None:
            continue
        parents = Select(reference.parent, reference.parent_columns, parent_rows)
        present = KeyIn(reference.columns, (parents,))
        for column in reference.columns:
            plans[reference.table].nulled[column] = present
    return plans


def _break_cycles(
    edges: list[Reference], specs: Mapping[str, Spec]
) -> tuple[list[Reference], list[Reference]]:
    """Drop nullable edges inside cycles until none is left among sampled tables."""
    kept, broken = list(edges), []
    while cycle := _cycle(kept, specs):
        nullable = next((edge for edge in cycle if edge.nullable), None)
        if nullable is None:
            path = " -> ".join([cycle[0].table, *(edge.parent for edge in cycle)])
            raise ConfigError(
                f"data.sample: cannot sample the foreign-key cycle {path}: none of its keys is "
                "nullable, so it cannot be broken.",
                hint="Copy these tables whole: data.sample.tables: {"
                + ", ".join(f"{edge.table}: all" for edge in cycle)
                + "}.",
            )
        kept.remove(nullable)
        broken.append(nullable)
    return kept, broken


def _cycle(edges: list[Reference], specs: Mapping[str, Spec]) -> list[Reference] | None:
    """A cycle of child -> parent edges among sampled tables, or None.

    Tables copied whole end the walk: their predicate does not look at their children.
    """
    by_child: dict[str, list[Reference]] = {}
    for edge in edges:
        by_child.setdefault(edge.table, []).append(edge)

    def walk(
        start: str, table: str, path: list[Reference], seen: set[str]
    ) -> list[Reference] | None:
        for edge in by_child.get(table, []):
            if edge.parent == start:
                return [*path, edge]
            if edge.parent not in seen and specs[edge.parent] is not ALL:
                seen.add(edge.parent)
                found = walk(start, edge.parent, [*path, edge], seen)
                if found:
                    return found
        return None

    for start in sorted(specs):
        if specs[start] is not ALL and (found := walk(start, start, [], {start})):
            return found
    return None


class _Walker:
    """Builds each table's keep tree from its sample and its children's kept rows."""

    def __init__(
        self,
        specs: Mapping[str, Spec],
        edges: list[Reference],
        seed: int,
        identity: Mapping[str, list[str]],
    ) -> None:
        self.identity = identity  # the columns that identify a row: its key, or all
        self.specs = specs
        self.children: dict[str, list[Reference]] = {}
        for edge in edges:
            self.children.setdefault(edge.parent, []).append(edge)
        self.seed = seed
        self.memo: dict[str, Keep | None] = {}

    def kept(self, table: str) -> Keep | None:
        if table not in self.memo:
            self.memo[table] = self._kept(table)
        return self.memo[table]

    def alternatives(self, table: str) -> list[Keep]:
        """``kept(table)`` as alternatives of which a row must meet one: the table's own
        sample, then one per child, that a kept row of the child references it; none:
        every row."""
        own = self._own(table)
        if own is None:
            return []
        return [
            own,
            *(Referenced(edge, self.kept(edge.table)) for edge in self.children.get(table, [])),
        ]

    def _own(self, table: str) -> Own | None:
        spec = self.specs[table]
        return None if spec is ALL else Own(table, spec, tuple(self.identity[table]), self.seed)

    def _kept(self, table: str) -> Keep | None:
        own = self._own(table)
        edges = self.children.get(table, [])
        if own is None or not edges:
            return own
        branches = [(edge.parent_columns, self._referenced(edge)) for edge in edges]
        keys = {columns for columns, _ in branches}
        if len(keys) == 1:
            # key IN (own sample UNION ALL what the children reference): a single semi-join.
            # PostgreSQL cannot make a semi-join of a subquery under OR, and falls back to
            # rescanning it for every row once its hash no longer fits in work_mem.
            key = keys.pop()
            mine = Select(table, key, own)
            return KeyIn(key, (mine, *(select for _, select in branches)))
        return AnyOf((own, *(KeyIn(key, (select,)) for key, select in branches)))

    def _referenced(self, edge: Reference) -> Select:
        """The parent keys that the kept rows of ``edge.table`` reference."""
        return Select(edge.table, edge.columns, self.kept(edge.table))
