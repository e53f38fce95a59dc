"""Which tables each node of a pipeline reads and writes: parsed from SQL nodes with sqlglot
(in the engine's dialect, column by column where the SQL says), taken from dbt's manifest,
declared (``reads:``/``writes:``) for Python and shell nodes. Pure logic: no warehouse."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node as LineageNode
from sqlglot.lineage import lineage as column_lineage
from sqlglot.optimizer.qualify import qualify

from kitchen.errors import KitchenError
from kitchen.pipelines import model

WRITERS = (exp.Create, exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Alter)


@dataclass(frozen=True)
class NodeLineage:
    pipeline: str
    node: str
    type: str
    how: str  # parsed, declared, manifest; unknown where none of them could say
    reads: list[str]  # tables, unqualified in the kitchen's schema, schema.table elsewhere
    writes: list[str]
    columns: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # t: c: [s.c, ...]
    problem: str | None = None  # why it says less than it should
    key: list[str] = field(default_factory=list)  # declared: a row's identity in what it writes
    source: str | None = None  # its file, or a dbt node's project folder, in the pipeline's

    def to_json(self) -> dict[str, Any]:
        return vars(self)


def of_sql(
    text: str, dialect: str, schema: str, known: dict[str, dict[str, str]] | None = None
) -> tuple[list[str], list[str], dict[str, Any]]:
    """The tables ``text`` (a script) reads and writes, and where each written column comes
    from; tables of ``schema`` (the kitchen's) unqualified. ``known``: the columns of its
    tables (table: column: type), which a ``SELECT *`` brings. Raises SqlglotError."""
    reads: set[str] = set()
    writes: set[str] = set()
    columns: dict[str, dict[str, list[str]]] = {}
    for statement in sqlglot.parse(text, read=dialect):
        if statement is None or isinstance(statement, exp.Drop):
            continue  # a DROP before a CREATE is the same node making its table anew
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        target = _target(statement)
        written = _name(target, schema) if target is not None else None
        if written is not None:
            writes.add(written)
        for table in statement.find_all(exp.Table):
            if table is target or not table.name or (not table.db and table.name.lower() in ctes):
                continue  # the target, a table function (read_parquet), or a CTE
            reads.add(_name(table, schema))
        query = statement.expression if isinstance(statement, exp.Create | exp.Insert) else None
        if written is not None and isinstance(query, exp.Query):
            found = _columns(query, dialect, schema, known or {})
            named = statement.this  # INSERT INTO t (a, b) SELECT x, y: a from x, b from y
            if isinstance(named, exp.Schema) and len(named.expressions) == len(found):
                found = [
                    (target.name.lower(), sources)
                    for target, (_, sources) in zip(named.expressions, found, strict=True)
                ]
            columns[written] = {name: sources for name, sources in found if name}
    return sorted(reads - writes), sorted(writes), columns


def replaced_and_changed(text: str, dialect: str, schema: str) -> tuple[set[str], set[str]]:
    """The kitchen's tables ``text`` makes anew (its first write to them a ``CREATE``,
    perhaps after a ``DROP``) and those it changes in place (``INSERT``, ``UPDATE``...).
    Raises SqlglotError."""
    replaced: set[str] = set()
    changed: set[str] = set()
    for statement in sqlglot.parse(text, read=dialect):
        target = _target(statement) if statement is not None else None
        name = _name(target, schema) if target is not None else None
        if name is None or "." in name or name in replaced | changed:
            continue
        fresh = isinstance(statement, exp.Create) and statement.kind in ("TABLE", "VIEW")
        (replaced if fresh else changed).add(name)
    return replaced, changed


def _target(statement: exp.Expr) -> exp.Table | None:
    if not isinstance(statement, WRITERS):
        return None
    target = statement.this
    if isinstance(target, exp.Schema):  # CREATE TABLE t (a int, ...), INSERT INTO t (a, b)
        target = target.this
    return target if isinstance(target, exp.Table) else None


def _name(table: exp.Table, schema: str) -> str:
    """``orders`` in the kitchen's schema, ``analytics.orders`` elsewhere; unquoted names
    fold to lower case, as PostgreSQL and DuckDB fold them."""
    parts = [
        part.name if part.quoted else part.name.lower()
        for part in (table.args.get("db"), table.this)
        if isinstance(part, exp.Identifier)
    ]
    if len(parts) == 2 and parts[0] == schema:
        return parts[1]
    return ".".join(parts)


def _columns(
    query: exp.Query, dialect: str, schema: str, known: dict[str, dict[str, str]]
) -> list[tuple[str, list[str]]]:
    """Each output column in order, with its source columns (none where the SQL does not
    name them: an unnamed expression, or a star over tables whose columns are not known)."""
    catalog: dict[str, object] = {schema: known} if known else {}
    if catalog and any(select.is_star for select in query.selects):
        with contextlib.suppress(SqlglotError):  # where it cannot, the star stays unknown
            query = qualify(
                query.copy(),
                schema=catalog,
                db=schema,
                dialect=dialect,
                validate_qualify_columns=False,
            )
    found: list[tuple[str, list[str]]] = []
    for select in query.selects:
        if select.is_star:
            return []  # which columns a star brings is the warehouse's to say
        # a column or an aliased expression has a name; count(*) or a literal has none
        column = select.output_name if isinstance(select, exp.Alias | exp.Column) else ""
        if not column:
            found.append(("", []))
            continue
        try:
            node = column_lineage(column, query, catalog, dialect=dialect)
        except (SqlglotError, KeyError, ValueError):
            found.append((column.lower(), []))
            continue
        found.append((column.lower(), sorted(_sources(node, column, schema))))
    return found


def _sources(node: LineageNode, column: str, schema: str) -> set[str]:
    """The table columns under ``node``; a ``*`` passes a column on under its own name
    (``with r as (select * from orders) select r.id``: ``orders.id``)."""
    name = node.name.rsplit(".", 1)[-1].strip('"`')
    named = column if name == "*" else name
    if not node.downstream:
        table = node.expression
        return (
            {f"{_name(table, schema)}.{named.lower()}"} if isinstance(table, exp.Table) else set()
        )
    return {found for child in node.downstream for found in _sources(child, named, schema)}


def of_manifest(manifest: bytes, schema: str) -> list[tuple[str, list[str], list[str]]]:
    """(model, reads, writes) of each model, seed and snapshot of a dbt manifest built in
    ``schema``: a model's relation is written, the relations it depends on are read."""
    document = json.loads(manifest)
    relation: dict[str, str] = {}
    for key, entry in {**document.get("nodes", {}), **document.get("sources", {})}.items():
        name = entry.get("alias") or entry.get("identifier") or entry.get("name")
        where = entry.get("schema") or ""
        relation[key] = name.lower() if where in ("", schema) else f"{where}.{name}".lower()
    found = []
    for key, entry in document.get("nodes", {}).items():
        if entry.get("resource_type") not in ("model", "seed", "snapshot"):
            continue
        reads = sorted(
            relation[k] for k in entry.get("depends_on", {}).get("nodes", []) if k in relation
        )
        found.append((entry["name"], reads, [relation[key]]))
    return sorted(found)


