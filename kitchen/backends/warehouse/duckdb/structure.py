"""A DuckDB schema's structure, read from its catalogue functions as the DDL that builds it again.

DuckDB writes each table, view and index as SQL (``duckdb_tables().sql`` and the like) with
the names of its schema's objects qualified by the schema. sqlglot, in DuckDB's dialect, moves
those names to the kitchen's schema: the tables, views and columns a statement names, the
macros it calls, and the sequences its defaults draw from. Names of other schemas stay.

DuckDB adds neither foreign keys nor checks to a table that exists, and checks a foreign key
as each row arrives: tables are made whole before their rows, and filled in ``arrival`` order,
a table before those whose keys reference it. Indexes, views and macros come after the rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING, Any

from kitchen.backends.warehouse.sql import Identifier, Placeholder, Query, quote_literal, sql

if TYPE_CHECKING:  # sqlglot is imported where a statement is read: 0.18 s at each start
    from sqlglot import exp

Execute = Callable[[Query, Sequence[object]], list[tuple[Any, ...]]]
DIALECT = "duckdb"
_SEQUENCE_FUNCTIONS = {"nextval", "currval"}


@dataclass(frozen=True)
class Series:
    """A sequence, to be made anew where the source's stands: its next value first."""

    name: str
    increment: int
    minimum: int
    maximum: int
    following: int
    cycle: bool


@dataclass
class Structure:
    schema: str  # whose names the statements qualify
    catalogs: tuple[str, ...]  # under which the statements may name that schema's catalog
    types: dict[str, str] = field(default_factory=dict)  # name: the type DuckDB spells
    sequences: list[Series] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)  # in arrival order
    indexes: list[str] = field(default_factory=list)
    macros: list[str] = field(default_factory=list)
    views: list[str] = field(default_factory=list)  # each after those it reads
    comments: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)
    loosened: list[str] = field(default_factory=list)  # DuckDB has no domains: always empty

    @property
    def arrival(self) -> list[str]:
        """The tables in the order their rows must arrive."""
        return list(self.tables)


def read(
    execute: Execute, catalogs: Sequence[str], schema: str, tables: Sequence[str]
) -> Structure:
    """The structure of ``tables`` of ``schema``, and of the schema's types, sequences,
    macros and the views that read only what is copied. ``catalogs``: the schema's catalog,
    then the names its statements may give it."""
    catalog = catalogs[0]
    plan = Structure(schema, tuple(catalogs))

    def ask(template: str, *values: object) -> list[tuple[Any, ...]]:
        query = sql(template, *[Placeholder()] * (len(values) + 2))
        return execute(query, [catalog, schema, *values])

    plan.types = types(execute, catalog, schema)
    plan.sequences = [Series(*row) for row in ask(_SEQUENCES)]
    copied = set(tables)
    texts = {str(name): str(text) for name, text in ask(_TABLES) if name in copied}
    plan.tables = {
        table: _kept_references(table, texts[table], copied, plan.left_out)
        for table in arrival(list(texts), ask(_REFERENCES))
    }
    plan.indexes = [str(text) for (text,) in ask(_INDEXES, list(tables))]
    plan.macros = _macros(ask(_MACROS), schema, plan.left_out)
    views = _views(ask(_VIEWS), plan, copied)
    plan.views = list(views.values())
    described = copied | set(views)
    plan.comments = [
        (str(kind), tuple(path), str(text))
        for kind, path, text, relation in ask(_COMMENTS)
        if relation is None or relation in described
    ]
    return plan


def types(execute: Execute, catalog: str, schema: str) -> dict[str, str]:
    """The schema's own types, each as DuckDB spells the type it names."""
    found = {}
    names = execute(sql(_TYPES, Placeholder(), Placeholder()), [catalog, schema])
    for (name,) in names:
        cast = sql("SELECT typeof(CAST(NULL AS {}))", Identifier(catalog, schema, name))
        ((spelt,),) = execute(cast, [])
        found[str(name)] = str(spelt)
    return found


def arrival(tables: Sequence[str], references: Sequence[tuple[Any, ...]]) -> list[str]:
    """``tables``, each before those whose foreign keys reference it (of ``references``,
    (table, referenced) pairs). DuckDB allows no cycle but a key to the table itself."""
    graph: dict[str, set[str]] = {table: set() for table in sorted(tables)}
    for table, parent in references:
        if table in graph and parent in graph and parent != table:
            graph[table].add(parent)
    try:
        return list(TopologicalSorter(graph).static_order())
    except CycleError:  # not made by DuckDB: then as they come
        return list(graph)


def before(plan: Structure, target: str) -> list[str]:
    """What stands in ``target`` before the rows arrive: types, sequences, tables."""
    statements = [
        f"CREATE TYPE {_qualified(target, name)} AS {spelt}" for name, spelt in plan.types.items()
    ]
    statements += [_sequence(target, series) for series in plan.sequences]
    return statements + [moved(plan, text, target) for text in plan.tables.values()]


