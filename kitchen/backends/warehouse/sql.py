"""Composable SQL whose identifiers are always quoted by the adapter that runs it.

Modelled on ``psycopg.sql`` so the PostgreSQL adapter can hand the parts to psycopg as they
are, while DuckDB (which has no such module) renders them with its own quoting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Identifier:
    """A possibly qualified name: ``Identifier("schema", "table")``."""

    parts: tuple[str, ...]

    def __init__(self, *parts: str) -> None:
        object.__setattr__(self, "parts", parts)


@dataclass(frozen=True)
class Placeholder:
    """Where a parameter value goes; values never enter the SQL text."""


@dataclass(frozen=True)
class Literal:
    """A constant from kitchen's own config or dictionaries, quoted by the adapter.

    For statements that take no parameters (``COPY``); never use it for a secret.
    """

    value: str | int | float


@dataclass(frozen=True)
class SourceTable:
    """A table of the schema being copied from, named as the adapter can reach it."""

    table: str


Part = str | Identifier | Placeholder | Literal | SourceTable


@dataclass(frozen=True)
class Query:
    parts: tuple[Part, ...]

    def render(
        self,
        quote: Callable[[str], str],
        placeholder: str,
        literal: Callable[[str | int | float], str] | None = None,
    ) -> str:
        literal = literal or quote_literal
        out = []
        for part in self.parts:
            if isinstance(part, Identifier):
                out.append(".".join(quote(name) for name in part.parts))
            elif isinstance(part, Placeholder):
                out.append(placeholder)
            elif isinstance(part, Literal):
                out.append(literal(part.value))
            elif isinstance(part, SourceTable):
                raise ValueError(f"unresolved source table {part.table!r}: resolve_sources first")
            else:
                out.append(part)
        return "".join(out)


Arg = Identifier | Placeholder | Literal | SourceTable | Query


def sql(template: str, *args: Arg) -> Query:
    """``sql("SELECT * FROM {} WHERE name = {}", Identifier("s", "t"), Placeholder())``."""
    texts = template.split("{}")
    if len(texts) != len(args) + 1:
        raise ValueError(f"template has {len(texts) - 1} slots for {len(args)} arguments")
    parts: list[Part] = [texts[0]]
    for arg, text in zip(args, texts[1:], strict=True):
        parts.extend(arg.parts if isinstance(arg, Query) else (arg,))
        parts.append(text)
    return Query(tuple(part for part in parts if part != ""))


def join(separator: str, items: Sequence[Arg]) -> Query:
    parts: list[Part] = []
    for index, item in enumerate(items):
        if index:
            parts.append(separator)
        parts.extend(item.parts if isinstance(item, Query) else (item,))
    return Query(tuple(parts))


def resolve_sources(query: Query, name: Callable[[str], Identifier]) -> Query:
    """Replace each ``SourceTable`` by the identifier the adapter reads it under."""
    return Query(
        tuple(name(part.table) if isinstance(part, SourceTable) else part for part in query.parts)
    )


def quote_identifier(name: str, mark: str = '"') -> str:
    """Standard SQL identifier quoting (PostgreSQL, DuckDB); ``mark``: the engine's quote,
    doubled inside the name (Spark's backtick)."""
    if "\x00" in name:
        raise ValueError("identifiers cannot contain NUL")
    return mark + name.replace(mark, mark * 2) + mark


def quote_literal(
    value: str | int | float, escape: Callable[[str], str] = lambda text: text.replace("'", "''")
) -> str:
    """Standard SQL literal: numbers as they are, strings in quotes with quotes doubled
    (``escape``: how the engine escapes a string's quotes, where it does otherwise)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"cannot write {type(value).__name__} as a SQL literal")
    if isinstance(value, int | float):
        return repr(value)
    if "\x00" in value:
        raise ValueError("literals cannot contain NUL")
    return "'" + escape(value) + "'"
