"""Checks on a node's output, each compiled to one query with quoted identifiers."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kitchen import redaction
from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.dialect import Dialect
from kitchen.backends.warehouse.sql import Identifier, Literal, Query, join, sql
from kitchen.data.kinds import base_type, family
from kitchen.errors import BadInput, KitchenError
from kitchen.pipelines import model
from kitchen.text import counted, number


@dataclass(frozen=True)
class CheckResult:
    node: str
    name: str
    type: str
    severity: str
    status: str  # pass, fail, error (could not run), insufficient (SPC: too little history)
    metric: float | None
    message: str
    shape: str | None = None  # SPC: the data the metric was measured on (history.shape)
    limits: list[float] | None = None  # SPC: [lower limit, centre line, upper limit]

    @property
    def blocking(self) -> bool:
        """A failure that fails the run: an error-severity check that did not pass."""
        return self.severity == "error" and self.status in ("fail", "error")


def run(
    warehouse: Warehouse,
    schema: str,
    node: str,
    check: model.Check,
    query: str,
    *,
    history: History | None = None,
) -> CheckResult:
    """``query`` is the rendered SQL of an ``sql`` or ``spc`` check; ``history`` the past
    values of an ``spc`` check's metric on the same data, newest first."""
    spec = check.check
    shape = history.shape if history else None
    bounds = None
    try:
        metric: float | None
        if isinstance(spec, model.Spc):
            value = _number(warehouse.run_script(schema, query))
            past = history or History([], shape="")
            status, metric, message = control(value, past, spec)
            bounds = limits(past, spec)
        else:
            passed, metric, message = _evaluate(warehouse, schema, spec, query)
            status = "pass" if passed else "fail"
    except KitchenError as exc:
        return CheckResult(
            node, check.name, spec.type, check.severity, "error", None, exc.message, shape
        )
    return CheckResult(
        node, check.name, spec.type, check.severity, status, metric, message, shape, bounds
    )


@dataclass(frozen=True)
class History:
    """An SPC check's past values, newest first, measured on data of one ``shape``: all
    rows, or a sample (a sampled kitchen's values never mix with a whole one's)."""

    values: list[float]
    shape: str
    own: int = 0  # how many of them are the kitchen's own (the rest: its parent's)


def control(value: float, history: History, spec: model.Spc) -> tuple[str, float, str]:
    """In control of its history by the check's rules? The limits come from the newest
    ``window`` past values (not the one measured now); the run rules look at it with the
    values before it."""
    recent = history.values[: spec.window]
    on = f" on {history.shape}" if history.shape else ""
    bounds = limits(history, spec)
    if bounds is None:
        needed = f"control limits after {spec.min_history} past values{on}, {len(recent)} so far"
        return "insufficient", value, f"{number(value)}; {needed}"
    low, mean, high = bounds
    spread = statistics.stdev(recent)
    whose = "" if history.own >= len(recent) else f", {len(recent) - history.own} the parent's"
    stated = (
        f"[{number(low)}, {number(high)}] "
        f"(mean {number(mean)}, {spec.sigma:g} sigma, {len(recent)} runs{whose}{on})"
    )
    broken = [
        why
        for rule in spec.rules
        if (why := _broken(rule, [value, *recent], mean, spread, spec.sigma)) is not None
    ]
    if not broken:
        return "pass", value, f"{number(value)} within {stated}"
    return "fail", value, f"{number(value)} out of control: {'; '.join(broken)}; limits {stated}"


def limits(history: History, spec: model.Spc) -> list[float] | None:
    """[lower limit, centre line, upper limit] from the newest ``window`` past values; None
    while there are fewer than ``min_history``."""
    recent = history.values[: spec.window]
    if len(recent) < spec.min_history:
        return None
    mean, spread = statistics.fmean(recent), statistics.stdev(recent)
    return [mean - spec.sigma * spread, mean, mean + spec.sigma * spread]


RUNS = {"two-of-three": (2, 3, 2), "four-of-five": (4, 5, 1)}  # k of the last n beyond z sigma


