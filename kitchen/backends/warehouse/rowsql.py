"""A copy's rows as SQL: a sample plan (``rows.py``) written through the engine's dialect
and its hash functions (the predicates a copy's rows meet, the referencing columns it
nulls), and the one ``SELECT`` a copy runs, with the masking expressions and those
predicates on the source's rows (``select_from``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kitchen.backends.warehouse.base import SELECT_ALL, Warehouse
from kitchen.backends.warehouse.rows import (
    AnyOf,
    Keep,
    KeyIn,
    Own,
    Percent,
    Referenced,
    Select,
    TablePlan,
)
from kitchen.backends.warehouse.sql import Identifier, Literal, Query, SourceTable, join, sql


@dataclass(frozen=True)
class Compiled:
    where: list[Query]  # never NULL, of which a row meets one (select_from); none: every row
    nulled: dict[str, Query]  # a referencing column's value, NULL where its parent is not kept


def compile_plan(warehouse: Warehouse, plan: TablePlan) -> Compiled:
    """One table's sample plan as SQL, through ``warehouse``'s dialect and hashes."""
    writer = _Writer(warehouse)
    # never NULL, so that a copy may negate them; a Referenced is an EXISTS, never NULL
    where = [
        sql("coalesce({}, FALSE)", writer.keep(keep))
        if isinstance(keep, Own)
        else writer.keep(keep)
        for keep in plan.keep
    ]
    nulled = {
        column: sql("CASE WHEN {} THEN {} END", writer.keep(present), Identifier(column))
        for column, present in plan.nulled.items()
    }
    return Compiled(where, nulled)


class _Writer:
    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse = warehouse

    def keep(self, keep: Keep) -> Query:
        if isinstance(keep, Own):
            return self._own(keep)
        if isinstance(keep, KeyIn):
            selects = join(" UNION ALL ", [self._select(select) for select in keep.selects])
            return sql("({}) IN ({})", _columns(keep.columns), selects)
        if isinstance(keep, AnyOf):
            return sql("({})", join(" OR ", [self.keep(each) for each in keep.alternatives]))
        return self._referencing(keep)

    def _select(self, select: Select) -> Query:
        rows = sql("SELECT {} FROM {}", _columns(select.columns), SourceTable(select.table))
        return rows if select.keep is None else sql("{} WHERE {}", rows, self.keep(select.keep))

    def _referencing(self, keep: Referenced) -> Query:
        """Whether a kept row of the child references the parent row at hand."""
        edge = keep.edge
        matches = [
            sql("{} = {}", Identifier(edge.table, column), Identifier(edge.parent, parent))
            for column, parent in zip(edge.columns, edge.parent_columns, strict=True)
        ]
        if keep.child is not None:
            matches.append(sql("({})", self.keep(keep.child)))
        return sql(
            "EXISTS (SELECT 1 FROM {} WHERE {})", SourceTable(edge.table), join(" AND ", matches)
        )

    def _fingerprint(self, own: Own) -> Query:
        """A hash of the seed and the row's key (or whole row): the same rows for the same
        seed, every time. A key also keeps a row whose other columns change in the sample."""
        dialect = self.warehouse.dialect
        values = [
            sql("coalesce({}, '~')", dialect.text(Identifier(own.table, column)))
            for column in own.identity
        ]
        row = sql("{} || {}", Literal(f"{own.table}:"), dialect.joined(values))
        return self.warehouse.fingerprint(row, own.seed)

    def _own(self, own: Own) -> Query:
        fingerprint = self._fingerprint(own)
        if isinstance(own.spec, Percent):
            bucket = self.warehouse.bucket(fingerprint, 10000)
            return sql("{} < {}", bucket, Literal(round(own.spec.value * 100)))
        # the rows up to the count-th smallest fingerprint, a constant the server computes
        # once: an IN list of them, negated in a copy's later scans (see select_from), would
        # be a subplan that PostgreSQL reads once per row when its hash outgrows work_mem
        first = sql(
            "SELECT {} AS kitchen_fingerprint FROM {} AS {} ORDER BY 1 LIMIT {}",
            fingerprint,
            SourceTable(own.table),
            Identifier(own.table),
            Literal(own.spec.count),
        )
        return sql(
            "{} <= (SELECT max(kitchen_fingerprint) FROM ({}) AS kitchen_first)",
            fingerprint,
            first,
        )


def _columns(names: tuple[str, ...]) -> Query:
    return join(", ", [Identifier(name) for name in names])


def select_from(
    columns: Query | None,
    origin: Identifier,
    where: Sequence[Query],
    derived: Query | None,
    *,
    postgres: bool = False,
) -> Query:
    """``SELECT <columns> FROM <origin> [WHERE <where>]``; with ``derived`` (per-row values
    the columns read), ``SELECT <columns> FROM (SELECT *, <derived> FROM ...) AS <table>``.

    ``where`` holds predicates, never NULL, of which a row must meet one (none: every row).

    ``postgres`` shapes the query for PostgreSQL's planner, in two ways:

    - It ends the inner SELECT with ``LIMIT ALL``, which keeps the planner from inlining the
      subquery and computing a derived value once per use instead of once per row. Not
      ``OFFSET 0``: PostgreSQL judges whether a subquery may run in parallel workers before
      it folds that offset to a constant, so the outer columns (the masking) would run in
      the leader alone.
    - Several predicates become a ``UNION ALL`` of one scan each, the n-th taking the rows
      that meet it and none of the ones before: each scan is a filter, a semi-join or an
      anti-join, which the server runs in its parallel workers, where it would run an ``OR``
      of semi-joins in the leader alone.

    DuckDB shares repeated expressions and plans an ``OR`` of semi-joins well by itself.
    """
    name, source = Identifier(origin.parts[-1]), sql("{}", origin)
    if len(where) > 1 and postgres:
        scans = [
            sql(
                "SELECT * FROM {} WHERE {}",
                origin,
                join(" AND ", [*(sql("NOT ({})", p) for p in where[:n]), sql("({})", where[n])]),
            )
            for n in range(len(where))
        ]
        source, where = sql("({}) AS {}", join(" UNION ALL ", scans), name), ()  # applied
    rows = (
        sql("SELECT *, {} FROM {}", derived, source) if derived else sql("SELECT * FROM {}", source)
    )
    if where:
        rows = sql("{} WHERE {}", rows, join(" OR ", [sql("({})", p) for p in where]))
    if derived is not None and postgres:
        rows = sql("{} LIMIT ALL", rows)
    if derived is None and columns is None:
        return rows
    return sql("SELECT {} FROM ({}) AS {}", columns or SELECT_ALL, rows, name)
