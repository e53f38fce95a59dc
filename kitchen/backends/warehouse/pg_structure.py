"""A PostgreSQL schema's structure, read from its catalogue as the DDL that builds it again.

Every statement is PostgreSQL's own text (``pg_get_*def``, ``format_type``, ``quote_ident``)
read while the source schema is the whole ``search_path``: names of the schema's own objects
come out unqualified, and run with the kitchen's schema as the ``search_path`` they name its
objects. Names elsewhere (``public``, ``pg_catalog``) stay qualified.

The statements are grouped as ``pg_restore`` orders them: what the rows need before they
arrive (types, sequences, tables and partitions, functions, defaults), then what is cheaper
built over rows already there (keys, indexes, side by side per table; foreign keys), then what
reads the rows (sequence positions, views, materialized views, triggers, comments).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kitchen.backends.warehouse.sql import (
    Identifier,
    Placeholder,
    Query,
    quote_identifier,
    quote_literal,
    sql,
)

Execute = Callable[[Query, Sequence[object]], list[tuple[Any, ...]]]

STRUCTURE_SINCE = 120000  # pg_partition_root, generated columns, pretty schema-aware *def


@dataclass
class Structure:
    types: dict[str, str] = field(default_factory=dict)  # by name
    arrival: list[str] = field(default_factory=list)  # any order: keys come after the rows
    sequences: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)  # parents before their partitions
    functions: list[str] = field(default_factory=list)
    defaults: list[str] = field(default_factory=list)  # may call the functions
    parents: list[str] = field(default_factory=list)  # ONLY keys and indexes of partitioned
    per_table: dict[str, list[str]] = field(default_factory=dict)  # side by side
    attach: list[str] = field(default_factory=list)  # partition indexes, checks on parents
    foreign: list[str] = field(default_factory=list)  # one at a time, NOT VALID where it may
    validate: dict[str, list[str]] = field(default_factory=dict)  # then side by side per table
    after: list[str] = field(default_factory=list)  # sequences' positions .. comments
    left_out: list[str] = field(default_factory=list)  # said to the user, kept in the record
    loosened: list[str] = field(default_factory=list)  # masked domains, as their base types
    # routines whose own search_path names the copied schema (None in its place)
    search_paths: list[tuple[str, list[str | None]]] = field(default_factory=list)

    @property
    def before(self) -> list[str]:
        """What must stand before the rows arrive, in the order it is built."""
        return [*self.types.values(), *self.untyped]

    @property
    def untyped(self) -> list[str]:
        """``before`` but the types: what a refresh builds aside whatever its kitchen has."""
        return [*self.sequences, *self.tables, *self.functions, *self.defaults]


# The catalogue queries: {name} marks where a parameter goes (see _query).
_TYPES = """
SELECT t.typname, CASE t.typtype
  WHEN 'e' THEN format('CREATE TYPE %I AS ENUM (%s)', t.typname,
    (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
     FROM pg_enum e WHERE e.enumtypid = t.oid))
  WHEN 'd' THEN format('CREATE DOMAIN %I AS %s', t.typname,
    format_type(t.typbasetype, t.typtypmod))
    || CASE WHEN t.typcollation <> 0 AND t.typcollation <> b.typcollation
       THEN ' COLLATE ' || t.typcollation::regcollation::text ELSE '' END
    || coalesce(' DEFAULT ' || t.typdefault, '')
    || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
    || coalesce((SELECT string_agg(format(' CONSTRAINT %I ', k.conname)
                 || pg_get_constraintdef(k.oid, true), '' ORDER BY k.conname)
                 FROM pg_constraint k WHERE k.contypid = t.oid), '')
  WHEN 'r' THEN format('CREATE TYPE %I AS RANGE (subtype = %s', t.typname,
    format_type(g.rngsubtype, NULL))
    || CASE WHEN g.rngsubopc <> o.oid THEN ', subtype_opclass = '
       || quote_ident(so.opcname) ELSE '' END
    || CASE WHEN g.rngcollation <> 0 AND g.rngcollation <> s.typcollation
       THEN ', collation = ' || g.rngcollation::regcollation::text ELSE '' END
    || CASE WHEN g.rngsubdiff <> 0 THEN ', subtype_diff = ' || g.rngsubdiff::regproc::text
       ELSE '' END || ')'
  ELSE format('CREATE TYPE %I AS (%s)', t.typname,
    (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)),
     ', ' ORDER BY a.attnum) FROM pg_attribute a
     WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped))
  END