def _broken(rule: str, values: list[float], mean: float, spread: float, sigma: float) -> str | None:
    """Why the newest of ``values`` (newest first) breaks ``rule``; None if it does not. A run
    rule fires only on a run the newest value is part of: an old run is not news."""
    value = values[0]
    if rule == "beyond-limits":
        if abs(value - mean) > sigma * spread:
            return f"beyond {sigma:g} sigma"
        return None
    side = 1 if value > mean else -1 if value < mean else 0
    if rule == "eight-in-a-row":
        last = values[:8]
        if side and len(last) == 8 and all((v - mean) * side > 0 for v in last):
            return f"8 values in a row {'above' if side > 0 else 'below'} the mean"
        return None
    count, of, zones = RUNS[rule]
    last = values[:of]
    beyond = [v for v in last if (v - mean) * side > zones * spread]
    newest_beyond = (value - mean) * side > zones * spread
    if side and len(last) == of and len(beyond) >= count and newest_beyond:
        where = "above" if side > 0 else "below"
        return f"{count} of the last {of} values more than {zones} sigma {where} the mean"
    return None


def _located(schema: str, name: str) -> tuple[str, str]:
    """``orders`` in the kitchen's schema, or ``other_schema.orders``: (schema, table)."""
    owner, _, table = name.rpartition(".")
    return owner or schema, table


def _table(warehouse: Warehouse, schema: str, name: str) -> Identifier:
    return warehouse.table(*_located(schema, name))


