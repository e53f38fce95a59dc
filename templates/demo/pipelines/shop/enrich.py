"""Python enrichment: margin per order, in the kitchen's own DuckDB schema."""

import os

import duckdb


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


schema = f"{quoted(os.environ['KITCHEN_DUCKDB_CATALOG'])}.{quoted(os.environ['KITCHEN_SCHEMA'])}"
connection = duckdb.connect(os.environ["KITCHEN_DUCKDB"])
connection.execute(f"drop table if exists {schema}.enriched")
connection.execute(
    f"create table {schema}.enriched as select *, amount - cost as margin from {schema}.stg_orders"
)
count = connection.execute(f"select count(*) from {schema}.enriched").fetchone()
print(count[0] if count else 0, "orders enriched")