FROM pg_type t LEFT JOIN pg_type b ON b.oid = t.typbasetype
LEFT JOIN pg_class r ON r.oid = t.typrelid
LEFT JOIN pg_range g ON g.rngtypid = t.oid LEFT JOIN pg_type s ON s.oid = g.rngsubtype
LEFT JOIN pg_opclass so ON so.oid = g.rngsubopc
LEFT JOIN pg_opclass o ON o.opcintype = g.rngsubtype AND o.opcdefault
  AND o.opcmethod = (SELECT oid FROM pg_am WHERE amname = 'btree')
WHERE t.typnamespace = to_regnamespace({schema}) AND (t.typtype IN ('e', 'd', 'r')
  OR t.typtype = 'c' AND r.relkind = 'c')
ORDER BY t.typtype = 'e' DESC, t.oid
"""

_SEQUENCES = """
SELECT c.relname, format('CREATE SEQUENCE %I AS %s START WITH %s INCREMENT BY %s'
  ' MINVALUE %s MAXVALUE %s CACHE %s%s', c.relname, format_type(s.seqtypid, NULL),
  s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
  CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END),
  (SELECT format('ALTER SEQUENCE %I OWNED BY %I.%I', c.relname, t.relname, a.attname)
   FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
   JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
   AND d.refclassid = 'pg_class'::regclass AND t.relname = ANY({tables})),
  it.relname
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
  AND d.deptype = 'i'
LEFT JOIN pg_class it ON it.oid = d.refobjid
WHERE c.relnamespace = to_regnamespace({schema})
ORDER BY c.oid
"""

# The copied tables and, below them, their partitions, parents first.
_TABLES = """
WITH RECURSIVE tree(oid, parent, depth) AS (
  SELECT c.oid, 0::oid, 0 FROM pg_class c
  WHERE c.relnamespace = to_regnamespace({schema}) AND c.relname = ANY({tables})
  AND c.relkind IN ('r', 'p')
  UNION ALL SELECT i.inhrelid, i.inhparent, t.depth + 1 FROM tree t
  JOIN pg_inherits i ON i.inhparent = t.oid
  JOIN pg_class c ON c.oid = i.inhrelid AND c.relispartition
)
SELECT c.oid, c.relname, c.relkind, p.relname,
  pg_get_expr(c.relpartbound, c.oid, true),
  CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
  c.relpersistence = 'u', array_to_string(c.reloptions, ', '),
  (SELECT array_agg(format('%I', h.relname) ORDER BY i.inhseqno) FROM pg_inherits i
   JOIN pg_class h ON h.oid = i.inhparent WHERE i.inhrelid = c.oid AND NOT c.relispartition)
FROM tree t JOIN pg_class c ON c.oid = t.oid LEFT JOIN pg_class p ON p.oid = t.parent
ORDER BY t.depth, c.oid
"""

_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),
  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
  CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
     THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END
  || CASE a.attidentity WHEN '' THEN '' ELSE format(
     ' GENERATED %s AS IDENTITY (SEQUENCE NAME %I START WITH %s INCREMENT BY %s'
     ' MINVALUE %s MAXVALUE %s CACHE %s%s)',
     CASE a.attidentity WHEN 'a' THEN 'ALWAYS' ELSE 'BY DEFAULT' END, q.relname,
     s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
     CASE WHEN s.seqcycle THEN ' CYCLE' ELSE '' END) END
  || CASE WHEN a.attgenerated = 's'
     THEN format(' GENERATED ALWAYS AS (%s) STORED', pg_get_expr(d.adbin, d.adrelid, true))
     ELSE '' END
  || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END,
  CASE WHEN a.attgenerated = '' AND d.adbin IS NOT NULL
  THEN format('ALTER TABLE %I ALTER COLUMN %I SET DEFAULT %s', c.relname, a.attname,
    pg_get_expr(d.adbin, d.adrelid, true)) END,
  c.relispartition
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_class c ON c.oid = a.attrelid
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
LEFT JOIN pg_class q ON q.oid = pg_get_serial_sequence(
  format('%I.%I', {schema}::text, c.relname), a.attname)::regclass AND a.attidentity <> ''
LEFT JOIN pg_sequence s ON s.seqrelid = q.oid
WHERE a.attrelid = ANY({oids}) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""

_FUNCTIONS = """
SELECT format('%I.%I', n.nspname, p.proname), format('%I', p.proname),
  CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, pg_get_functiondef(p.oid),
  format('%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)),
  (SELECT substr(c, 13) FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = {schema} AND p.prokind IN ('f', 'p')
AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
  AND d.objid = p.oid AND d.deptype IN ('e', 'i'))
ORDER BY p.oid
"""

# Keys, checks and exclusions as pg_dump writes them: ONLY on each table, the partitions'
# indexes attached to their parent's afterwards. Checks inherited from a parent come with it.
_CONSTRAINTS = """
SELECT c.oid, c.relkind, k.contype,
  format('ALTER TABLE ONLY %I ADD CONSTRAINT %I ', c.relname, k.conname)
  || pg_get_constraintdef(k.oid, true),
  f.relname, k.conname, k.convalidated
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
LEFT JOIN pg_class f ON f.oid = k.confrelid
WHERE k.conrelid = ANY({oids}) AND k.contype IN ('p', 'u', 'x', 'c', 'f')
AND (k.contype IN ('p', 'u', 'x') OR k.conislocal) AND (k.contype <> 'f' OR k.conparentid = 0)
ORDER BY k.contype = 'f', c.oid, k.conname
"""

_INDEXES = """
SELECT c.oid, c.relkind, pg_get_indexdef(x.indexrelid, 0, true),
  (SELECT format('ALTER INDEX %I ATTACH PARTITION %I', pi.relname, ci.relname)
   FROM pg_inherits h JOIN pg_class pi ON pi.oid = h.inhparent
   WHERE h.inhrelid = x.indexrelid)
FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class ci ON ci.oid = x.indexrelid
WHERE x.indrelid = ANY({oids})
AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid
  AND k.conrelid = x.indrelid AND k.contype IN ('p', 'u', 'x'))
