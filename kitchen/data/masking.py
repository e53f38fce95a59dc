"""Masking rules: parsed from kitchen.yaml, matched to columns, compiled to SQL.

Every strategy is an SQL expression evaluated inside the warehouse. Values that must stay
consistent (so masked keys still join) are derived from ``md5(salt || tag || value)``: the
same value and salt give the same output in every table, every kitchen and both engines. The
salt is bound to the session (``Warehouse.set_salt``) and never appears in SQL text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fnmatch import fnmatchcase
from typing import Any, TypeGuard
from typing import Literal as OneOf

from kitchen.backends.warehouse.base import Reference, Warehouse, select_from
from kitchen.backends.warehouse.sql import Identifier, Literal, Part, Query, join, sql
from kitchen.data.dictionaries import FIRST_NAMES, LAST_NAMES
from kitchen.errors import ConfigError, WarehouseError, WarehouseUnreachable
from kitchen.names import did_you_mean

TEXT, NUMBER, TEMPORAL, TIME = "text", "number", "temporal", "time"
Value = Identifier | Query  # a column, or an expression standing for it
ANY = frozenset({TEXT, NUMBER, TEMPORAL, TIME, "other"})

# base type names (lengths, precisions aside) as PostgreSQL, Redshift and DuckDB spell them
FAMILIES = {
    name.strip(): kind
    for kind, names in {
        TEXT: "text, varchar, character varying, character, char, bpchar, string, citext, "
        "nvarchar, nchar, uuid",
        NUMBER: "smallint, integer, int, bigint, int1, int2, int4, int8, tinyint, hugeint, "
        "utinyint, usmallint, uinteger, ubigint, uhugeint, numeric, decimal, real, double, "
        "double precision, float, float4, float8, money",
        TEMPORAL: "date, timestamp, timestamp without time zone, timestamp with time zone, "
        "timestamptz, datetime, timestamp_s, timestamp_ms, timestamp_ns",
        TIME: "time, time without time zone, time with time zone, timetz",
    }.items()
    for name in names.split(",")
}


def family(sql_type: str) -> str:
    """text, number, temporal (a date or a point in time), time (of day) or other, from a
    type as either engine spells it. Arrays, intervals, booleans, JSON are other."""
    return FAMILIES.get(base_type(sql_type), "other")


def base_type(sql_type: str) -> str:
    """``numeric(10,2)`` as numeric, ``character varying(20)[]`` as character varying[]."""
    return re.sub(r"\s+", " ", re.sub(r"\(.*?\)", "", sql_type.lower())).strip()


@dataclass(frozen=True)
class Rule:
    pattern: str  # table.column, globs allowed: "*.email"
    strategy: str
    option: Any

    @property
    def exact(self) -> bool:
        return not re.search(r"[*?\[]", self.pattern)

    @property
    def specificity(self) -> int:
        return -len(re.findall(r"[*?\[]", self.pattern))

    def where(self) -> str:
        return f"data.masking.rules.{self.pattern}"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    rule: Rule | None

    @property
    def masked(self) -> bool:
        return self.rule is not None and self.rule.strategy != "keep"

    @property
    def verifiable(self) -> bool:
        """Replaced by values that must never equal an original (see Strategy.verifiable)."""
        return self.rule is not None and STRATEGIES[self.rule.strategy].verifiable


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


def _cast(expression: Query, sql_type: str) -> Query:
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


def _fixed_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value.isoformat() if isinstance(value, date) else str(value)


def _fixed(t: Target, option: Any) -> Query:
    value = _fixed_text(option) if isinstance(option, bool | str | date) else option
    return _cast(sql("{}", Literal(value)), t.type)


def _sql_check(option: Any) -> str | None:
    if not isinstance(option, str) or "{column}" not in option:
        return 'expects an SQL expression using {column}, e.g. {sql: "upper({column})"}'
    outside_strings = re.sub(r"'(?:[^']|'')*'", "''", option)
    if any(mark in outside_strings for mark in (";", "--", "/*")):
        return "expects one SQL expression: no ';' and no comments outside quoted strings"
    return None


def _hash_length(option: Any) -> int:
    return int(option.get("length", 32) if isinstance(option, dict) else option or 32)


def _hash(t: Target, option: Any) -> Query:
    return sql("substr({}, 1, {})", t.digest, Literal(_hash_length(option)))


def _email_domain(option: Any) -> str:
    return (option.get("domain") if isinstance(option, dict) else option) or "example.invalid"


def _email(t: Target, option: Any) -> Query:
    domain = Literal(_email_domain(option))
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
        return _cast(change(sql("{}", t.value)), t.type)
    in_utc = t.warehouse.dialect.in_utc
    utc = in_utc(t.value)  # the UTC wall clock, without a zone
    return _cast(in_utc(sql("({})", change(utc))), t.type)


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
        return _cast(number, sql_type)
    low, high = (_cast(sql(str(limit)), sql_type) for limit in bounds[:2])  # our own digits
    return sql(
        "(CASE WHEN {} >= {} THEN {} WHEN {} <= {} THEN {} ELSE {} END)",
        *(number, high, high, number, low, low, _cast(number, sql_type)),
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
        value = _cast(sql("{}", t.value), "NUMERIC") if base_type(t.type) == "money" else t.value
        return _cast(sql("floor({} / {}) * {}", value, bucket, bucket), t.type)
    # down to a multiple of the bucket in exact arithmetic (a bigint divided in floating
    # point is not): value - (value mod bucket), with mod taken as 0 <= r < bucket
    wide = _cast(sql("{}", t.value), f"DECIMAL(38, {bounds[2]})")
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


# Rules


def parse_rules(raw: Mapping[str, str | dict[str, Any] | None]) -> list[Rule]:
    """Validate every rule of ``data.masking.rules``; an error names the rule."""
    rules = []
    for pattern, spec in raw.items():
        where = f"data.masking.rules.{pattern}"
        table, _, column = pattern.partition(".")
        if not table or not column or "." in column:
            raise ConfigError(f"{where}: expected table.column (globs allowed, e.g. *.email).")
        if spec is None or isinstance(spec, str):  # `col: null` in YAML means the null strategy
            name, option = spec or "null", None
        elif isinstance(spec, dict) and len(spec) == 1:
            ((name, option),) = spec.items()
        else:
            raise ConfigError(
                f"{where}: give one strategy, as a name (email) or {{strategy: option}}."
            )
        strategy = STRATEGIES.get(name)
        if strategy is None:
            known = ", ".join(sorted(STRATEGIES))
            raise ConfigError(f"{where}: unknown strategy {name!r} (known: {known}).")
        problem = strategy.check(option)
        if problem:
            raise ConfigError(f"{where}: {name} {problem} (got {option!r}).")
        rules.append(Rule(pattern, name, option))
    return rules


def rule_for(rules: list[Rule], table: str, column: str) -> Rule | None:
    """The most specific matching rule: exact, then fewer wildcards, then the first declared."""
    matching = [r for r in rules if fnmatchcase(f"{table}.{column}", r.pattern)]
    return max(matching, key=lambda r: r.specificity, default=None)


def plan(rules: list[Rule], table: str, columns: list[tuple[str, str]]) -> list[Column]:
    """Match ``rules`` to a table's columns, refusing a rule whose output the column's type
    cannot hold: every problem is found before anything is copied, and said, a line each."""
    planned, problems = [], []
    for name, kind in columns:
        rule = rule_for(rules, table, name)
        if rule is not None and (problem := misfit(rule, f"{table}.{name}", kind)):
            problems.append(f"{rule.where()}: {problem}.")
        planned.append(Column(name, kind, rule))
    if problems:
        raise ConfigError("\n".join(problems))
    return planned


def plan_all(rules: list[Rule], types: dict[str, list[tuple[str, str]]]) -> dict[str, list[Column]]:
    """``plan`` for every table, with the problems of all of them said at once."""
    plans, problems = {}, []
    for table, columns in types.items():
        try:
            plans[table] = plan(rules, table, columns)
        except ConfigError as exc:
            problems.append(exc.message)
    if problems:
        raise ConfigError("\n".join(problems))
    return plans


def misfit(rule: Rule, column: str, sql_type: str) -> str | None:
    """Why ``column`` cannot hold what ``rule`` makes, if it cannot."""
    return _kind_misfit(rule, column, sql_type) or _length_misfit(rule, column, sql_type)


def _kind_misfit(rule: Rule, column: str, sql_type: str) -> str | None:
    strategy, option = STRATEGIES[rule.strategy], rule.option
    if family(sql_type) not in strategy.fits:
        fits = " or ".join(sorted(strategy.fits))
        instead = [n for n, s in STRATEGIES.items() if family(sql_type) in s.fits and n != "keep"]
        return (
            f"{rule.strategy} fits {fits} columns, but {column} is {sql_type}; "
            f"use {', '.join(instead[:-1])} or {instead[-1]}"
        )
    if rule.strategy == "generalize" and (misfit := _generalize_misfit(option, column, sql_type)):
        return misfit
    if rule.strategy == "fixed" and isinstance(option, bool) and family(sql_type) != "other":
        return (
            f"fixed value {option} is a boolean (YAML reads an unquoted true or false so), "
            f"but {column} is {sql_type}; quote it, e.g. {{fixed: 'false'}}"
        )
    if "uuid" in sql_type.lower() and rule.strategy in TEXT_MAKERS:
        if rule.strategy == "hash" and _longest(rule) == 32:
            return None  # 32 hex digits are a uuid
        return (
            f"{rule.strategy} makes text that {column} ({sql_type}) cannot hold; "
            "use hash (all 32 digits), null or fixed"
        )
    return None


def _length_misfit(rule: Rule, column: str, sql_type: str) -> str | None:
    declared = re.fullmatch(
        r"(?:character varying|varchar|character|char|bpchar)\((\d+)\)", sql_type.lower()
    )
    longest = _longest(rule)
    if declared and longest is not None and longest > int(declared[1]):
        return (
            f"{rule.strategy} makes values of up to {longest} characters, but {column} is "
            f"{sql_type}; {SHORTER[rule.strategy](int(declared[1]))}"
        )
    return None


def _generalize_misfit(option: Any, column: str, sql_type: str) -> str | None:
    """A bucket size generalizes numbers, year or month dates and timestamps."""
    if isinstance(option, int) == (family(sql_type) == NUMBER):
        return None
    if isinstance(option, int):
        return (
            f"generalize by a bucket size fits number columns, but {column} is "
            f"{sql_type}; give year or month"
        )
    return (
        f"generalize to a {option} fits temporal columns, but {column} is {sql_type}; "
        "give a bucket size, e.g. {generalize: 10}"
    )


def _longest(rule: Rule) -> int | None:
    """The most characters (UTF-8 bytes, as Redshift counts) a text strategy makes;
    None when it depends on the value (partial keeps its length)."""
    measure = LONGEST.get(rule.strategy)
    return measure(rule.option) if measure else None


def _longest_name(option: Any) -> int:
    first = max(len(word.encode()) for word in FIRST_NAMES)
    last = max(len(word.encode()) for word in LAST_NAMES)
    return {"first": first, "last": last}.get(option, first + 1 + last)


LONGEST: dict[str, Callable[[Any], int]] = {
    "hash": _hash_length,
    "email": lambda option: len("user-@") + EMAIL_DIGITS + len(_email_domain(option)),
    "phone": lambda option: len("+1-200-555-0100"),
    "name": _longest_name,
    "redact": lambda option: len((option or REDACTED).encode()),
    "fixed": lambda option: len(_fixed_text(option).encode()),
}


def _shorter_hash(room: int) -> str:
    """The hash that fits ``room`` characters, if one does."""
    if room < HASH_SHORTEST:
        return f"a hash needs {HASH_SHORTEST} characters or more; use partial, redact or null"
    return f"give {{hash: {{length: {room}}}}}"


def _shorter_email(room: int) -> str:
    spare = room - len("user-@") - EMAIL_DIGITS  # characters left for the domain
    options = []
    if spare >= len("a.io"):
        options.append(f"{{email: {{domain: ...}}}} of at most {spare} characters")
    if room >= HASH_SHORTEST:
        options.append(f"{{hash: {{length: {min(room, 32)}}}}}")
    return f"give {' or '.join(options)}" if options else "use partial, redact or null"


# what to write instead, for a column of this many characters
SHORTER: dict[str, Callable[[int], str]] = {
    "hash": _shorter_hash,
    "email": _shorter_email,
    "phone": lambda room: "use partial or redact",
    "name": lambda room: "use {name: first}, {name: last}, partial or redact",
    "redact": lambda room: "give a shorter text, e.g. {redact: X}",
    "fixed": lambda room: "give a shorter value",
}


def rehearse(warehouse: Warehouse, schema: str, table: str, columns: list[Column]) -> None:
    """Have the warehouse plan each masked column's SQL over no rows, and cast each fixed
    or redact value once: a rule it cannot apply there (a custom expression's typo, a fixed
    value the column's type cannot hold) is exit 2 naming the rule, before anything is
    copied. The salt must be set."""
    for column in columns:
        if column.rule is None or not column.masked:
            continue
        projection = select_list(warehouse, [column])
        rows = select_from(
            projection.columns, warehouse.table(schema, table), (), projection.derived
        )
        probes = [sql("SELECT * FROM ({}) AS rehearsal LIMIT 0", rows)]
        if (value := constant(warehouse, column)) is not None:  # DuckDB casts none over 0 rows
            probes.append(sql("SELECT {}", value))
        try:
            for probe in probes:
                warehouse.execute(probe)
        except WarehouseUnreachable:
            raise
        except WarehouseError as exc:
            raise ConfigError(
                f"{column.rule.where()}: the {warehouse.environment} warehouse cannot apply "
                f"{column.rule.strategy} to {table}.{column.name} ({column.type}): {exc.reason}"
            ) from None


def constant(warehouse: Warehouse, column: Column) -> Query | None:
    """The value a fixed or redact rule writes in every row, as the column's type."""
    if column.rule is None or column.rule.strategy not in ("fixed", "redact"):
        return None
    unread = sql("NULL")
    target = Target(warehouse, unread, unread, column.type)
    return _cast(STRATEGIES[column.rule.strategy].compile(target, column.rule.option), column.type)


def unjoined(columns: Mapping[str, list[Column]], references: list[Reference]) -> list[str]:
    """Each column of a foreign key whose two sides are masked by different rules, so the
    kitchen's rows no longer join there: ``orders.email (hash) -> customers.email (email)``.
    A child column set to NULL is left out: a NULL reference is no broken one."""
    broken = []
    for reference in references:
        if reference.table not in columns or reference.parent not in columns:
            continue
        pairs = zip(reference.columns, reference.parent_columns, strict=True)
        for name, parent_name in pairs:
            child = _column(columns[reference.table], name)
            parent = _column(columns[reference.parent], parent_name)
            if _effect(child) == _effect(parent) or _effect(child) == ("null", None):
                continue
            broken.append(
                f"{reference.table}.{name} ({_describe(child)}) -> "
                f"{reference.parent}.{parent_name} ({_describe(parent)})"
            )
    return list(dict.fromkeys(broken))


def _column(columns: list[Column], name: str) -> Column | None:
    return next((column for column in columns if column.name == name), None)


def _effect(column: Column | None) -> tuple[str, Any] | None:
    """What a rule does to a value (None: nothing), whichever pattern it was declared by."""
    if column is None or column.rule is None or not column.masked:
        return None
    return column.rule.strategy, column.rule.option


def _describe(column: Column | None) -> str:
    effect = _effect(column)
    if effect is None:
        return "not masked"
    strategy, option = effect
    return strategy if option is None else f"{strategy}: {option}"


def check_targets(rules: list[Rule], tables: dict[str, list[tuple[str, str]]]) -> None:
    """An exact rule must name an existing table and column (a typo would mask nothing);
    every such rule is said, a line each."""
    problems = []
    for rule in rules:
        if not rule.exact:
            continue
        table, column = rule.pattern.split(".")
        if table not in tables:
            guess = did_you_mean(table, tables)
            problems.append(f"{rule.where()}: there is no table {table!r} to mask.{guess}")
        elif column not in (columns := [name for name, _ in tables[table]]):
            guess = did_you_mean(column, columns)
            problems.append(f"{rule.where()}: table {table!r} has no column {column!r}.{guess}")
    if problems:
        raise ConfigError("\n".join(problems))


@dataclass(frozen=True)
class Projection:
    """The output columns of a masked copy, and the per-row digests they read.

    Databases do not share repeated subexpressions, so each masked column's digest is
    computed once, in a derived table below the output list (``derived``).
    """

    columns: Query
    derived: Query | None


def select_list(
    warehouse: Warehouse, columns: list[Column], sources: Mapping[str, Query] | None = None
) -> Projection:
    """``<masked expression> AS "column", ...`` for a CREATE TABLE AS or COPY.

    ``sources`` gives an expression to read instead of a column (sampling NULLs dangling
    references); masking then applies to that expression.
    """
    items, digests = [], []
    for index, column in enumerate(columns):
        ident = Identifier(column.name)
        value: Value = (sources or {}).get(column.name, ident)
        if column.rule is not None and column.masked:
            strategy = STRATEGIES[column.rule.strategy]
            alias = Identifier(f"kitchen_digest_{index}")
            if strategy.digest:
                digests.append(
                    sql("{} AS {}", digest(warehouse, value, strategy, column.type), alias)
                )
            target = Target(warehouse, value, sql("{}", alias), column.type)
            masked = strategy.compile(target, column.rule.option)
            if family(column.type) == TEXT and column.rule.strategy not in ("null", "sql"):
                # nothing to hide, and a fake value would invent one (a phone for none)
                empty = sql("{} = ''", warehouse.dialect.text(value))
                masked = sql("CASE WHEN {} THEN '' ELSE {} END", empty, masked)
            value = sql("CASE WHEN {} IS NULL THEN NULL ELSE {} END", value, masked)
            if column.rule.strategy != "sql":  # the user's expression makes its own type
                # around the CASE, which loses lengths: char(2) stays char(2), uuid uuid
                value = _cast(value, column.type)
        items.append(sql("{} AS {}", value, ident))
    return Projection(join(", ", items), join(", ", digests) if digests else None)
