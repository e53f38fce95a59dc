"""Compare a table in two schemas of one warehouse, inside the warehouse: columns, row
counts, rows by key (or as a multiset of whole rows), and numeric columns side by side. No
row passes through Python: each comparison is one query whose answer is a few numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.dialect import Dialect
from kitchen.backends.warehouse.sql import Identifier, Query, join, sql
from kitchen.data.kinds import NUMBER, base_type, family

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
    duplicates: dict[str, int] = field(default_factory=dict)  # side: keys on 2 rows or more

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
            "duplicate_keys": self.duplicates,
        }

    SUMMARY = ("table", "same", "rows", "only_in_kitchen", "only_in_other", "changed")

    def summary(self) -> dict[str, Any]:
        """The diff in short, as a merge preview gives it (docs/json.md)."""
        whole = self.to_json()
        return {name: whole[name] for name in (*self.SUMMARY, "changed_columns")}


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
    if any(link.table == table and link.origin_schema == theirs for link in warehouse.links(mine)):
        shown = warehouse.row_count(theirs, table)  # a view of their table: the same rows
        return TableDiff(table, (shown, shown), key=key)
    present = [table in warehouse.kitchen_tables(schema) for schema in schemas]
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
            if c in other and _type(other[c], theirs) != _type(ours[c], mine)
        ],
        key=[c for c in key if c in ours and c in other] if key else [],
    )
    if key and found.key != key:
        found.key = []  # a key column gone from one side: compare whole rows
    retyped = {c for c, _, _ in found.retyped}
    common = [c for c in ours if c in other and c not in retyped]
    # a type of each schema's own (an enum, a domain: dev.mpaa_rating, feature.mpaa_rating)
    # is the same type by name, but the two do not compare: they are compared as text
    own = {c for c in common if _type(ours[c], mine) != base_type(ours[c])}
    selected = join(
        ", ",
        [
            sql("{} AS {}", warehouse.dialect.text(Identifier(c)), Identifier(c))
            if c in own
            else sql("{}", Identifier(c))
            for c in common
        ],
    )
    sides = (warehouse.table(mine, table), warehouse.table(theirs, table))
    numeric = [c for c in common if family(ours[c]) == NUMBER and c not in found.key]
    stats = _by_key(warehouse, found, sides, (common, selected), numeric) if found.key else []
    if stats and (stats[0][0], stats[1][0]) != tuple(_rows(warehouse, side) for side in sides):
        # a key on two rows multiplied the join's: said, and compared as whole rows instead
        found.duplicates = {
            label: count
            for label, side in zip(("kitchen", "other"), sides, strict=True)
            if (count := _duplicates(warehouse, side, found.key))
        }
        found.key, found.changed, found.changed_columns, found.examples = [], None, {}, {}
        stats = []
    if not stats:  # the stats come with a keyed join; without one, a scan of each side
        stats = [_read_stats(warehouse, side, numeric) for side in sides]
        _as_multiset(warehouse, found, sides, selected)
    found.rows = (stats[0][0], stats[1][0])
    for column in numeric:
        mine_stats, their_stats = stats[0][1][column], stats[1][1][column]
        moved = [s for s in STATS if _moved(mine_stats[s], their_stats[s], threshold)]
        found.numbers.append(Numbers(column, mine_stats, their_stats, moved))
    return found


Stats = tuple[int, dict[str, dict[str, float | None]]]  # rows, and column: stat: value


def _stats(numeric: list[str]) -> list[Query]:
    """The row count, and each numeric column's sum, mean, min, max and NULL count, as
    aggregates over one table."""
    parts = [sql("count(*)")]
    for name in numeric:
        c = sql("{}", Identifier(name))
        parts += [*_spread(c), sql("count(*) - count({})", c)]
    return parts


def _spread(column: Query) -> list[Query]:
    return [sql(f"{stat}({{}})", column) for stat in ("sum", "avg", "min", "max")]


def _parse_stats(values: tuple[Any, ...], numeric: list[str]) -> Stats:
    """The row count and each column's sum, mean, min, max and NULLs, as ``_stats`` reads them."""
    found = {}
    for index, column in enumerate(numeric):
        these = values[1 + 5 * index : 6 + 5 * index]
        found[column] = {
            s: (float(v) if v is not None else None) for s, v in zip(STATS, these, strict=True)
        }
    return int(values[0] or 0), found


def _rows(warehouse: Warehouse, table: Identifier) -> int:
    return int(warehouse.execute(sql("SELECT count(*) FROM {}", table))[0][0])


def _duplicates(warehouse: Warehouse, table: Identifier, key: list[str]) -> int:
    """How many keys of ``table`` are on more than one row."""
    listed = join(", ", [Identifier(k) for k in key])
    query = sql(
        "SELECT count(*) FROM (SELECT {} FROM {} GROUP BY {} HAVING count(*) > 1) AS d",
        listed,
        table,
        listed,
    )
    return int(warehouse.execute(query)[0][0])


def _read_stats(warehouse: Warehouse, table: Identifier, numeric: list[str]) -> Stats:
    """One scan of ``table`` for its stats."""
    (row,) = warehouse.execute(sql("SELECT {} FROM {}", join(", ", _stats(numeric)), table))
    return _parse_stats(row, numeric)


def _moved(mine: float | None, theirs: float | None, threshold: float) -> bool:
    if mine is None or theirs is None:
        return mine is not theirs
    if theirs == 0:
        return mine != 0
    return math.fabs(mine - theirs) / math.fabs(theirs) > threshold


