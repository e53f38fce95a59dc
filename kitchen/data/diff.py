"""Compare a table in two schemas of one warehouse, inside the warehouse: columns, row
counts, rows by key (or as a multiset of whole rows), and numeric columns side by side. No
row passes through Python: each comparison is one query whose answer is a few numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.sql import Identifier, Query, join, sql
from kitchen.data.masking import NUMBER, base_type, family

SIDE = "kitchen_diff_side"  # a marker column: which side of the full join a row is on
EXAMPLES = 2  # example keys per kind of difference: the smallest and the largest
STATS = ("sum", "mean", "min", "max", "nulls")


@dataclass
class Numbers:
    column: str
    kitchen: dict[str, float | None]
    other: dict[str, float | None]
    flagged: list[str] = field(default_factory=list)  # stats that moved past the threshold


@dataclass
class TableDiff:
    table: str
    rows: tuple[int | None, int | None]  # in the kitchen, in the other (None: no such table)
    added: list[str] = field(default_factory=list)  # columns only the kitchen's table has
    removed: list[str] = field(default_factory=list)
    retyped: list[tuple[str, str, str]] = field(default_factory=list)  # column, was, is
    key: list[str] = field(default_factory=list)  # empty: compared as a multiset of rows
    only_kitchen: int = 0
    only_other: int = 0
    changed: int | None = None  # rows of one key with other values (None: no key)
    changed_columns: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)  # kind: keys, as text
    numbers: list[Numbers] = field(default_factory=list)

    @property
    def same(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.retyped
            or self.only_kitchen
            or self.only_other
            or self.changed
            or self.rows[0] != self.rows[1]
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "same": self.same,
            "rows": {"kitchen": self.rows[0], "other": self.rows[1]},
            "columns": {
                "added": self.added,
                "removed": self.removed,
                "retyped": [{"column": c, "was": w, "is": i} for c, w, i in self.retyped],
            },
            "key": self.key,
            "only_in_kitchen": self.only_kitchen,
            "only_in_other": self.only_other,
            "changed": self.changed,
            "changed_columns": self.changed_columns,
            "examples": self.examples,
            "numbers": [vars(n) for n in self.numbers],
        }


def compare(
    warehouse: Warehouse,
    table: str,
    schemas: tuple[str, str],
    key: list[str],
    threshold: float,
) -> TableDiff:
    """``table`` in the kitchen's schema against the other's (``schemas``), by ``key``
    (none: whole rows as a multiset); numeric stats moving more than ``threshold`` (a
    fraction) are flagged."""
    mine, theirs = schemas
    present = [table in warehouse.list_tables(schema) for schema in schemas]
    types = [
        dict(warehouse.column_types(s, table)) if here else {}
        for s, here in zip(schemas, present, strict=True)
    ]
    if not all(present):
        rows = tuple(
            warehouse.row_count(s, table) if here else None
            for s, here in zip(schemas, present, strict=True)
        )
        return TableDiff(table, (rows[0], rows[1]))
    ours, other = types
    found = TableDiff(
        table,
        (None, None),
        added=[c for c in ours if c not in other],
        removed=[c for c in other if c not in ours],
        retyped=[
            (c, other[c], ours[c])
            for c in ours
            if c in other and base_type(other[c]) != base_type(ours[c])
        ],
        key=[c for c in key if c in ours and c in other] if key else [],
    )
    if key and found.key != key:
        found.key = []  # a key column gone from one side: compare whole rows
    retyped = {c for c, _, _ in found.retyped}
    common = [c for c in ours if c in other and c not in retyped]
    sides = (warehouse.table(mine, table), warehouse.table(theirs, table))
    numeric = [c for c in common if family(ours[c]) == NUMBER]
    stats = [_stats(warehouse, side, numeric) for side in sides]
    found.rows = (stats[0][0], stats[1][0])
    for column in numeric:
        mine_stats, their_stats = stats[0][1][column], stats[1][1][column]
        moved = [s for s in STATS if _moved(mine_stats[s], their_stats[s], threshold)]
        found.numbers.append(Numbers(column, mine_stats, their_stats, moved))
    if found.key:
        _by_key(warehouse, found, sides, common)
    else:
        _as_multiset(warehouse, found, sides, common)
    return found


def _stats(
    warehouse: Warehouse, table: Identifier, numeric: list[str]
) -> tuple[int, dict[str, dict[str, float | None]]]:
    """The row count, and each numeric column's sum, mean, min, max and NULL count: one scan."""
    parts = [sql("count(*)")]
    for column in numeric:
        c = Identifier(column)
        parts += [
            sql("sum({})", c),
            sql("avg({})", c),
            sql("min({})", c),
            sql("max({})", c),
            sql("count(*) - count({})", c),
        ]
    (row,) = warehouse.execute(sql("SELECT {} FROM {}", join(", ", parts), table))
    found = {}
    for index, column in enumerate(numeric):
        values = row[1 + 5 * index : 6 + 5 * index]
        found[column] = {
            s: (float(v) if v is not None else None) for s, v in zip(STATS, values, strict=True)
        }
    return int(row[0]), found