ORDER BY c.oid, ci.oid
"""

# A partition's key or unique index that belongs to its parent's key.
_KEY_ATTACHMENTS = """
SELECT format('ALTER INDEX %I ATTACH PARTITION %I', pi.relname, ci.relname)
FROM pg_constraint k JOIN pg_inherits h ON h.inhrelid = k.conindid
JOIN pg_class pi ON pi.oid = h.inhparent JOIN pg_class ci ON ci.oid = k.conindid
WHERE k.conrelid = ANY({oids}) AND k.contype IN ('p', 'u', 'x') AND k.conparentid <> 0
ORDER BY ci.oid
"""

_VIEWS = """
WITH RECURSIVE built(oid, depth) AS (
  SELECT c.oid, 0 FROM pg_class c
  WHERE c.relnamespace = to_regnamespace({schema}) AND c.relkind IN ('v', 'm')
  UNION ALL SELECT r.ev_class, b.depth + 1 FROM built b
  JOIN pg_depend d ON d.refobjid = b.oid AND d.classid = 'pg_rewrite'::regclass
  JOIN pg_rewrite r ON r.oid = d.objid
  JOIN pg_class c ON c.oid = r.ev_class AND c.relnamespace = to_regnamespace({schema})
  WHERE r.ev_class <> b.oid AND b.depth < 100
)
SELECT c.oid, c.relname,
  format('CREATE %s %I%s AS %s%s',
    CASE c.relkind WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'VIEW' END, c.relname,
    CASE WHEN c.reloptions IS NULL THEN ''
    ELSE ' WITH (' || array_to_string(c.reloptions, ', ') || ')' END,
    rtrim(pg_get_viewdef(c.oid, true), ';' || chr(10) || ' '),
    CASE WHEN c.relkind = 'm' AND NOT c.relispopulated THEN ' WITH NO DATA' ELSE '' END),
  ARRAY(SELECT DISTINCT t.relname FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    JOIN pg_class t ON t.oid = d.refobjid
    WHERE d.classid = 'pg_rewrite'::regclass AND r.ev_class = c.oid
    AND d.refclassid = 'pg_class'::regclass AND t.relnamespace = c.relnamespace
    AND t.relkind IN ('r', 'p', 'v', 'm') AND t.oid <> c.oid)
