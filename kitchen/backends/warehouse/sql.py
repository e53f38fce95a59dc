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


Part = str | Identifier | Placeholder


@dataclass(frozen=True)
class Query:
    parts: tuple[Part, ...]

    def render(self, quote: Callable[[str], str], placeholder: str) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, Identifier):
                out.append(".".join(quote(name) for name in part.parts))
            elif isinstance(part, Placeholder):
                out.append(placeholder)
            else:
                out.append(part)
        return "".join(out)


def sql(template: str, *args: Identifier | Placeholder | Query) -> Query:
    """``sql("SELECT * FROM {} WHERE name = {}", Identifier("s", "t"), Placeholder())``."""
    texts = template.split("{}")
    if len(texts) != len(args) + 1:
        raise ValueError(f"template has {len(texts) - 1} slots for {len(args)} arguments")
    parts: list[Part] = [texts[0]]
    for arg, text in zip(args, texts[1:], strict=True):
        parts.extend(arg.parts if isinstance(arg, Query) else (arg,))
        parts.append(text)
    return Query(tuple(part for part in parts if part != ""))


def join(separator: str, items: Sequence[Identifier | Placeholder | Query]) -> Query:
    parts: list[Part] = []
    for index, item in enumerate(items):
        if index:
            parts.append(separator)
        parts.extend(item.parts if isinstance(item, Query) else (item,))
    return Query(tuple(parts))


def quote_identifier(name: str) -> str:
    """Standard SQL identifier quoting, shared by PostgreSQL and DuckDB."""
    if "\x00" in name:
        raise ValueError("identifiers cannot contain NUL")
    return '"' + name.replace('"', '""') + '"'