def after(plan: Structure, target: str) -> list[str]:
    """What is built over the rows: indexes, macros, views, comments."""
    statements = [moved(plan, text, target) for text in [*plan.indexes, *plan.macros]]
    statements += [moved(plan, text, target, replace=True) for text in plan.views]
    return statements + [
        f"COMMENT ON {kind} {_qualified(target, *path)} IS {quote_literal(text)}"
        for kind, path, text in plan.comments
    ]


def moved(plan: Structure, text: str, target: str, *, replace: bool = False) -> str:
    """``text`` naming ``target``'s objects where it named ``plan.schema``'s, and nothing
    else changed: sqlglot finds the names, which are replaced where they stand in ``text``
    (written out again, sqlglot's text would differ from DuckDB's: VARCHAR as TEXT)."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(text, read=DIALECT)
    source, catalogs = plan.schema.lower(), {name.lower() for name in plan.catalogs}
    edits = []
    if replace and text[:12].upper() == "CREATE VIEW ":
        edits.append((0, 6, "CREATE OR REPLACE"))

    def ours(schema: exp.Expr | None, catalog: exp.Expr | None) -> bool:
        return (
            isinstance(schema, exp.Identifier)
            and schema.name.lower() == source
            and (catalog is None or catalog.name.lower() in catalogs)
        )

    for node in tree.walk():
        if isinstance(node, exp.Table | exp.Column):
            schema, catalog = node.args.get("db"), node.args.get("catalog")
            if isinstance(schema, exp.Identifier) and ours(schema, catalog):
                edits.append(_span(schema, _quoted(target)))
                if catalog is not None:  # "catalog".  goes
                    edits.append((catalog.meta["start"], schema.meta["start"], ""))
        elif isinstance(node, exp.Dot) and isinstance(node.expression, exp.Func):
            if ours(node.this, None):
                edits.append(_span(node.this, _quoted(target)))
        elif _draws(node) and isinstance(named := node.expressions[0], exp.Literal):
            parts = exp.to_table(named.name, dialect=DIALECT)
            if ours(parts.args.get("db"), parts.args.get("catalog")):
                name = ".".join(_plain(part) for part in (target, parts.name))
                edits.append(_span(named, quote_literal(name)))
    return _spliced(text, edits)


def _span(node: exp.Expr, replacement: str) -> tuple[int, int, str]:
    """Where ``node`` stands in the text it was parsed from (quotes included)."""
    return node.meta["start"], node.meta["end"] + 1, replacement


def _spliced(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def _draws(node: exp.Expr) -> bool:
    """A call of nextval or currval: its argument names a sequence, as a string."""
    from sqlglot import exp

    return (
        isinstance(node, exp.Anonymous)
        and str(node.this).lower() in _SEQUENCE_FUNCTIONS
        and len(node.expressions) == 1
    )


def _kept_references(table: str, text: str, copied: Collection[str], left_out: list[str]) -> str:
    """The table's statement without the foreign keys the kitchen cannot have: to a table
    not copied, and to itself (DuckDB checks one as each row arrives, so rows referring to
    rows of the same insert would fail). DuckDB writes each as ``, FOREIGN KEY (..)
    REFERENCES schema.table(..)``, after the columns."""
    import sqlglot
    from sqlglot import exp

    edits = []
    for key in sqlglot.parse_one(text, read=DIALECT).find_all(exp.ForeignKey):
        parent = key.find(exp.Table)
        name = parent.name if parent is not None else ""
        if name == table:
            left_out.append(
                f"the foreign key of {table} to itself (DuckDB checks it as each row arrives)"
            )
        elif name not in copied:
            left_out.append(f"the foreign key of {table} to {name}, not copied")
        else:
            continue
        named = [node.meta for node in key.find_all(exp.Identifier)]
        first, last = min(m["start"] for m in named), max(m["end"] for m in named)
        start, end = text.rfind(", FOREIGN KEY", 0, first), text.find(")", last + 1) + 1
        if start < 0 or end <= 0:
            raise ValueError(f"DuckDB wrote {table}'s foreign key in an unexpected way: {text}")
        edits.append((start, end, ""))
    return _spliced(text, edits)


def _macros(rows: list[tuple[Any, ...]], schema: str, left_out: list[str]) -> list[str]:
    """``CREATE MACRO`` statements, one per name with its overloads."""
    import sqlglot

    grouped: dict[tuple[str, str], list[str]] = {}
    for name, kind, parameters, types, body in rows:
        spelt = ", ".join(
            _quoted(p) + (f" {t}" if t else "") for p, t in zip(parameters, types, strict=True)
        )
        table = "TABLE " if kind == "table_macro" else ""
        grouped.setdefault((str(name), table), []).append(f"({spelt}) AS {table}{body}")
    statements = []
    for (name, _), overloads in grouped.items():
        text = f"CREATE OR REPLACE MACRO {_qualified(schema, name)}{', '.join(overloads)}"
        try:
            sqlglot.parse_one(text, read=DIALECT)
        except sqlglot.ParseError:
            left_out.append(f"the macro {name}, which kitchen cannot read")
            continue
        statements.append(text)
    return statements


def _views(rows: list[tuple[Any, ...]], plan: Structure, copied: set[str]) -> dict[str, str]:
    """Views (name: text) in the order they were made (each after what it reads), but those
    reading a table of the schema that is not copied, or that kitchen cannot read."""
    import sqlglot
    from sqlglot import exp

    kept: dict[str, str] = {}
    built = set(copied)
    for name, text in rows:
        try:
            tree = sqlglot.parse_one(str(text), read=DIALECT)
        except sqlglot.ParseError:
            plan.left_out.append(f"the view {name}, which kitchen cannot read")
            continue
        local = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        reads = {
            table.name
            for table in tree.find_all(exp.Table)
            if isinstance(table.this, exp.Identifier)
            and (not table.db or table.db.lower() == plan.schema.lower())
        } - {_created(tree)}
        if missing := sorted(reads - built - local):
            plan.left_out.append(f"the view {name}, which reads {', '.join(missing)}")
            continue
        built.add(str(name))
        kept[str(name)] = str(text)
    return kept


def _created(tree: exp.Expr) -> str:
    """The name a CREATE statement gives (a view's with its column list too)."""
    from sqlglot import exp

    made = tree.this
    return str(made.this.name if isinstance(made, exp.Schema) else made.name)


def _sequence(target: str, series: Series) -> str:
    return (
        f"CREATE SEQUENCE {_qualified(target, series.name)} INCREMENT BY {series.increment} "
        f"MINVALUE {series.minimum} MAXVALUE {series.maximum} START {series.following}"
        + (" CYCLE" if series.cycle else " NO CYCLE")
    )


def _qualified(*names: str) -> str:
    return ".".join(_quoted(name) for name in names)


def _plain(name: str) -> str:
    """As DuckDB writes a name: quoted only where it must be."""
    return name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else _quoted(name)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The catalogue queries: the first two parameters are the catalog and the schema.
_TYPES = """
SELECT type_name FROM duckdb_types() WHERE database_name = {} AND schema_name = {}
AND NOT internal ORDER BY type_oid
"""

_SEQUENCES = """
SELECT sequence_name, increment_by, min_value, max_value,
  CASE WHEN last_value IS NULL THEN start_value
    WHEN last_value + increment_by > max_value OR last_value + increment_by < min_value
    THEN CASE WHEN increment_by > 0 THEN min_value ELSE max_value END
    ELSE last_value + increment_by END, cycle
FROM duckdb_sequences() WHERE database_name = {} AND schema_name = {} ORDER BY sequence_oid
"""

_TABLES = """
SELECT table_name, sql FROM duckdb_tables() WHERE database_name = {} AND schema_name = {}
"""

_REFERENCES = """
SELECT table_name, referenced_table FROM duckdb_constraints()
WHERE database_name = {} AND schema_name = {} AND constraint_type = 'FOREIGN KEY'
"""

_INDEXES = """
SELECT sql FROM duckdb_indexes() WHERE database_name = {} AND schema_name = {}
AND list_contains({}, table_name) AND sql IS NOT NULL ORDER BY index_oid
"""

_MACROS = """
SELECT function_name, function_type, parameters, parameter_types, macro_definition
FROM duckdb_functions() WHERE database_name = {} AND schema_name = {}
AND function_type IN ('macro', 'table_macro') AND NOT internal ORDER BY function_oid
"""

_VIEWS = """
SELECT view_name, sql FROM duckdb_views() WHERE database_name = {} AND schema_name = {}
AND NOT internal ORDER BY view_oid
"""

# Every comment: the COMMENT ON keyword, the object's path within the schema, the text, and
# the table or view it goes with, if any.
_COMMENTS = """
WITH target(catalog, schema) AS (SELECT {}, {})
SELECT 'TABLE', [table_name], comment, table_name FROM duckdb_tables(), target
  WHERE database_name = catalog AND schema_name = schema AND comment IS NOT NULL
UNION ALL SELECT 'VIEW', [view_name], comment, view_name FROM duckdb_views(), target
  WHERE database_name = catalog AND schema_name = schema AND comment IS NOT NULL
UNION ALL SELECT 'COLUMN', [table_name, column_name], comment, table_name
  FROM duckdb_columns(), target
  WHERE database_name = catalog AND schema_name = schema AND comment IS NOT NULL
UNION ALL SELECT 'SEQUENCE', [sequence_name], comment, NULL FROM duckdb_sequences(), target
  WHERE database_name = catalog AND schema_name = schema AND comment IS NOT NULL
UNION ALL SELECT 'INDEX', [index_name], comment, table_name FROM duckdb_indexes(), target
  WHERE database_name = catalog AND schema_name = schema AND comment IS NOT NULL
UNION ALL SELECT 'TYPE', [type_name], comment, NULL FROM duckdb_types(), target
  WHERE database_name = catalog AND schema_name = schema AND comment IS NOT NULL
UNION ALL SELECT DISTINCT CASE function_type WHEN 'macro' THEN 'MACRO' ELSE 'MACRO TABLE' END,
  [function_name], comment, NULL FROM duckdb_functions(), target
  WHERE database_name = catalog AND schema_name = schema AND comment IS NOT NULL
  AND function_type IN ('macro', 'table_macro')
"""
