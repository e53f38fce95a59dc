"""Masking rules: parsed from kitchen.yaml, matched to columns, checked against each
column's type and length. The plan's side of masking, with no SQL in it: each column with
its rule (``Column``) is what a copy plan holds; projection.py compiles it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from kitchen.backends.warehouse.base import Reference
from kitchen.data.dictionaries import FIRST_NAMES, LAST_NAMES
from kitchen.data.kinds import NUMBER, family
from kitchen.data.strategies import (
    EMAIL_DIGITS,
    HASH_SHORTEST,
    REDACTED,
    STRATEGIES,
    TEXT_MAKERS,
    email_domain,
    fixed_text,
    hash_length,
)
from kitchen.errors import ConfigError
from kitchen.names import did_you_mean


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
    "hash": hash_length,
    "email": lambda option: len("user-@") + EMAIL_DIGITS + len(email_domain(option)),
    "phone": lambda option: len("+1-200-555-0100"),
    "name": _longest_name,
    "redact": lambda option: len((option or REDACTED).encode()),
    "fixed": lambda option: len(fixed_text(option).encode()),
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
