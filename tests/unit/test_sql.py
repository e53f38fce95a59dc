from __future__ import annotations

import pytest

from kitchen.backends.warehouse.sql import (
    Identifier,
    Placeholder,
    Query,
    join,
    quote_identifier,
    sql,
)


def render(query: Query) -> str:
    return query.render(quote_identifier, "?")


def test_identifiers_are_quoted_and_embedded_quotes_doubled() -> None:
    query = sql("SELECT * FROM {} WHERE name = {}", Identifier("s", 'a"b'), Placeholder())
    assert render(query) == 'SELECT * FROM "s"."a""b" WHERE name = ?'


def test_queries_nest_and_join() -> None:
    columns = join(", ", [Identifier("a"), Identifier("b")])
    assert (
        render(sql("INSERT INTO {} ({})", Identifier("t"), columns)) == 'INSERT INTO "t" ("a", "b")'
    )


def test_slot_count_must_match() -> None:
    with pytest.raises(ValueError, match="2 slots for 1"):
        sql("{} {}", Identifier("a"))


def test_nul_cannot_be_quoted() -> None:
    with pytest.raises(ValueError):
        quote_identifier("a\x00b")
