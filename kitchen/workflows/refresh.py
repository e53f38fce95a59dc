"""kitchen data refresh: rebuild a kitchen's data aside, then swap it in atomically.

Until the swap the old data stays as it was; a failure or a crash before it leaves the old
data intact, and the leftover staging schema is dropped by the next refresh or by delete.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from enum import StrEnum

from kitchen import journal, names
from kitchen.backends.warehouse.base import Warehouse
from kitchen.data import sampling
from kitchen.errors import BadInput, KitchenError, NotAllowed
from kitchen.model import DataState, Kitchen, Operation
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import identity, views
from kitchen.workflows.datacopy import copy_tables


class Step(StrEnum):
    STAGING = "staging"  # the staging schema is made, empty
    COPIED = "copied"  # the new data is in the staging schema
    SWAPPED = "swapped"  # the new data is in the kitchen's schema (views: made again)


def refresh(
    project: Project,
    name: str,
    source_name: str | None,
    report: Reporter,
    sample: str | None = None,
    *,
    mode: str | None = None,
) -> Kitchen:
    sampling.parse_spec(sample, "--sample")  # before anything is made
    kitchen = project.kitchen(name)
    if kitchen.protected:
        raise NotAllowed(f"Kitchen {name!r} is protected: its data is not refreshed from others.")
    project.require_staff(kitchen, "refresh its data")
    kitchen = journal.require_ready(project, kitchen)
    if sample is None and kitchen.data:
        sample = kitchen.data.sample_option  # a kitchen made small stays small
    if source_name == name:
        raise BadInput(
            f"Kitchen {name!r} cannot be refreshed from itself.",
            hint="Name another kitchen with --from, or leave it out to refresh from the parent.",
        )
    source_name = source_name or kitchen.parent
    if source_name is None:
        raise BadInput(f"Kitchen {name!r} has no parent to refresh from.", hint="Pass --from.")
    source = project.kitchen(source_name)
    source = journal.require_ready(project, source)
    kept = kitchen.data.mode if kitchen.data else None
    mode = views.choose(project, source, kitchen, mode or kept, sample=sample, report=report)
    journal.resume(project, kitchen.environment, REFRESH, name, report)
    if mode == "views":
        return _relink(project, kitchen, source, report)
    warehouse = project.warehouse(kitchen.environment)
    staging = names.staging_schema(kitchen.schema)
    with journal.operation(
        project, kitchen.environment, REFRESH, name, alone=True, source=source.name
    ) as run:
        if not warehouse.schema_exists(kitchen.schema):  # dropped by hand: make it again
            report.warn(f"Schema {kitchen.schema} was gone; making it again.")
            warehouse.create_schema(kitchen.schema)
        warehouse.drop_schema(staging)  # a previous refresh may have died half-way
        warehouse.create_schema(staging)
        try:
            run.step(Step.STAGING)
            aside = replace(kitchen, schema=staging)
            state = copy_tables(project, source, aside, report, sample, home=kitchen.schema)
            run.step(Step.COPIED, state=asdict(state))
            report.step(f"Swapping the new tables and their structure into {kitchen.schema}")
            before = kitchen.data.copied if kitchen.data else []
            if gone := [table for table in before if table not in state.copied]:
                report.step(
                    f"Dropping the tables no longer copied from {source.name}: {', '.join(gone)}"
                )
            warehouse.unlink(kitchen.schema, [*state.copied, *gone])  # views, were it views
            _swap(warehouse, staging, kitchen, state.copied, gone)
            run.step(Step.SWAPPED)
            identity.regrant(project, kitchen)
        finally:
            warehouse.drop_schema(staging)
        project.registry(kitchen.environment).set_data(kitchen.name, state)
        project.audit(kitchen, "refresh", source=source.name, rows=state.rows, masked=state.masked)
    return project.kitchen(name)


def _swap(
    warehouse: Warehouse, staging: str, kitchen: Kitchen, tables: list[str], gone: list[str]
) -> None:
    """The new tables swapped in; on an engine without transactions a failure between two
    tables leaves the kitchen without some of its tables, and says how to fill them."""
    try:
        warehouse.swap_in(staging, kitchen.schema, tables, gone)
    except KitchenError as exc:
        if not warehouse.transactional:
            exc.hint = (
                f"The swap into {kitchen.schema} stopped between two tables (no transactions "
                f"on {warehouse.location}), so some may be missing: run `kitchen data refresh "
                f"{kitchen.name}` again to fill them."
            )
        raise


def _relink(project: Project, kitchen: Kitchen, source: Kitchen, report: Reporter) -> Kitchen:
    """A refresh in views mode: the views made again, in one transaction (nothing aside)."""
    with journal.operation(
        project, kitchen.environment, REFRESH, kitchen.name, alone=True, source=source.name
    ) as run:
        warehouse = project.warehouse(kitchen.environment)
        if not warehouse.schema_exists(kitchen.schema):
            report.warn(f"Schema {kitchen.schema} was gone; making it again.")
            warehouse.create_schema(kitchen.schema)
        state = views.relink(project, source, kitchen, report)
        run.step(Step.SWAPPED, state=asdict(state))  # a crash after: recovery records it
        identity.regrant(project, kitchen)
        project.registry(kitchen.environment).set_data(kitchen.name, state)
        project.audit(kitchen, "refresh", source=source.name, mode="views")
    return project.kitchen(kitchen.name)


def _repair(project: Project, operation: Operation, report: Reporter) -> str:
    registry = project.registry(operation.environment)
    kitchen = registry.get(operation.kitchen)
    if kitchen is None:
        return "the kitchen is gone."
    warehouse = project.warehouse(kitchen.environment)
    staging = names.staging_schema(kitchen.schema)
    copied = operation.step == Step.COPIED
    swapped = operation.step == Step.SWAPPED or (copied and not warehouse.list_tables(staging))
    finished = copied and not swapped and _finish_cut_swap(warehouse, kitchen, staging)
    warehouse.drop_schema(staging)
    if not (swapped or finished):
        return "its staging schema is dropped; the kitchen kept its previous data."
    registry.set_data(kitchen.name, DataState.load(operation.details["state"]))
    identity.regrant(project, kitchen)
    if finished:
        return "its swap was cut between tables; the rest of the new data is moved in."
    return "the new data was in place; its record is now updated."


def _finish_cut_swap(warehouse: Warehouse, kitchen: Kitchen, staging: str) -> bool:
    """An engine without transactions (Spark) swaps table by table: a crash between two
    leaves the kitchen without some of its tables, whose new ones wait in ``staging``. The
    copy was complete and verified, so they are moved in; True where that was the case."""
    present = set(warehouse.list_tables(kitchen.schema))
    before = kitchen.data.copied if kitchen.data else []
    if warehouse.transactional or all(table in present for table in before):
        return False
    warehouse.swap_in(staging, kitchen.schema, warehouse.list_tables(staging))
    return True


REFRESH = journal.Command("refresh", "is having its data refreshed", Step, _repair)
