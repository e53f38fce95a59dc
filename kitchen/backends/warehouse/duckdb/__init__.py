"""The embedded engine, DuckDB: its adapter (one file per release environment) and the
structure of a schema read as the DDL that builds it again (structure.py)."""

from kitchen.backends.warehouse.duckdb.adapter import DuckDBWarehouse
from kitchen.backends.warehouse.duckdb.connection import CATALOG

__all__ = ["CATALOG", "DuckDBWarehouse"]
