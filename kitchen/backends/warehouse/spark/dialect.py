"""How Spark SQL spells what kitchen writes: backtick-quoted names, string literals with
backslash escapes, and the dialect's text casts, bit shifts, 1-based array lookups and
decimal scales, which masking, sampling and checks write through."""

from __future__ import annotations

from collections.abc import Sequence

from kitchen.backends.warehouse import sql as sql_text
from kitchen.backends.warehouse.dialect import Dialect, Value
from kitchen.backends.warehouse.sql import Literal, Query, join, sql


class SparkDialect(Dialect):
    def text(self, value: Value) -> Query:
        return sql("CAST({} AS STRING)", value)

    def bits(self, number: Value, low: int, width: int) -> Query:
        return sql("(shiftright({}, {}) & {})", number, Literal(low), Literal((1 << width) - 1))

    def pick(self, words: Sequence[str], index: Query) -> Query:
        listed = join(", ", [Literal(word) for word in words])
        return sql("element_at(array({}), 1 + {})", listed, index)  # element_at counts from 1

    def same_scale(self, number: Value, like: Value) -> Query:
        return sql("{}", number)  # every Spark decimal has its scale: the cast keeps it


def quote_identifier(name: str) -> str:
    return sql_text.quote_identifier(name, "`")


def quote_literal(value: str | int | float) -> str:
    """Spark reads backslash escapes in string literals, and two quoted strings side by
    side as one ('it''s' is its): quotes and backslashes are escaped."""
    return sql_text.quote_literal(
        value, lambda text: text.replace("\\", "\\\\").replace("'", "\\'")
    )


def render(query: Query) -> str:
    """``query`` as Spark reads it, its values written in as literals."""
    return query.render(quote_identifier, "?", literal=quote_literal)
