"""The catalogue queries that read a PostgreSQL schema's structure (kitchen/backends/warehouse/
postgres/structure.py): its types, sequences, tables and columns, functions, constraints,
indexes, views, triggers, comments, and the objects a refresh moves. Each returns rows of
definitions PostgreSQL writes itself (``format_type``, ``pg_get_*def``), ready to run again."""

from __future__ import annotations

# The catalogue queries: {name} marks where a parameter goes (see _query).
TYPES = """
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

SEQUENCES = """
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
TABLES = """
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

COLUMNS = """
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

FUNCTIONS = """
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
CONSTRAINTS = """
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

INDEXES = """
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
KEY_ATTACHMENTS = """
SELECT format('ALTER INDEX %I ATTACH PARTITION %I', pi.relname, ci.relname)
FROM pg_constraint k JOIN pg_inherits h ON h.inhrelid = k.conindid
JOIN pg_class pi ON pi.oid = h.inhparent JOIN pg_class ci ON ci.oid = k.conindid
WHERE k.conrelid = ANY({oids}) AND k.contype IN ('p', 'u', 'x') AND k.conparentid <> 0
ORDER BY ci.oid
"""

VIEWS = """
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

TRIGGERS = """
SELECT g.tgrelid, pg_get_triggerdef(g.oid, true) FROM pg_trigger g
WHERE g.tgrelid = ANY({oids}) AND NOT g.tgisinternal AND g.tgparentid = 0
ORDER BY g.tgrelid, g.tgname
"""

COMMENTS = """
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
MOVABLE = """
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
