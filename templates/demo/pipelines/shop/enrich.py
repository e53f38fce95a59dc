"""Python enrichment: margin per order, in the kitchen's own schema (DuckDB, PostgreSQL or
Spark).

kitchen gives a Python node the kitchen's connection: KITCHEN_DUCKDB (the database file) on
DuckDB; libpq's PG* variables on PostgreSQL, which psycopg reads by itself; SPARK_REMOTE (the
Spark Connect URL) on Spark, which pyspark reads by itself.
"""

import os


def quoted(name: str, mark: str = '"') -> str:
    return mark + name.replace(mark, mark * 2) + mark


if "SPARK_REMOTE" in os.environ:
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    schema = quoted(os.environ["KITCHEN_SCHEMA"], "`")
    spark.sql(f"drop table if exists {schema}.enriched")
    spark.sql(
        f"create table {schema}.enriched using parquet as"
        f" select *, amount - cost as margin from {schema}.stg_orders"
    )
    count = spark.sql(f"select count(*) from {schema}.enriched").collect()[0][0]
    print(count, "orders enriched")
    raise SystemExit(0)

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
