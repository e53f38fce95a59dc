"""Python enrichment: margin per order, in the kitchen's own schema (DuckDB or PostgreSQL).

kitchen gives a Python node the kitchen's connection: KITCHEN_DUCKDB (the database file) on
DuckDB; libpq's PG* variables on PostgreSQL, which psycopg reads by itself.
"""

import os


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


if "KITCHEN_DUCKDB" in os.environ:
    import duckdb

    connection = duckdb.connect(os.environ["KITCHEN_DUCKDB"])
    catalog = quoted(os.environ["KITCHEN_DUCKDB_CATALOG"])
    schema = f"{catalog}.{quoted(os.environ['KITCHEN_SCHEMA'])}"
else:
    import psycopg

    connection = psycopg.connect(autocommit=True)
    schema = quoted(os.environ["KITCHEN_SCHEMA"])

connection.execute(f"drop table if exists {schema}.enriched")
connection.execute(
    f"create table {schema}.enriched as select *, amount - cost as margin from {schema}.stg_orders"
)
count = connection.execute(f"select count(*) from {schema}.enriched").fetchone()
print(count[0] if count else 0, "orders enriched")