def _number(rows: list[tuple[Any, ...]]) -> float:
    """The one number a query returned; anything else is this check's error."""
    if len(rows) != 1 or len(rows[0]) != 1:
        shape = f"{counted(len(rows), 'row')} of {counted(len(rows[0]), 'column')}" if rows else ""
        raise BadInput(
            f"The query returned {shape or 'no rows'}; a check needs one value "
            "(aggregate it, e.g. select count(*) ...)."
        )
    value = rows[0][0]
    if value is None:
        raise BadInput(
            "The query returned NULL, not a number; "
            "use coalesce(..., 0) if no rows should count as 0."
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise BadInput(f"The query returned {_shown(value)}, not a number.") from None


def _evaluate(
    warehouse: Warehouse, schema: str, spec: Any, query: str
) -> tuple[bool, float | None, str]:
    if isinstance(spec, model.RowCount):
        count = _number(
            warehouse.execute(sql("SELECT count(*) FROM {}", _table(warehouse, schema, spec.table)))
        )
        return _within(count, spec.min, spec.max, spec.equals, "rows")
    if isinstance(spec, model.Scalar):
        value = _number(warehouse.run_script(schema, query))
        return _within(value, spec.min, spec.max, spec.expect, "")
    if isinstance(spec, model.SchemaCheck):
        return _schema(warehouse, schema, spec)
    if isinstance(spec, model.Freshness):
        # as text: reading a zoned timestamp as a value needs pytz in DuckDB's driver
        newest = warehouse.execute(
            sql(
                "SELECT {} FROM {}",
                warehouse.dialect.text(sql("max({})", Identifier(spec.column))),
                _table(warehouse, schema, spec.table),
            )
        )[0][0]
        return _fresh(_moment(newest, spec.column), spec.max_age_hours)
    bad = _number(warehouse.execute(_violations(warehouse, schema, spec)))
    return bad == 0, bad, counted(int(bad), "violating row") if bad else "no violations"


def _violations(warehouse: Warehouse, schema: str, spec: Any) -> Query:
    table = _table(warehouse, schema, spec.table)
    if isinstance(spec, model.NotNull):
        return sql("SELECT count(*) FROM {} WHERE {} IS NULL", table, Identifier(spec.column))
    if isinstance(spec, model.Unique):  # NULLs are distinct, as in a UNIQUE constraint
        columns = join(", ", [Identifier(c) for c in spec.columns])
        known = join(" AND ", [sql("{} IS NOT NULL", Identifier(c)) for c in spec.columns])
        return sql(  # the rows that share their values with another
            "SELECT coalesce(sum(n), 0) FROM"
            " (SELECT count(*) AS n FROM {} WHERE {} GROUP BY {} HAVING count(*) > 1) d",
            table,
            known,
            columns,
        )
    if isinstance(spec, model.AcceptedValues):
        types = warehouse.column_types(*_located(schema, spec.table), base=True)
        kind = dict(types).get(spec.column)
        column = Identifier(spec.column)
        compared, allowed = _accepted(warehouse.dialect, column, kind or "", spec.values)
        return sql(
            "SELECT count(*) FROM {} WHERE {} IS NOT NULL AND {} NOT IN ({})",
            table,
            column,
            compared,
            join(", ", allowed),
        )
    parent_table, _, parent_column = spec.to.rpartition(".")
    return sql(
        "SELECT count(*) FROM {} c WHERE c.{} IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM {} p WHERE p.{} = c.{})",
        table,
        Identifier(spec.column),
        _table(warehouse, schema, parent_table),
        Identifier(parent_column),
        Identifier(spec.column),
    )


def _accepted(
    dialect: Dialect, column: Identifier, kind: str, values: list[Any]
) -> tuple[Query | Identifier, list[Query | Literal]]:
    """The column and its accepted values, compared as numbers, as booleans or as text:
    1.5 is accepted in a numeric(5,2) column that shows it as 1.50, true in a boolean one."""
    if family(kind) == "number":
        wrong = [v for v in values if isinstance(v, bool) or not isinstance(v, int | float)]
        if wrong:
            raise BadInput(f"{wrong[0]!r} is not a number, and {column.parts[-1]} is {kind}.")
        return column, [Literal(value) for value in values]
    if base_type(kind) == "boolean":
        if not all(isinstance(value, bool) for value in values):
            raise BadInput(f"{column.parts[-1]} is boolean: accept true or false.")
        return column, [sql("TRUE" if value else "FALSE") for value in values]
    return dialect.text(column), [Literal(_text(value)) for value in values]


def _text(value: Any) -> str:
    """A value as the warehouse writes it as text: true, 2026-01-01, 2026-01-01 09:30:00."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.isoformat(" ") if isinstance(value, datetime) else str(value)


def _within(
    value: float, low: float | None, high: float | None, equals: float | None, unit: str
) -> tuple[bool, float, str]:
    shown = f"{number(value)} {unit}".strip()
    if equals is not None and value != equals:
        return False, value, f"{shown}, expected {number(equals)}"
    if low is not None and value < low:
        return False, value, f"{shown}, expected at least {number(low)}"
    if high is not None and value > high:
        return False, value, f"{shown}, expected at most {number(high)}"
    return True, value, shown


def _moment(newest: str | None, column: str) -> datetime | None:
    """The newest value of a freshness check's column, which must be a date or a time."""
    if newest is None:
        return None
    try:
        return datetime.fromisoformat(newest)
    except ValueError:
        raise BadInput(
            f"{column} holds {_shown(newest)}, not a date or a point in time; "
            "check a timestamp column (or a view that makes one)."
        ) from None


def _fresh(newest: datetime | None, max_age_hours: float) -> tuple[bool, float | None, str]:
    if newest is None:
        return False, None, "no rows, so nothing is fresh"
    if newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    age = (datetime.now(UTC) - newest).total_seconds() / 3600
    if age > max_age_hours:
        return False, age, f"newest row is {age:.1f} h old, expected at most {max_age_hours:g} h"
    if age < 0:
        return True, age, f"newest row is dated {-age:.1f} h ahead"
    return True, age, f"newest row is {age:.1f} h old"


def _schema(warehouse: Warehouse, schema: str, spec: model.SchemaCheck) -> tuple[bool, None, str]:
    actual = dict(warehouse.column_types(*_located(schema, spec.table)))
    if not actual:
        return False, None, f"no table {spec.table}"
    problems = []
    for column, wanted in spec.columns.items():
        found = actual.get(column)
        if found is None:
            problems.append(f"{column} is missing")
        elif not _same_type(wanted, found):
            problems.append(f"{column} is {found}, expected {wanted}")
    return not problems, None, "; ".join(problems) or "columns as expected"


# one name for each type that both engines, or one of them, also call otherwise
ALIASES = {
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "decimal": "numeric",
    "varchar": "character varying",
    "char": "character",
    "bpchar": "character",
    "bool": "boolean",
    "double": "double precision",
    "float8": "double precision",
    "float4": "real",
    "timestamp without time zone": "timestamp",
    "timestamptz": "timestamp with time zone",
    "time without time zone": "time",
    "timetz": "time with time zone",
}


def _same_type(wanted: str, found: str) -> bool:
    """``numeric`` is what ``numeric(10,2)`` and DuckDB's ``DECIMAL(10,2)`` are; ``number``
    the family of both. A type given with its precision must match it."""
    if wanted.strip().lower() in (found.lower(), family(found)):
        return True
    if "(" in wanted:
        return _spelled(wanted) == _spelled(found)
    return _spelled(wanted, precise=False) == _spelled(found, precise=False)


def _spelled(sql_type: str, precise: bool = True) -> str:
    spelled = base_type(sql_type)
    base, arrays = spelled.rstrip("[] "), "[]" * spelled.count("[]")
    precision = re.search(r"\(.*?\)", sql_type) if precise else None
    exact = re.sub(r"\s+", "", precision.group()) if precision else ""
    return ALIASES.get(base, base) + exact + arrays


def _shown(value: object) -> str:
    """A value from the data, quoted in a message: scrubbed of secrets, then cut short."""
    return repr(redaction.scrub(str(value))[:40])
