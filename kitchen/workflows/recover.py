"""Finish or undo what a crash cut short: before a command runs again, and in `doctor --repair`.

An operation left open in a registry (kitchen/journal.py) whose process is gone tells which
command stopped after which step, with what it had made. The rule for each: a change that
reached others (a pushed merge, a released tag) is completed (its record is written); a
change that did not is undone, so the command can simply be run again. Data is never
half-replaced: a refresh's swap is one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kitchen import journal, names
from kitchen.backends.registry import OPERATION_TTL, stale
from kitchen.model import INTERRUPTED, DataState, Kitchen, Status
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import identity


def interrupted(project: Project, environment: str) -> list[dict[str, Any]]:
    """Operations of ``environment`` whose process is gone, each with why it is presumed so."""
    found = []
    for operation in project.registry(environment).operations():
        why = stale(operation, OPERATION_TTL)
        if why:
            found.append({**operation, "environment": environment, "why": why})
    return found


def resume(
    project: Project, environment: str, command: str, kitchen: str, report: Reporter
) -> bool:
    """Before ``command`` runs on ``kitchen``: settle an earlier run of it that crashed.
    True when there was one."""
    settled = False
    for operation in interrupted(project, environment):
        if operation["command"] == command and operation["kitchen"] == kitchen:
            _settle(project, operation, report)
            settled = True
    return settled


def before_delete(project: Project, kitchen: Kitchen, report: Reporter) -> None:
    """Before ``kitchen`` is deleted: close its interrupted creates and deletes, which the
    delete redoes whole (its every step is idempotent), and finish or undo every other
    interrupted run on it, so that a merge which landed is recorded and no staging schema
    or half-done merge outlives the kitchen."""
    registry = project.registry(kitchen.environment)
    for operation in interrupted(project, kitchen.environment):
        if operation["kitchen"] != kitchen.name:
            continue
        if operation["command"] in ("create", "delete"):
            registry.end(operation["id"])
        else:
            _settle(project, operation, report)


def _settle(project: Project, operation: dict[str, Any], report: Reporter) -> None:
    done = repair(project, operation, report)
    report.warn(
        f"An earlier `{journal.typed(operation['command'])}` of {operation['kitchen']} stopped "
        f"after step {operation['step']!r}: {done}"
    )


def repair(project: Project, operation: dict[str, Any], report: Reporter) -> str:
    """Finish or undo one interrupted operation; what was done, in words."""
    done = REPAIRS[operation["command"]](project, operation, report)
    project.registry(operation["environment"]).end(operation["id"])
    return done


def _create(project: Project, operation: dict[str, Any], report: Reporter) -> str:
    from kitchen.workflows import delete

    kitchen = project.registry(operation["environment"]).get(operation["kitchen"])
    if kitchen is None:
        return "it had made nothing yet."
    if kitchen.status == Status.READY:
        return "it had finished."
    delete.delete(project, kitchen, report)
    return "what it had made is removed; it can be created again."


def _delete(project: Project, operation: dict[str, Any], report: Reporter) -> str:
    from kitchen.workflows import delete

    kitchen = project.registry(operation["environment"]).get(operation["kitchen"])
    if kitchen is None:
        return "it had finished."
    delete.delete(project, kitchen, report)
    return "the delete is finished."


def _refresh(project: Project, operation: dict[str, Any], report: Reporter) -> str:
    registry = project.registry(operation["environment"])
    kitchen = registry.get(operation["kitchen"])
    if kitchen is None:
        return "the kitchen is gone."
    warehouse = project.warehouse(kitchen.environment)
    staging = names.staging_schema(kitchen.schema)
    step, details = operation["step"], operation["details"]
    swapped = step == "swapped" or (step == "copied" and not warehouse.list_tables(staging))
    warehouse.drop_schema(staging)
    if not swapped:
        return "its staging schema is dropped; the kitchen kept its previous data."
    registry.set_data(kitchen.name, DataState.load(details["state"]))
    identity.regrant(project, kitchen)
    return "the new data was in place; its record is now updated."


def _update(project: Project, operation: dict[str, Any], report: Reporter) -> str:
    git = project.git
    if git.merging():
        git.abort_merge()
        return "its unfinished merge is aborted; the branch is as it was."
    return "nothing was left half-done."


def _merge(project: Project, operation: dict[str, Any], report: Reporter) -> str:
    """Merges and promotions: a merge commit not pushed is undone; one pushed is recorded."""
    step, details = operation["step"], operation["details"]
    _release_lock(project, operation)
    if step in ("begun", "locked"):
        return "nothing had been merged."
    if step == "recorded":
        return "it had finished."
    git, remote = project.git, details.get("remote")
    if step in ("merged", "tagged") and remote is not None:
        git.fetch(remote)
        if not git.is_ancestor(details["commit"], f"{remote}/{details['branch']}"):
            _undo_landing(project, operation)
            return "its merge had not been pushed and is undone; run the command again."
    kitchen = project.kitchen(operation["kitchen"])
    if operation["command"] == "merge":
        trail = {key: details[key] for key in ("commit", "run")}
        project.audit(
            kitchen, "merge", into=details["into"], approved_by=details["approver"], **trail
        )
        return "its merge had landed; it is now recorded."
    from kitchen.workflows.release import record

    tag = details["tag"]
    if not git.has_tag(tag):  # no remote, stopped between the merge and the tag
        git.tag(tag, f"Release {tag} of {kitchen.name}", details["commit"])
    tested = details.get("destination_test") or {"status": "not run", "reason": "interrupted"}
    record(
        project,
        kitchen,
        tag,
        "promote",
        details["commit"],
        source=details["source"],
        commits=details["commits"],
        run=details["run"],
        approved_by=details["approver"],
        destination_test=tested,
    )
    return f"release {tag} had landed; it is now recorded (run `kitchen test {kitchen.name}`)."


def _rollback(project: Project, operation: dict[str, Any], report: Reporter) -> str:
    from kitchen.workflows.release import record

    step, details = operation["step"], operation["details"]
    if step == "begun":
        return "nothing had been changed."
    if step == "recorded":
        return "it had finished."
    git, remote = project.git, details.get("remote")
    if step == "committed" and remote is not None:
        git.fetch(remote)
        if not git.is_ancestor(details["commit"], f"{remote}/{details['branch']}"):
            _undo_landing(project, operation)
            return "its commit had not been pushed and is undone; run the command again."
    kitchen = project.kitchen(operation["kitchen"])
    tested = details.get("destination_test") or {"status": "not run", "reason": "interrupted"}
    record(project, kitchen, details["tag"], "rollback", details["commit"], destination_test=tested)
    return f"the rollback had landed; it is now recorded (run `kitchen test {kitchen.name}`)."


def _undo_landing(project: Project, operation: dict[str, Any]) -> None:
    """Take back a commit (and tag) made on a branch but never pushed."""
    git, details = project.git, operation["details"]
    tag = details.get("tag")
    if tag and git.has_tag(tag) and git.sha(tag) == details["commit"]:
        git.delete_tag(tag)
    if git.sha(details["branch"]) == details["commit"]:
        git.move_branch(details["branch"], details["before"])


def _release_lock(project: Project, operation: dict[str, Any]) -> None:
    registry = project.registry(operation["environment"])
    for lock in registry.locks():
        if (lock["host"], lock["pid"]) == (operation["host"], operation["pid"]):
            registry.release(lock)


def _test(project: Project, operation: dict[str, Any], report: Reporter) -> str:
    """The run is recorded as interrupted: what it built in the kitchen is not known (a
    dbt node's next run builds everything, see kitchen.workflows.slim)."""
    run = operation["details"].get("run")
    registry = project.registry(operation["environment"])
    if run is None or any(known["id"] == run["id"] for known in registry.runs(run["kitchen"])):
        return "its run was recorded; there is nothing to undo."
    registry.add_run({**run, "status": INTERRUPTED})
    return f"its run {run['id']} is recorded as interrupted; there is nothing to undo."


REPAIRS: dict[str, Callable[[Project, dict[str, Any], Reporter], str]] = {
    "test": _test,
    "create": _create,
    "delete": _delete,
    "refresh": _refresh,
    "update": _update,
    "merge": _merge,
    "promote": _merge,
    "rollback": _rollback,
}
