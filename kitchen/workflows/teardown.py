"""Taking a kitchen down, the steps of `kitchen delete`: its schema, its login, its branch
(here and on the remote), its registry row. Each step is idempotent, so a delete a crash cut
short is finished by running it again, which is also its repair."""

from __future__ import annotations

import shutil
from enum import StrEnum

from kitchen import journal, names
from kitchen.errors import GitError
from kitchen.model import Kitchen, Operation, Status
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import identity, slim


class Step(StrEnum):
    MARKED = "marked"  # its status says it is being deleted
    SCHEMA = "schema"  # its schema (and a refresh's staging schema) dropped
    IDENTITY = "identity"  # its login dropped
    BRANCH = "branch"  # its branch deleted


def remove(project: Project, kitchen: Kitchen, report: Reporter) -> None:
    """Each step is idempotent, so running it again after a crash finishes the job."""
    git = project.git
    if git.current_branch() == kitchen.branch and kitchen.parent:
        # first, so that a checkout git refuses leaves the kitchen untouched
        parent = project.kitchen(kitchen.parent)
        report.step(f"Checking out {parent.branch} (the parent's branch)")
        git.checkout(parent.branch)
    registry = project.registry(kitchen.environment)
    with journal.operation(project, kitchen.environment, DELETE, kitchen.name) as run:
        registry.set_status(kitchen.name, Status.DELETING)
        run.step(Step.MARKED)
        report.step(f"Dropping schema {kitchen.schema}")
        warehouse = project.warehouse(kitchen.environment)
        warehouse.drop_schema(names.staging_schema(kitchen.schema))  # left by a dead refresh
        warehouse.drop_schema(kitchen.schema)
        registry.disown("schema", kitchen.schema)
        shutil.rmtree(slim.parsed_all(project, kitchen), ignore_errors=True)  # dbt's, local
        run.step(Step.SCHEMA)
        identity.drop(project, kitchen)
        run.step(Step.IDENTITY)
        report.step(f"Deleting branch {kitchen.branch}")
        git.delete_branch(kitchen.branch)
        _delete_on_remote(project, kitchen, report)
        registry.disown("branch", kitchen.branch)
        run.step(Step.BRANCH)
        registry.remove(kitchen.name)
        project.audit(kitchen, "delete", status=kitchen.status.value)


def _delete_on_remote(project: Project, kitchen: Kitchen, report: Reporter) -> None:
    """The kitchen's branch goes from the remote too, unless someone pushed to it since this
    clone last fetched; a remote that refuses or cannot be reached keeps it, said."""
    remote = project.remote
    if remote is None:
        return
    try:
        if project.git.delete_remote_branch(remote, kitchen.branch):
            report.step(f"Deleted branch {kitchen.branch} on {remote}")
    except GitError as exc:
        report.warn(
            f"{exc.message} The branch stays on {remote}: delete it there when its work is done "
            f"(`git push {remote} --delete {kitchen.branch}`)."
        )


def _repair(project: Project, operation: Operation, report: Reporter) -> str:
    kitchen = project.registry(operation.environment).get(operation.kitchen)
    if kitchen is None:
        return "it had finished."
    remove(project, kitchen, report)
    return "the delete is finished."


DELETE = journal.Command("delete", "is being deleted", Step, _repair)
