"""The SQL that kitchen's data layer (masking, sampling, verification, checks, diff) writes
where engines spell it differently, as each engine spells it.

The base is what PostgreSQL and DuckDB share; an engine that spells one of these otherwise
overrides that method in its own dialect, and its adapter names it (``Warehouse.dialect``).
Hand-written, not translated by sqlglot at run time: of the constructs below sqlglot
rendered PostgreSQL's 1-based ``(ARRAY[...])[1 + n]`` for Spark as ``ARRAY(...)[1 + n]``,
Spark's arrays being 0-based (every masked name one off, the last NULL), and kept ``scale()``,
which Spark lacks: a wrong mask is a leak or a broken join, so each is written and tested
where it runs (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from kitchen.backends.warehouse.sql import Identifier, Literal, Query, join, sql

Value = Query | Identifier  # an expression, or a column


class Dialect:
    def __init__(self, name: str) -> None:
        self.name = name  # sqlglot's name for the engine's SQL (lineage, kitchen's parsing)

    def text(self, value: Value) -> Query:
        """``value`` as text."""
        return sql("CAST({} AS TEXT)", value)

    def in_utc(self, value: Value) -> Query:
        """A zoned point in time as the UTC wall clock (no zone), and such a wall clock back
        as the point in time it is in UTC: the same operator both ways."""
        return sql("({} AT TIME ZONE 'UTC')", value)

    def bits(self, number: Value, low: int, width: int) -> Query:
        """``width`` bits of a non-negative integer from bit ``low``."""
        return sql("(({} >> {}) & {})", number, Literal(low), Literal((1 << width) - 1))

    def pick(self, words: Sequence[str], index: Query) -> Query:
        """The word at ``index`` (from 0) of ``words``: one lookup, not a comparison each."""
        listed = join(", ", [Literal(word) for word in words])
        return sql("(ARRAY[{}])[1 + {}]", listed, index)

    def same_scale(self, number: Value, like: Value) -> Query:
        """``number`` rounded to the decimals ``like`` has (a number without a declared
        scale keeps its own)."""
        return sql("round({}, scale({}))", number, like)

    def joined(self, parts: Sequence[Query], separator: str = "|") -> Query:
        """``parts`` as one text, ``separator`` between them, NULLs left out."""
        return sql("concat_ws({}, {})", Literal(separator), join(", ", parts))