def _moved(mine: float | None, theirs: float | None, threshold: float) -> bool:
    if mine is None or theirs is None:
        return mine is not theirs
    if theirs == 0:
        return mine != 0
    return math.fabs(mine - theirs) / math.fabs(theirs) > threshold


def _side(table: Identifier, columns: list[str]) -> Query:
    """The table's ``columns`` and a marker saying the row is on this side."""
    listed = join(", ", [Identifier(c) for c in columns])
    return sql("(SELECT {}, 1 AS {} FROM {})", listed, Identifier(SIDE), table)


def _by_key(
    warehouse: Warehouse, found: TableDiff, sides: tuple[Identifier, Identifier], common: list[str]
) -> None:
    """One full join on the key: rows on one side only, rows whose values differ (in all,
    and column by column), and the smallest and largest key of each kind."""
    a, b, marker = Identifier("a"), Identifier("b"), Identifier(SIDE)
    values = [c for c in common if c not in found.key]
    only_kitchen = sql("{}.{} IS NULL", b, marker)
    only_other = sql("{}.{} IS NULL", a, marker)
    both = sql("{}.{} IS NOT NULL AND {}.{} IS NOT NULL", a, marker, b, marker)
    differs = {
        c: sql("{}.{} IS DISTINCT FROM {}.{}", a, Identifier(c), b, Identifier(c)) for c in values
    }
    changed = (
        sql("{} AND ({})", both, join(" OR ", list(differs.values()))) if values else sql("1 = 0")
    )
    key_of = {
        "only_in_kitchen": (only_kitchen, a),
        "only_in_other": (only_other, b),
        "changed": (changed, a),
    }
    parts = [_count(only_kitchen), _count(only_other), _count(changed)]
    parts += [_count(sql("{} AND {}", both, differs[c])) for c in values]
    for condition, side in key_of.values():
        text = _key_text(side, found.key)
        parts += [
            sql("min(CASE WHEN {} THEN {} END)", condition, text),
            sql("max(CASE WHEN {} THEN {} END)", condition, text),
        ]
    on = join(
        " AND ", [sql("{}.{} = {}.{}", a, Identifier(k), b, Identifier(k)) for k in found.key]
    )
    query = sql(
        "SELECT {} FROM {} {} FULL JOIN {} {} ON {}",
        join(", ", parts),
        _side(sides[0], common),
        a,
        _side(sides[1], common),
        b,
        on,
    )
    (row,) = warehouse.execute(query)
    found.only_kitchen, found.only_other, found.changed = (int(v or 0) for v in row[:3])
    counts = row[3 : 3 + len(values)]
    found.changed_columns = {c: int(n or 0) for c, n in zip(values, counts, strict=True) if n}
    examples = row[3 + len(values) :]
    for index, kind in enumerate(key_of):
        shown = [str(v) for v in examples[2 * index : 2 * index + 2] if v is not None]
        if shown:
            found.examples[kind] = list(dict.fromkeys(shown))[:EXAMPLES]


def _count(condition: Query) -> Query:
    return sql("sum(CASE WHEN {} THEN 1 ELSE 0 END)", condition)


def _key_text(side: Identifier, key: list[str]) -> Query:
    """A key as text (``17``, or ``17|2026-01-01`` for a key of two columns)."""
    parts = [sql("CAST({}.{} AS VARCHAR)", side, Identifier(k)) for k in key]
    return parts[0] if len(parts) == 1 else sql("concat_ws('|', {})", join(", ", parts))


def _as_multiset(
    warehouse: Warehouse, found: TableDiff, sides: tuple[Identifier, Identifier], common: list[str]
) -> None:
    """Without a key: whole rows (of the columns both have), counted with their repeats."""
    listed = join(", ", [Identifier(c) for c in common])
    for attribute, (first, second) in (
        ("only_kitchen", sides),
        ("only_other", sides[::-1]),
    ):
        query = sql(
            "SELECT count(*) FROM (SELECT {} FROM {} EXCEPT ALL SELECT {} FROM {}) AS d",
            listed,
            first,
            listed,
            second,
        )
        setattr(found, attribute, int(warehouse.execute(query)[0][0]))