FROM (SELECT oid, max(depth) AS depth FROM built GROUP BY oid) b
JOIN pg_class c ON c.oid = b.oid
ORDER BY b.depth, c.oid
"""

_TRIGGERS = """
SELECT g.tgrelid, pg_get_triggerdef(g.oid, true) FROM pg_trigger g
WHERE g.tgrelid = ANY({oids}) AND NOT g.tgisinternal AND g.tgparentid = 0
ORDER BY g.tgrelid, g.tgname
"""

_COMMENTS = """
SELECT CASE d.classoid
  WHEN 'pg_class'::regclass THEN CASE WHEN d.objsubid <> 0
    THEN format('COLUMN %I.%I', c.relname,
      (SELECT attname FROM pg_attribute WHERE attrelid = c.oid AND attnum = d.objsubid))
    ELSE format('%s %I', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
      WHEN 'S' THEN 'SEQUENCE' WHEN 'i' THEN 'INDEX' WHEN 'I' THEN 'INDEX'
      ELSE 'TABLE' END, c.relname) END
  WHEN 'pg_type'::regclass THEN format('TYPE %I', t.typname)
  WHEN 'pg_proc'::regclass THEN format('%s %I(%s)',
    CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, p.proname,
    pg_get_function_identity_arguments(p.oid))
  WHEN 'pg_constraint'::regclass THEN format('CONSTRAINT %I ON %I', k.conname, kc.relname)
  WHEN 'pg_trigger'::regclass THEN format('TRIGGER %I ON %I', g.tgname, gc.relname)
  END, d.description,
  coalesce(c.relname, kc.relname, gc.relname)
FROM pg_description d
LEFT JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
  AND c.relnamespace = to_regnamespace({schema})
LEFT JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND t.oid = d.objoid
  AND t.typnamespace = to_regnamespace({schema}) AND t.typtype IN ('e', 'd', 'c', 'r')
LEFT JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
  AND p.pronamespace = to_regnamespace({schema})
LEFT JOIN pg_constraint k ON d.classoid = 'pg_constraint'::regclass AND k.oid = d.objoid
  AND k.connamespace = to_regnamespace({schema}) AND k.conrelid <> 0
LEFT JOIN pg_class kc ON kc.oid = k.conrelid
LEFT JOIN pg_trigger g ON d.classoid = 'pg_trigger'::regclass AND g.oid = d.objoid
LEFT JOIN pg_class gc ON gc.oid = g.tgrelid AND gc.relnamespace = to_regnamespace({schema})
WHERE c.oid IS NOT NULL OR t.oid IS NOT NULL OR p.oid IS NOT NULL OR kc.oid IS NOT NULL
  OR gc.oid IS NOT NULL
"""

# What a refresh moves from its staging schema into the kitchen's (a table takes its
# indexes, constraints, triggers and owned sequences along; each partition is moved).
# Routines go first: a range type's constructors stay behind when it moves, and their
# identities name their argument types' schema. The last column: owned by a type, and so
# dropped with it.
_MOVABLE = """
SELECT 1, 'ROUTINE', p.proname, (pg_identify_object('pg_proc'::regclass, p.oid, 0)).identity,
  EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
    AND d.objid = p.oid AND d.deptype = 'i'), pg_get_userbyid(p.proowner) = current_user
FROM pg_proc p WHERE p.pronamespace = to_regnamespace({schema}) AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
    AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL SELECT 2, 'TYPE', t.typname, (pg_identify_object('pg_type'::regclass, t.oid, 0)).identity,
  t.typtype = 'm', pg_get_userbyid(t.typowner) = current_user
FROM pg_type t LEFT JOIN pg_class r ON r.oid = t.typrelid
WHERE t.typnamespace = to_regnamespace({schema})
  AND (t.typtype IN ('e', 'd', 'r', 'm') OR t.typtype = 'c' AND r.relkind = 'c')
UNION ALL SELECT CASE c.relkind WHEN 'S' THEN 3 WHEN 'v' THEN 5 WHEN 'm' THEN 5 ELSE 4 END,
  CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
    WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, c.relname,
  (pg_identify_object('pg_class'::regclass, c.oid, 0)).identity, false,
  pg_get_userbyid(c.relowner) = current_user
FROM pg_class c WHERE c.relnamespace = to_regnamespace({schema})
  AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
    AND d.objid = c.oid AND d.deptype IN ('a', 'i') AND c.relkind = 'S')
ORDER BY 1, 4
"""


class Catalogue:
    """The source's catalogue, asked with the copied schema as the whole ``search_path``."""

    def __init__(self, execute: Execute, schema: str) -> None:
        self.execute, self.schema = execute, schema

    def ask(self, template: str, **values: object) -> list[tuple[Any, ...]]:
        """``template`` with each ``{name}`` a parameter taken from ``values``."""
        pieces = re.split(r"\{(\w+)\}", template)
        query = sql("{}".join(pieces[0::2]), *[Placeholder()] * len(pieces[1::2]))
        return self.execute(query, [values[name] for name in pieces[1::2]])


