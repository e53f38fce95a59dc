"""A copy's masked columns as SQL: the plan's columns (``masking.Column``, rules and types)
compiled through the strategies (strategies.py) and the engine's dialect into the SELECT
list a copy runs, and rehearsed on the warehouse before any row moves.

The salt is bound to the session (``Warehouse.set_salt``) and never appears in SQL text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from kitchen.backends.warehouse.base import Warehouse
from kitchen.backends.warehouse.rowsql import select_from
from kitchen.backends.warehouse.sql import Identifier, Query, join, sql
from kitchen.data.kinds import TEXT, Value, family
from kitchen.data.masking import Column
from kitchen.data.strategies import STRATEGIES, Target, cast, digest
from kitchen.errors import ConfigError, WarehouseError, WarehouseUnreachable


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
                value = cast(value, column.type)
        items.append(sql("{} AS {}", value, ident))
    return Projection(join(", ", items), join(", ", digests) if digests else None)


def rehearse(warehouse: Warehouse, schema: str, table: str, columns: list[Column]) -> None:
    """Have the warehouse plan the masked columns' SQL over no rows, and cast each fixed or
    redact value once: a rule it cannot apply there (a custom expression's typo, a fixed
    value the column's type cannot hold) is exit 2 naming the rule, before anything is
    copied. All of a table's rules are tried in one statement (each is a job on Spark), one
    by one only to name the rule that failed. The salt must be set."""
    ruled = [column for column in columns if column.rule is not None and column.masked]
    if not ruled:
        return
    try:
        _probe(warehouse, schema, table, ruled)
    except WarehouseUnreachable:
        raise
    except WarehouseError as together:
        for column in ruled:
            try:
                _probe(warehouse, schema, table, [column])
            except WarehouseUnreachable:
                raise
            except WarehouseError as exc:
                assert column.rule is not None
                raise ConfigError(
                    f"{column.rule.where()}: the {warehouse.environment} warehouse cannot "
                    f"apply {column.rule.strategy} to {table}.{column.name} ({column.type}): "
                    f"{exc.reason}"
                ) from None
        raise ConfigError(  # each rule alone works: together they do not
            f"data.masking.rules: the {warehouse.environment} warehouse cannot apply the "
            f"rules of {table} together: {together.reason}"
        ) from None


def _probe(warehouse: Warehouse, schema: str, table: str, columns: list[Column]) -> None:
    projection = select_list(warehouse, columns)
    rows = select_from(projection.columns, warehouse.table(schema, table), (), projection.derived)
    warehouse.execute(sql("SELECT * FROM ({}) AS rehearsal LIMIT 0", rows))
    # DuckDB casts nothing over no rows: each constant cast once
    if values := [v for column in columns if (v := constant(warehouse, column)) is not None]:
        warehouse.execute(sql("SELECT {}", join(", ", values)))


def constant(warehouse: Warehouse, column: Column) -> Query | None:
    """The value a fixed or redact rule writes in every row, as the column's type."""
    if column.rule is None or column.rule.strategy not in ("fixed", "redact"):
        return None
    unread = sql("NULL")
    target = Target(warehouse, unread, unread, column.type)
    return cast(STRATEGIES[column.rule.strategy].compile(target, column.rule.option), column.type)
