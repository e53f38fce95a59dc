"""The PostgreSQL engine: its adapter (``PostgresWarehouse``, a chain of one class per
concern: connection, catalog, identity, swap, adapter) and the structure of a schema read as
the DDL that builds it again (structure.py)."""

from kitchen.backends.warehouse.postgres.adapter import PostgresWarehouse
from kitchen.backends.warehouse.postgres.copying import PARALLEL_COPY
from kitchen.backends.warehouse.postgres.identity import login_name, scram_verifier

__all__ = ["PARALLEL_COPY", "PostgresWarehouse", "login_name", "scram_verifier"]