@dataclass(frozen=True)
class Reading:
    """How a pipeline's files are read: templates filled as a run fills them, the engine's
    dialect, the kitchen's schema, and where a dbt node's manifest is (None: not built)."""

    render: Callable[[str, Path], str]
    dialect: str
    schema: str
    manifest: Callable[[model.Node], tuple[bytes, str] | None]  # and the schema it was built in
    known: dict[str, dict[str, str]] = field(default_factory=dict)  # its tables' columns


def of_pipeline(pipeline: model.Pipeline, reading: Reading) -> list[NodeLineage]:
    """Every node's lineage."""
    return [
        NodeLineage(
            pipeline.name,
            node.name,
            node.type,
            *_of_node(node, pipeline, reading),
            key=node.key,
            source=node.project_dir if node.type == "dbt" else node.file,
        )
        for node in pipeline.nodes
    ]


Found = tuple[str, list[str], list[str], dict[str, dict[str, list[str]]], str | None]


def _of_node(node: model.Node, pipeline: model.Pipeline, reading: Reading) -> Found:
    """(how, reads, writes, columns, problem) of one node: what it declares comes first."""
    if node.reads or node.writes:
        schema = reading.schema
        return "declared", _declared(node.reads, schema), _declared(node.writes, schema), {}, None
    if node.type == "sql" and node.file:
        return _of_sql_file(pipeline.folder / node.file, reading)
    if node.type == "dbt":
        return _of_dbt(reading.manifest(node))
    return "unknown", [], [], {}, "declares no reads: or writes:, so kitchen cannot place it"


def _of_sql_file(source: Path, reading: Reading) -> Found:
    try:
        text = reading.render(source.read_text(encoding="utf-8"), source)
        reads, writes, columns = of_sql(text, reading.dialect, reading.schema, reading.known)
    except SqlglotError as exc:
        why = str(exc).splitlines()[0]
        return "unknown", [], [], {}, f"{source.name} could not be parsed: {why}"
    except KitchenError as exc:  # its template: the run says so where the node runs
        return "unknown", [], [], {}, exc.message
    return "parsed", reads, writes, columns, None


def _of_dbt(built: tuple[bytes, str] | None) -> Found:
    if built is None:
        return "unknown", [], [], {}, "not built by dbt yet: its lineage comes with it"
    models = of_manifest(*built)
    written = {table for _, _, writes in models for table in writes}
    reads = sorted({table for _, read, _ in models for table in read} - written)
    return "manifest", reads, sorted(written), {}, None


def _declared(tables: list[str], schema: str) -> list[str]:
    return sorted({table.lower().removeprefix(f"{schema}.") for table in tables})


def contradictions(pipeline: model.Pipeline, found: list[NodeLineage]) -> list[str]:
    """A node that reads a table another node writes, with no dependency between them:
    which runs first is chance."""
    ancestors = {node.name: _ancestors(pipeline, node.name) for node in pipeline.nodes}
    writers: dict[str, list[str]] = {}
    for entry in found:
        for table in entry.writes:
            writers.setdefault(table, []).append(entry.node)
    said = []
    for entry in found:
        for table in entry.reads:
            for writer in writers.get(table, []):
                if writer != entry.node and writer not in ancestors[entry.node]:
                    said.append(
                        f"{pipeline.name}.{entry.node} reads {table}, which {writer} writes, "
                        f"but does not depend on {writer}: add `depends_on: [{writer}]`."
                    )
    return said


def _ancestors(pipeline: model.Pipeline, name: str) -> set[str]:
    seen: set[str] = set()
    waiting = list(pipeline.node(name).depends_on)
    while waiting:
        parent = waiting.pop()
        if parent not in seen:
            seen.add(parent)
            waiting += pipeline.node(parent).depends_on
    return seen
