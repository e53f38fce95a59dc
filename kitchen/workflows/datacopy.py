"""Filling a kitchen's schema with its parent's tables, inside the warehouse."""

from __future__ import annotations

from kitchen import faults
from kitchen.model import DataState, Kitchen, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter


def copy_tables(project: Project, source: Kitchen, target: Kitchen, report: Reporter) -> DataState:
    """Copy every table of ``source`` into ``target``'s (empty) schema; no row leaves the warehouse.

    Masking arrives with the data layer; until then the copy is plain and says so.
    """
    origin = project.warehouse(source.environment)
    destination = project.warehouse(target.environment)
    tables = origin.list_tables(source.schema)
    rows = 0
    with report.progress(f"Copying {len(tables)} tables from {source.name}", len(tables)) as done:
        for table in tables:
            rows += destination.copy_table(origin, source.schema, table, target.schema)
            done(1)
            faults.checkpoint("data")
    return DataState(
        source=source.name, masked=False, tables=len(tables), rows=rows, copied_at=utcnow()
    )
