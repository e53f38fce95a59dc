"""The warehouse port: schemas, tables and in-warehouse copies for one release environment."""

from __future__ import annotations

from pathlib import Path

from kitchen import config
from kitchen.backends.warehouse.base import Warehouse


def connect(settings: config.Warehouse, root: Path, environment: str) -> Warehouse:
    """The adapter for ``settings.type``; its driver is imported here, not at start-up."""
    if isinstance(settings, config.DuckDBWarehouse):
        from kitchen.backends.warehouse.duckdb import DuckDBWarehouse

        return DuckDBWarehouse(root / settings.path, environment)
    from kitchen.backends.warehouse.postgres import PostgresWarehouse

    return PostgresWarehouse(settings, environment)
