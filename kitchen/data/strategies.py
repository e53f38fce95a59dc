"""Masking strategies: what each writes, an SQL expression evaluated inside the warehouse
through its dialect, and how its option is checked. Values that must stay consistent (so
masked keys still join) are derived from a keyed digest of the value: the same value and
salt give the same output in every table, every kitchen and every engine (docs/masking.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeGuard
from typing import Literal as OneOf

from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.sql import Literal, Part, Query, sql
from kitchen.data.dictionaries import FIRST_NAMES, LAST_NAMES
from kitchen.data.kinds import ANY, NUMBER, TEMPORAL, TEXT, Value, base_type

# Strategies

TEXT_MAKERS = frozenset({"redact", "hash", "email", "name", "phone", "partial"})
REDACTED = "REDACTED"  # what redact writes unless told otherwise
HASH_SHORTEST = 8  # hex digits: fewer would make colliding keys common
EMAIL_DIGITS = 12  # of the digest, in a masked email's local part


@dataclass(frozen=True)
class Target:
    """What a strategy masks: the value, its digest (computed once per row) and its type.

    The digest is ``md5(salt || ':' || strategy || ':' || value)``: 32 hex digits for a
    ``hex`` strategy, or for a ``number`` strategy the integer in [0, 2**28) of its first 7.
    """

    warehouse: Warehouse
    value: Value
    digest: Query  # a column of the row
    type: str


@dataclass(frozen=True)
class Strategy:
    name: str
    fits: frozenset[str]
    check: Callable[[Any], str | None]  # the option's problem, if any
    compile: Callable[[Target, Any], Query]
    verifiable: bool  # True: no original value may appear in the kitchen afterwards
    digest: OneOf["hex", "number"] | None = None  # what it derives its output from


def digest(warehouse: Warehouse, value: Value, strategy: Strategy, sql_type: str) -> Query:
    tag = Literal(f":{strategy.name}:")
    if _zoned(sql_type):  # its text is in the session's time zone: read it in UTC
        value = warehouse.dialect.in_utc(value)
    text = warehouse.dialect.text(value)
    hexdigest = sql("md5({} || {} || {})", warehouse.salt_sql, tag, text)
    return warehouse.hash_int(hexdigest) if strategy.digest == "number" else hexdigest


def _pick(t: Target, size: int, low: int = 0, width: int = 28) -> Query:
    """A deterministic integer in [0, size) from ``width`` bits of the number from ``low``.

    Two picks from one value use disjoint bits (independent), and the number is computed
    once per row: md5 and the hex conversion are most of a masked copy's cost.
    """
    bits = t.warehouse.dialect.bits(t.digest, low, width)
    return sql("({} % {})", bits, Literal(size))


def _choice(t: Target, words: tuple[str, ...], low: int) -> Query:
    return t.warehouse.dialect.pick(words, _pick(t, len(words), low, 14))


def cast(expression: Query, sql_type: str) -> Query:
    # the type comes from the warehouse's own catalogue, as it spells it
    return sql(f"CAST({{}} AS {sql_type})", expression)


def _none(option: Any) -> str | None:
    return None if option is None else "takes no option"


def _whole(value: Any) -> TypeGuard[int]:
    """A whole number, and not a YAML boolean (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _text_or_none(option: Any) -> str | None:
    return None if option is None or isinstance(option, str) else "expects a text value"


def _hash_check(option: Any) -> str | None:
    length = option.get("length") if isinstance(option, dict) else option
    if option is None or (_whole(length) and HASH_SHORTEST <= length <= 32):
        return None
    return f"expects a length from {HASH_SHORTEST} to 32, e.g. {{hash: {{length: 16}}}}"


def _email_check(option: Any) -> str | None:
    domain = option.get("domain") if isinstance(option, dict) else option
    if option is None or (isinstance(domain, str) and re.fullmatch(r"[a-z0-9.-]+", domain)):
        return None
    return "expects a domain, e.g. {email: {domain: example.invalid}}"


def _name_check(option: Any) -> str | None:
    return None if option in (None, "full", "first", "last") else "expects full, first or last"


def _partial_bounds(option: Any) -> tuple[int, int]:
    if _whole(option):
        return 0, option
    if isinstance(option, dict):
        return int(option.get("first", 0)), int(option.get("last", 0))
    return 0, 4


def _partial_check(option: Any) -> str | None:
    if option is None or (_whole(option) and option >= 0):
        return None
    counts = option.values() if isinstance(option, dict) else ()
    if counts and set(option) <= {"first", "last"} and all(_whole(v) and v >= 0 for v in counts):
        return None
    return "expects how many characters to keep, e.g. 4 or {first: 1, last: 2}"


def _days(option: Any) -> int:
    value = option.get("days") if isinstance(option, dict) else option
    return 30 if value is None else int(value)


def _shift_check(option: Any) -> str | None:
    value = option.get("days") if isinstance(option, dict) else option
    if option is None or (_whole(value) and 1 <= value <= 36500):
        return None
    return "expects a number of days from 1 to 36500, e.g. {shift: 30}"


def _noise_check(option: Any) -> str | None:
    if isinstance(option, int | float) and not isinstance(option, bool) and 0 < option <= 1:
        return None
    return "expects a fraction between 0 and 1, e.g. {noise: 0.05} for +/- 5%"


def _generalize_check(option: Any) -> str | None:
    if option in ("year", "month") or (_whole(option) and option > 0):
        return None
    return "expects year, month (dates) or a bucket size (numbers), e.g. {generalize: year}"


def _fixed_check(option: Any) -> str | None:
    if isinstance(option, str | int | float | date):
        return None  # YAML reads an unquoted 2024-01-01 as a date, and no as False
    return "expects a value, e.g. {fixed: 0}"


def fixed_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value.isoformat() if isinstance(value, date) else str(value)


def _fixed(t: Target, option: Any) -> Query:
    value = fixed_text(option) if isinstance(option, bool | str | date) else option
    return cast(sql("{}", Literal(value)), t.type)


def _sql_check(option: Any) -> str | None:
    if not isinstance(option, str) or "{column}" not in option:
        return 'expects an SQL expression using {column}, e.g. {sql: "upper({column})"}'
    outside_strings = re.sub(r"'(?:[^']|'')*'", "''", option)
    if any(mark in outside_strings for mark in (";", "--", "/*")):
        return "expects one SQL expression: no ';' and no comments outside quoted strings"
    return None


def hash_length(option: Any) -> int:
    return int(option.get("length", 32) if isinstance(option, dict) else option or 32)


def _hash(t: Target, option: Any) -> Query:
    return sql("substr({}, 1, {})", t.digest, Literal(hash_length(option)))


def email_domain(option: Any) -> str:
    return (option.get("domain") if isinstance(option, dict) else option) or "example.invalid"


def _email(t: Target, option: Any) -> Query:
    domain = Literal(email_domain(option))
    local = sql("'user-' || substr({}, 1, {})", t.digest, Literal(EMAIL_DIGITS))
    return sql("({} || '@' || {})", local, domain)


def _name(t: Target, option: Any) -> Query:
    first, last = _choice(t, FIRST_NAMES, 0), _choice(t, LAST_NAMES, 14)
    if option == "first":
        return first
    if option == "last":
        return last
    return sql("({} || ' ' || {})", first, last)


def _phone(t: Target, option: Any) -> Query:
    text = t.warehouse.dialect.text
    area = text(sql("200 + {}", _pick(t, 800, 0, 14)))
    line = sql("lpad({}, 2, '0')", text(_pick(t, 100, 14, 14)))
    return sql("('+1-' || {} || '-555-01' || {})", area, line)  # 555-01xx: fictional numbers


def _partial(t: Target, option: Any) -> Query:
    head, tail = _partial_bounds(option)
    keep, c = Literal(head + tail), t.value
    return sql(
        "(CASE WHEN length({}) <= {} THEN repeat('*', length({})) ELSE "
        "left({}, {}) || repeat('*', length({}) - {}) || right({}, {}) END)",
        *(c, keep, c, c, Literal(head), c, keep, c, Literal(tail)),
    )


def _zoned(sql_type: str) -> bool:
    """A point in time whose text and calendar arithmetic follow the session's time zone
    (on DuckDB, the machine's): masked in UTC, or the output would depend on whoever made
    the kitchen."""
    return "with time zone" in sql_type.lower() or base_type(sql_type) == "timestamptz"


def _in_utc(t: Target, change: Callable[[Query], Query]) -> Query:
    """``change`` applied to the value, in UTC for a type with a time zone (``_zoned``)."""
    if not _zoned(t.type):
        return cast(change(sql("{}", t.value)), t.type)
    in_utc = t.warehouse.dialect.in_utc
    utc = in_utc(t.value)  # the UTC wall clock, without a zone
    return cast(in_utc(sql("({})", change(utc))), t.type)


def _shift(t: Target, option: Any) -> Query:
    days = sql("(1 + {})", _pick(t, _days(option), 0, 27))  # never 0: always moves
    sign = sql("(CASE WHEN {} = 0 THEN 1 ELSE -1 END)", _pick(t, 2, 27, 1))
    return _in_utc(t, lambda value: sql("{} + {} * {} * INTERVAL '1 day'", value, sign, days))


INTEGER_RANGES = {
    **dict.fromkeys(("tinyint", "int1"), (-(2**7), 2**7 - 1)),
    **dict.fromkeys(("smallint", "int2"), (-(2**15), 2**15 - 1)),
    **dict.fromkeys(("integer", "int", "int4"), (-(2**31), 2**31 - 1)),
    **dict.fromkeys(("bigint", "int8"), (-(2**63), 2**63 - 1)),
    "utinyint": (0, 2**8 - 1),
    "usmallint": (0, 2**16 - 1),
    "uinteger": (0, 2**32 - 1),
    "ubigint": (0, 2**64 - 1),
}


def _bounds(sql_type: str) -> tuple[Decimal, Decimal, int] | None:
    """The least and greatest value of a bounded number type, and its scale."""
    kind = re.sub(r"\s+", "", sql_type.lower())
    if kind in INTEGER_RANGES:
        low, high = INTEGER_RANGES[kind]
        return Decimal(low), Decimal(high), 0
    if match := re.fullmatch(r"(?:numeric|decimal)\((\d+)(?:,(\d+))?\)", kind):
        digits, scale = int(match[1]), int(match[2] or 0)
        top = Decimal(10) ** (digits - scale) - Decimal(10) ** -scale  # 9.99 for (3,2)
        return -top, top, scale
    return None  # floating point, or numeric without a precision


def _within_type(number: Query, sql_type: str) -> Query:
    """``number`` as ``sql_type``, held at the type's limits: a value near one, moved by
    noise or bucketed down, would otherwise fail the whole copy. (Compared, not clamped
    with least(): DuckDB computes noise in floating point, where a bigint's limit rounds
    past itself.)"""
    bounds = _bounds(sql_type)
    if bounds is None:
        return cast(number, sql_type)
    low, high = (cast(sql(str(limit)), sql_type) for limit in bounds[:2])  # our own digits
    return sql(
        "(CASE WHEN {} >= {} THEN {} WHEN {} <= {} THEN {} ELSE {} END)",
        *(number, high, high, number, low, low, cast(number, sql_type)),
    )


def _noise(t: Target, option: Any) -> Query:
    offset = sql("({} - 10000)", _pick(t, 20001))
    factor = sql("(1 + {} * {} / 10000.0)", Literal(float(option)), offset)
    moved = sql("{} * {}", t.value, factor)
    if t.type.lower() in ("numeric", "decimal"):  # PostgreSQL's unconstrained numeric: no
        moved = t.warehouse.dialect.same_scale(moved, t.value)  # not 20 decimals
    return _within_type(moved, t.type)


def _generalize(t: Target, option: Any) -> Query:
    if not isinstance(option, int):
        return _in_utc(t, lambda value: sql("date_trunc({}, {})", Literal(option), value))
    bucket, bounds = Literal(option), _bounds(t.type)
    if bounds is None:
        value = cast(sql("{}", t.value), "NUMERIC") if base_type(t.type) == "money" else t.value
        return cast(sql("floor({} / {}) * {}", value, bucket, bucket), t.type)
    # down to a multiple of the bucket in exact arithmetic (a bigint divided in floating
    # point is not): value - (value mod bucket), with mod taken as 0 <= r < bucket
    wide = cast(sql("{}", t.value), f"DECIMAL(38, {bounds[2]})")
    down = sql("{} - (({} % {}) + {}) % {}", wide, wide, bucket, bucket, bucket)
    return _within_type(down, t.type)


def _custom(t: Target, option: str) -> Query:
    """The user's expression with each ``{column}`` replaced by the quoted column."""
    parts: list[Part] = ["("]
    for index, piece in enumerate(option.split("{column}")):
        if index:
            parts.extend(t.value.parts if isinstance(t.value, Query) else (t.value,))
        parts.append(piece)
    return Query((*parts, ")"))


STRATEGIES = {
    s.name: s
    for s in (
        Strategy("keep", ANY, _none, lambda t, o: sql("{}", t.value), False),
        Strategy("null", ANY, _none, lambda t, o: sql(f"CAST(NULL AS {t.type})"), True),
        Strategy(
            "redact",
            frozenset({TEXT}),
            _text_or_none,
            lambda t, o: sql("{}", Literal(o or REDACTED)),
            True,
        ),
        Strategy("hash", frozenset({TEXT}), _hash_check, _hash, True, digest="hex"),
        Strategy("email", frozenset({TEXT}), _email_check, _email, True, digest="hex"),
        Strategy("name", frozenset({TEXT}), _name_check, _name, False, digest="number"),
        Strategy("phone", frozenset({TEXT}), _none, _phone, True, digest="number"),
        Strategy("partial", frozenset({TEXT}), _partial_check, _partial, True),
        Strategy("shift", frozenset({TEMPORAL}), _shift_check, _shift, False, digest="number"),
        Strategy("noise", frozenset({NUMBER}), _noise_check, _noise, False, digest="number"),
        Strategy(
            "generalize", frozenset({TEMPORAL, NUMBER}), _generalize_check, _generalize, False
        ),
        Strategy("fixed", ANY, _fixed_check, _fixed, True),
        Strategy("sql", ANY, _sql_check, _custom, True),
    )
}