def _type(sql_type: str, schema: str) -> str:
    """``numeric(10,2)`` as numeric; ``dev.year``, a type of the table's own schema, as
    ``year`` (a kitchen has its own copy of its parent's enums and domains)."""
    named = base_type(sql_type)
    for prefix in (f"{schema.lower()}.", f'"{schema.lower()}".'):
        named = named.removeprefix(prefix)
    return named


def _side(table: Identifier, selected: Query) -> Query:
    """The table's ``selected`` columns and a marker saying the row is on this side."""
    return sql("(SELECT {}, 1 AS {} FROM {})", selected, Identifier(SIDE), table)


def _by_key(
    warehouse: Warehouse,
    found: TableDiff,
    sides: tuple[Identifier, Identifier],
    columns: tuple[list[str], Query],
    numeric: list[str],
) -> list[Stats]:
    """One full join on the key, read once: rows on one side only, rows whose values differ
    (in all, and column by column), the smallest and largest key of each kind, and each
    side's stats. The join yields each row's facts once (whether it is on each side, whether
    each column differs: ``OFFSET 0`` keeps the engine from inlining them into every
    aggregate that reads them), and the aggregates count them."""
    a, b, marker = Identifier("a"), Identifier("b"), Identifier(SIDE)
    common, selected = columns
    values = [c for c in common if c not in found.key]
    facts: list[Query] = [
        sql("{}.{} IS NOT NULL AS {}", a, marker, Identifier("in_kitchen")),
        sql("{}.{} IS NOT NULL AS {}", b, marker, Identifier("in_other")),
    ]
    facts += [
        sql("{}.{} IS DISTINCT FROM {}.{} AS {}", a, Identifier(c), b, Identifier(c), _nth("d", n))
        for n, c in enumerate(values)
    ]
    for side, label in ((a, "ka"), (b, "kb")):
        facts += [
            sql("{}.{} AS {}", side, Identifier(k), _nth(label, n)) for n, k in enumerate(found.key)
        ]
    for side, label in ((a, "na"), (b, "nb")):
        facts += [
            sql("{}.{} AS {}", side, Identifier(c), _nth(label, n)) for n, c in enumerate(numeric)
        ]
    on = join(
        " AND ", [sql("{}.{} = {}.{}", a, Identifier(k), b, Identifier(k)) for k in found.key]
    )
    joined = sql(
        "SELECT {} FROM {} {} FULL JOIN {} {} ON {} OFFSET 0",
        join(", ", facts),
        _side(sides[0], selected),
        a,
        _side(sides[1], selected),
        b,
        on,
    )
    in_kitchen, in_other = sql("{}", Identifier("in_kitchen")), sql("{}", Identifier("in_other"))
    any_differs = (
        join(" OR ", [_nth("d", n) for n in range(len(values))]) if values else sql("FALSE")
    )
    kinds = {
        "only_in_kitchen": (sql("NOT {}", in_other), "ka"),
        "only_in_other": (sql("NOT {}", in_kitchen), "kb"),
        "changed": (sql("{} AND {} AND ({})", in_kitchen, in_other, any_differs), "ka"),
    }
    measured = [*_joined_stats(numeric, "na", in_kitchen), *_joined_stats(numeric, "nb", in_other)]
    parts = [*measured, *(_count(condition) for condition, _ in kinds.values())]
    parts += [
        _count(sql("{} AND {} AND {}", in_kitchen, in_other, _nth("d", n)))
        for n in range(len(values))
    ]
    for condition, label in kinds.values():
        text = _key_text(warehouse.dialect, label, len(found.key))
        parts += [
            sql("min({}) FILTER (WHERE {})", text, condition),
            sql("max({}) FILTER (WHERE {})", text, condition),
        ]
    (everything,) = warehouse.execute(
        sql("SELECT {} FROM ({}) AS facts", join(", ", parts), joined)
    )
    half = len(measured) // 2
    stats = [_parse_stats(everything[:half], numeric), _parse_stats(everything[half:], numeric)]
    row = everything[len(measured) :]
    found.only_kitchen, found.only_other, found.changed = (int(v or 0) for v in row[:3])
    counts = row[3 : 3 + len(values)]
    found.changed_columns = {c: int(n or 0) for c, n in zip(values, counts, strict=True) if n}
    examples = row[3 + len(values) :]
    for index, kind in enumerate(kinds):
        shown = [str(v) for v in examples[2 * index : 2 * index + 2] if v is not None]
        if shown:
            found.examples[kind] = list(dict.fromkeys(shown))[:EXAMPLES]
    return stats


def _nth(label: str, number: int) -> Identifier:
    """A column of the join's facts: ``d0``, ``ka1``... (kitchen's names, not the table's)."""
    return Identifier(f"{label}{number}")


def _joined_stats(numeric: list[str], label: str, here: Query) -> list[Query]:
    """The stats of one side of the join (the other side's rows read as NULLs)."""
    parts = [_count(here)]
    for n in range(len(numeric)):
        column = sql("{}", _nth(label, n))
        parts += [*_spread(column), _count(sql("{} AND {} IS NULL", here, column))]
    return parts


def _count(condition: Query) -> Query:
    return sql("count(*) FILTER (WHERE {})", condition)


def _key_text(dialect: Dialect, label: str, columns: int) -> Query:
    """A key as it is (``17``), or as text for a key of several columns (``17|2026-01-01``):
    an aggregate's argument, so made only for the rows its filter lets through."""
    if columns == 1:
        return sql("{}", _nth(label, 0))
    return dialect.joined([dialect.text(_nth(label, n)) for n in range(columns)])


def _as_multiset(
    warehouse: Warehouse, found: TableDiff, sides: tuple[Identifier, Identifier], listed: Query
) -> None:
    """Without a key: whole rows (of the columns both have), counted with their repeats."""
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
