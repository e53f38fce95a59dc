"""A column's kind (text, number, temporal, time or other) from its type as the engines
spell it: what masking strategies fit, the PII scan reads, checks compare and the diff
measures."""

from __future__ import annotations

import re

from kitchen.backends.warehouse.sql import Identifier, Query

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