def read(
    catalogue: Catalogue, tables: Sequence[str], masked: Mapping[str, Collection[str]]
) -> Structure:
    """The structure of ``tables`` (and their partitions), of the types, sequences and
    functions of their schema, and of the views that read only what is copied. A ``masked``
    column of a domain type gets the type the domain constrains: the domain's checks
    describe the original values, which masking replaces."""
    plan, schema = Structure(arrival=list(tables)), catalogue.schema
    rows = catalogue.ask(_TABLES, schema=schema, tables=list(tables))
    relations = {int(oid): str(name) for oid, name, *_ in rows}
    plan.types = types(catalogue)
    _sequences(catalogue, list(relations.values()), plan)
    _tables(catalogue, rows, plan, masked)
    _functions(catalogue, plan)
    _keys_and_indexes(catalogue, relations, plan)
    views = _views(catalogue, set(relations.values()), plan)
    plan.after += [text for _, text in catalogue.ask(_TRIGGERS, oids=list(relations))]
    described = set(relations.values()) | views
    plan.after += [
        f"COMMENT ON {target} IS {quote_literal(text)}"
        for target, text, relation in catalogue.ask(_COMMENTS, schema=schema)
        if target is not None and (relation is None or relation in described)
    ]
    return plan


def types(catalogue: Catalogue) -> dict[str, str]:
    """The schema's enum, domain, composite and range types: each one's statement by name,
    in an order they can be made in."""
    return {str(name): str(text) for name, text in catalogue.ask(_TYPES, schema=catalogue.schema)}


def _sequences(catalogue: Catalogue, copied: list[str], plan: Structure) -> None:
    """Free sequences made before the tables (whose defaults call them); every sequence of
    a copied table set, after the rows, to where the source's stands."""
    for name, create, owned, identity_of in catalogue.ask(
        _SEQUENCES, schema=catalogue.schema, tables=copied
    ):
        if identity_of is not None and identity_of not in copied:
            continue  # an identity of a table left out goes with it
        if identity_of is None:
            plan.sequences.append(str(create))
        if owned:
            plan.after.append(str(owned))
        plan.after.append(_position(catalogue, str(name)))


def _position(catalogue: Catalogue, sequence: str) -> str:
    ((value, called),) = catalogue.execute(
        sql("SELECT last_value, is_called FROM {}", Identifier(catalogue.schema, sequence)), []
    )
    return (
        f"SELECT pg_catalog.setval({quote_literal(quote_identifier(sequence))}, {int(value)}, "
        f"{'true' if called else 'false'})"
    )


def _tables(
    catalogue: Catalogue,
    rows: list[tuple[Any, ...]],
    plan: Structure,
    masked: Mapping[str, Collection[str]],
) -> None:
    columns: dict[int, list[str]] = {int(row[0]): [] for row in rows}
    names = {int(row[0]): str(row[1]) for row in rows}
    for oid, name, kind, base, rest, default, partition in catalogue.ask(
        _COLUMNS, schema=catalogue.schema, oids=list(columns)
    ):
        table, typed = names[int(oid)], kind
        if base is not None and name in masked.get(table, ()):  # its checks fit the originals
            if not partition:
                plan.loosened.append(f"{table}.{name} ({kind} -> {base})")
            typed = base
        columns[int(oid)].append(f"{quote_identifier(name)} {typed}{rest}")
        if default and not partition:  # a partition takes its parent's
            plan.defaults.append(str(default))
    for oid, name, kind, parent, bound, key, unlogged, options, inherits in rows:
        text = f"CREATE {'UNLOGGED ' if unlogged else ''}TABLE {quote_identifier(name)}"
        if parent is not None and bound is not None:
            text += f" PARTITION OF {quote_identifier(parent)} {bound}"
        else:
            text += f" ({', '.join(columns[int(oid)])})"
            text += f" INHERITS ({', '.join(inherits)})" if inherits else ""
        text += f" PARTITION BY {key}" if kind == "p" else ""
        text += f" WITH ({options})" if options else ""
        plan.tables.append(text)


