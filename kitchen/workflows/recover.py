"""Finish or undo what a crash cut short, before a kitchen is deleted and in `doctor --repair`.

An operation left open in a registry (kitchen/journal.py) whose process is gone tells which
command stopped after which step, with what it had made. Each command's own module says
how to settle it (its ``Command``'s repair): a change that reached others (a pushed merge, a
released tag) is completed (its record is written); a change that did not is undone, so the
command can simply be run again. Data is never half-replaced: a refresh's swap is one
transaction. This module only lists the commands and dispatches.
"""

from __future__ import annotations

from kitchen import journal
from kitchen.model import Kitchen, Operation
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows.create import CREATE
from kitchen.workflows.landing import MERGE
from kitchen.workflows.refresh import REFRESH
from kitchen.workflows.release import PROMOTE, ROLLBACK
from kitchen.workflows.teardown import DELETE
from kitchen.workflows.test import TEST
from kitchen.workflows.update import UPDATE

COMMANDS = {
    command.name: command
    for command in (TEST, CREATE, DELETE, REFRESH, UPDATE, MERGE, PROMOTE, ROLLBACK)
}
REDONE_BY_DELETE = (CREATE.name, DELETE.name)  # a delete redoes these whole


def repair(project: Project, operation: Operation, report: Reporter) -> str:
    """Finish or undo one interrupted operation; what was done, in words."""
    return journal.settle(project, COMMANDS[operation.command], operation, report)


def before_delete(project: Project, kitchen: Kitchen, report: Reporter) -> None:
    """Before ``kitchen`` is deleted: close its interrupted creates and deletes, which the
    delete redoes whole (its every step is idempotent), and finish or undo every other
    interrupted run on it, so that a merge which landed is recorded and no staging schema
    or half-done merge outlives the kitchen."""
    registry = project.registry(kitchen.environment)
    for operation in journal.interrupted(project, kitchen.environment):
        if operation.kitchen != kitchen.name:
            continue
        if operation.command in REDONE_BY_DELETE:
            registry.end(operation.id)
        else:
            journal.said(operation, repair(project, operation, report), report)
