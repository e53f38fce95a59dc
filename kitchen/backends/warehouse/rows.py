"""Which rows a copy keeps, as data: the sample plan kitchen's data layer makes
(``kitchen.data.sampling``) and each engine compiles to SQL through its dialect
(``kitchen.backends.warehouse.rowsql``). Nothing here is SQL.

A table's rows are kept by a tree of these: its own sample (``Own``), a key among the
keys some rows hold (``KeyIn``), any of several (``AnyOf``), or being referenced by a kept
row of a child (``Referenced``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kitchen.backends.warehouse.base import Reference


@dataclass(frozen=True)
class Percent:
    value: float


@dataclass(frozen=True)
class Rows:
    count: int


Spec = Percent | Rows | None  # None: every row


@dataclass(frozen=True)
class Own:
    """The table's own sample: a hash of the seed, the table's name and the columns that
    identify a row (its key, or all of them) decides, the same every time."""

    table: str
    spec: Percent | Rows
    identity: tuple[str, ...]
    seed: int


@dataclass(frozen=True)
class Select:
    """``columns`` of the rows of ``table`` that ``keep`` keeps (None: every row)."""

    table: str
    columns: tuple[str, ...]
    keep: Keep | None


@dataclass(frozen=True)
class KeyIn:
    """A row whose ``columns`` are among those that any of ``selects`` gives."""

    columns: tuple[str, ...]
    selects: tuple[Select, ...]


@dataclass(frozen=True)
class AnyOf:
    alternatives: tuple[Keep, ...]


@dataclass(frozen=True)
class Referenced:
    """A parent row that a kept row of ``edge.table`` (kept by ``child``; None: every
    row) references through ``edge``."""

    edge: Reference
    child: Keep | None


Keep = Own | KeyIn | AnyOf | Referenced


@dataclass
class TablePlan:
    """How one table is copied: the rows meeting any of ``keep`` (none: every row), and
    each referencing column set to NULL where the row it references is not kept (a
    foreign-key cycle broken there)."""

    keep: list[Keep] = field(default_factory=list)
    nulled: dict[str, KeyIn] = field(default_factory=dict)