def _functions(catalogue: Catalogue, plan: Structure) -> None:
    """Functions and procedures as pg_get_functiondef writes them, but for the schema of
    their name, which it always writes; one whose own ``search_path`` names the copied
    schema is pointed at the kitchen's once it is built."""
    for qualified, name, kind, definition, signature, path in catalogue.ask(
        _FUNCTIONS, schema=catalogue.schema
    ):
        head, text = f"CREATE OR REPLACE {kind} {qualified}(", str(definition).strip()
        if text.startswith(head):
            text = f"CREATE OR REPLACE {kind} {name}(" + text[len(head) :]
        plan.functions.append(text)
        elements = [part.strip() for part in str(path or "").split(",") if part.strip()]
        if any(part.strip('"') == catalogue.schema for part in elements):
            plan.search_paths.append(
                (
                    str(signature),
                    [None if part.strip('"') == catalogue.schema else part for part in elements],
                )
            )


def search_path_statements(plan: Structure, kitchen: str) -> list[str]:
    """``ALTER ROUTINE ... SET search_path`` for each routine whose own search path names the
    copied schema, naming ``kitchen`` there instead: else the kitchen's function would read
    its parent's tables."""
    return [
        f"ALTER ROUTINE {signature} SET search_path TO "
        + ", ".join(quote_identifier(kitchen) if part is None else part for part in elements)
        for signature, elements in plan.search_paths
    ]


def _keys_and_indexes(catalogue: Catalogue, relations: dict[int, str], plan: Structure) -> None:
    oids, copied = list(relations), set(relations.values())
    for oid, kind, contype, text, referenced, name, valid in catalogue.ask(_CONSTRAINTS, oids=oids):
        table = relations[int(oid)]
        if contype == "f" and referenced not in copied:
            plan.left_out.append(f"the foreign key of {table} to {referenced}, not copied")
        elif contype == "f" and kind == "p":  # on every partition too; NOT VALID may not
            plan.foreign.append(str(text).replace("ALTER TABLE ONLY ", "ALTER TABLE ", 1))
        elif contype == "f" and not valid:  # the parent's says NOT VALID itself: as it is
            plan.foreign.append(str(text))
        elif contype == "f":  # added without a scan, checked side by side after
            plan.foreign.append(f"{text} NOT VALID")
            plan.validate.setdefault(table, []).append(
                f"ALTER TABLE ONLY {quote_identifier(table)} VALIDATE CONSTRAINT "
                + quote_identifier(str(name))
            )
        elif kind == "p" and contype == "c":  # on a partitioned table: checks every partition
            plan.attach.append(str(text).replace("ALTER TABLE ONLY ", "ALTER TABLE ", 1))
        elif kind == "p":
            plan.parents.append(str(text))
        else:
            plan.per_table.setdefault(table, []).append(str(text))
    attachments = [str(text) for (text,) in catalogue.ask(_KEY_ATTACHMENTS, oids=oids)]
    for oid, kind, text, attach in catalogue.ask(_INDEXES, oids=oids):
        if kind == "p":
            plan.parents.append(str(text))  # ON ONLY: its partitions' are attached
        else:
            plan.per_table.setdefault(relations[int(oid)], []).append(str(text))
        if attach:
            attachments.append(str(attach))
    plan.attach[:0] = attachments


def _views(catalogue: Catalogue, copied: set[str], plan: Structure) -> set[str]:
    """Views and materialized views, each after those it reads, with their indexes and
    triggers; one reading a table the copy leaves out is left out with it."""
    built: set[str] = set()
    for oid, name, text, reads in catalogue.ask(_VIEWS, schema=catalogue.schema):
        if missing := [table for table in reads if table not in copied | built]:
            plan.left_out.append(f"the view {name}, which reads {', '.join(missing)}")
            continue
        built.add(str(name))
        plan.after.append(str(text))
        plan.after += [str(index) for _, _, index, _ in catalogue.ask(_INDEXES, oids=[oid])]
        plan.after += [str(trigger) for _, trigger in catalogue.ask(_TRIGGERS, oids=[oid])]
    return built


def movable(catalogue: Catalogue) -> list[tuple[str, str, str, bool, bool]]:
    """The schema's routines, types, free sequences, tables (partitions each), views and
    materialized views, in the order they can be moved to another schema: the keyword of
    their ALTER and DROP statements, name, identity (schema-qualified, a routine's with its
    argument types) as PostgreSQL quotes it, whether a type owns it, and whether the
    session's user does."""
    return [
        (str(keyword), str(name), str(identity), bool(owned), bool(mine))
        for _, keyword, name, identity, owned, mine in catalogue.ask(
            _MOVABLE, schema=catalogue.schema
        )
    ]
