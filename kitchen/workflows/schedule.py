"""kitchen schedule: pipelines' schedules, switched on in a kitchen, run when they are due.

A schedule is declared in its pipeline's file, so it is reviewed, merged and promoted with
the code; what a kitchen runs is what the tip of its branch declares. It does nothing in a
kitchen until it is enabled there (protected kitchens: by an approver). ``run_due`` is
called every minute by the scheduler a team already runs (cron, a systemd timer, a
Kubernetes CronJob, a CI schedule): it runs each enabled schedule whose slot has come, once
per slot whoever else calls it at the same time (the slot is taken in the registry), at the
tip of the kitchen's branch in a temporary worktree of its own, never in anyone's checkout.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from kitchen import config
from kitchen.errors import BadInput, GitError, KitchenError, NotAllowed, PreconditionFailed
from kitchen.model import Kitchen, Status, Switch
from kitchen.names import did_you_mean
from kitchen.pipelines import model, schedules
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows.inspect import branch_ref


@dataclass(frozen=True)
class Declared:
    """A schedule as the tip of a kitchen's branch declares it."""

    pipeline: str
    schedule: model.Schedule

    @property
    def ref(self) -> str:
        return f"{self.pipeline}.{self.schedule.name}"


def declared(project: Project, kitchen: Kitchen) -> list[Declared]:
    """The schedules the pipelines at the tip of the kitchen's branch declare (none where
    this clone has not got the branch)."""
    where = branch_ref(project, kitchen.branch)
    if where is None:
        return []
    folder = project.config.pipelines
    found = []
    for sub, text in project.git.files_at(where, folder, model.PIPELINE_FILE).items():
        pipeline, _ = model.parse(text, Path(folder) / sub / model.PIPELINE_FILE)
        found += [Declared(pipeline.name, schedule) for schedule in pipeline.schedules]
    return found


@dataclass(frozen=True)
class Switched:
    kitchen: str
    schedule: str
    changed: bool  # False: it was so already


def switch(project: Project, name: str | None, ref: str, on: bool) -> Switched:
    """Enable (``on``) or disable a schedule in a kitchen, and whether that changed it.
    Enabling starts from now: the slots before it are not missed ones."""
    kitchen = project.current_or_named(name)
    _may_switch(project, kitchen)
    found = _chosen(project, kitchen, ref)
    registry = project.registry(kitchen.environment)
    known = next((s for s in registry.schedules(kitchen.name) if s.schedule == found.ref), None)
    if (known is not None and known.enabled) == on:
        return Switched(kitchen.name, found.ref, changed=False)
    now = schedules.now().isoformat()
    last = known or Switch(kitchen.name, found.ref, on, project.user, now)
    slot = now if on else last.last_slot
    registry.put_schedule(
        replace(last, enabled=on, changed_by=project.user, changed_at=now, last_slot=slot)
    )
    project.audit(kitchen, "schedule-enable" if on else "schedule-disable", schedule=found.ref)
    return Switched(kitchen.name, found.ref, changed=True)


def _may_switch(project: Project, kitchen: Kitchen) -> None:
    """A protected kitchen's approvers, or an open kitchen's staff."""
    if not kitchen.protected:
        project.require_staff(kitchen, "switch its schedules")
        return
    if not any(fnmatchcase(project.user, pattern) for pattern in kitchen.approvers):
        raise NotAllowed(
            f"{kitchen.name} is protected: only its approvers may switch its schedules, and "
            f"{project.user} is not one of them.",
            hint=f"Ask one of {', '.join(kitchen.approvers)}."
            if kitchen.approvers
            else f"List them under kitchens.{kitchen.name}.approvers in kitchen.yaml.",
        )


def _chosen(project: Project, kitchen: Kitchen, ref: str) -> Declared:
    """The schedule ``ref`` names (pipeline.schedule, or a schedule's name where only one
    pipeline has it) at the tip of the kitchen's branch."""
    found = declared(project, kitchen)
    matches = [d for d in found if ref in (d.ref, d.schedule.name)]
    if len(matches) == 1:
        return matches[0]
    known = [d.ref for d in found]
    if matches:
        raise BadInput(
            f"{ref!r} is a schedule of several pipelines.",
            hint=f"Name one: {', '.join(d.ref for d in matches)}.",
        )
    raise BadInput(
        f"No schedule {ref!r} in {kitchen.name}'s pipelines (at the tip of {kitchen.branch})."
        + did_you_mean(ref, known),
        hint=f"Its schedules: {', '.join(known)}."
        if known
        else "Declare one under schedules: in a pipeline.yaml (docs/schedules.md), and commit it.",
    )


@dataclass(frozen=True)
class Scheduled:
    """A schedule a kitchen's branch declares: where it is enabled, its next slot and its
    last run (`kitchen schedule list --json`)."""

    kitchen: str
    schedule: str
    cron: str
    timezone: str
    nodes: list[str]
    catch_up: bool
    enabled: bool
    changed_by: str | None
    next: str | None
    last_slot: str | None
    last_run: str | None
    last_status: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def listing(project: Project, name: str | None) -> tuple[list[Scheduled], list[str]]:
    """Every schedule of the kitchens (or of one) with where it is enabled, its next slot
    and its last run; and the environments whose registry could not be read."""
    problems: dict[str, KitchenError] = {}
    if name is not None:
        kitchens = [project.current_or_named(name)]
    else:
        kitchens, problems = project.kitchens()
    now = schedules.now()
    rows = []
    for kitchen in kitchens:
        if kitchen.status not in (Status.READY, Status.MISSING) and name is None:
            continue
        states = {}
        if kitchen.status == Status.READY:
            registry = project.registry(kitchen.environment)
            states = {state.schedule: state for state in registry.schedules(kitchen.name)}
        for found in declared(project, kitchen):
            state = states.get(found.ref)
            enabled = state is not None and state.enabled
            rows.append(
                Scheduled(
                    kitchen=kitchen.name,
                    schedule=found.ref,
                    cron=found.schedule.cron,
                    timezone=found.schedule.timezone,
                    nodes=found.schedule.nodes,
                    catch_up=found.schedule.catch_up,
                    enabled=enabled,
                    changed_by=state.changed_by if state else None,
                    next=schedules.following(found.schedule, now).isoformat() if enabled else None,
                    last_slot=state.last_slot if state and state.last_run else None,
                    last_run=state.last_run if state else None,
                    last_status=state.last_status if state else None,
                )
            )
    return rows, sorted(problems)


@dataclass(frozen=True)
class Due:
    """What run-due did with one schedule, or one slot of it (`schedule run-due --json`)."""

    kitchen: str
    schedule: str
    status: str  # passed, failed, taken, error; not run at all: skipped, busy, error
    slot: str | None = None  # none: the schedule was not run at all
    run_id: str | None = None
    reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "error")

    def to_json(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}


def run_due(project: Project, environment: str | None, report: Reporter) -> list[Due]:
    """Run every enabled schedule whose slot has come, in every environment (or one);
    what was run, skipped or refused, one entry per schedule and slot."""
    names = [environment] if environment else list(project.config.environments)
    unknown = [name for name in names if name not in project.config.environments]
    if unknown:
        raise BadInput(
            f"No environment {unknown[0]!r}.",
            hint=f"The environments: {', '.join(project.config.environments)}.",
        )
    now = schedules.now()
    done: list[Due] = []
    for name in names:
        for switch in project.registry(name).schedules():
            if switch.enabled:
                done += _run_schedule(project, name, switch, now, report)
    return done


def _run_schedule(
    project: Project, environment: str, switch: Switch, now: datetime, report: Reporter
) -> list[Due]:
    registry = project.registry(environment)
    said = {"kitchen": switch.kitchen, "schedule": switch.schedule}
    kitchen = registry.get(switch.kitchen)
    if kitchen is None or kitchen.status != Status.READY:
        why = f"{switch.kitchen} is not ready" if kitchen else f"{switch.kitchen} is gone"
        return [Due(**said, status="skipped", reason=why)]
    try:
        _sync(project, kitchen)
        found = next((d for d in declared(project, kitchen) if d.ref == switch.schedule), None)
    except KitchenError as exc:  # the remote is away, the pipeline file at the tip is broken
        report.warn(f"Schedule {switch.schedule} of {kitchen.name} was not run: {exc.message}")
        return [Due(**said, status="error", reason=exc.message)]
    if found is None:
        why = f"the tip of {kitchen.branch} no longer declares it"
        if branch_ref(project, kitchen.branch) is None:
            why = f"its branch {kitchen.branch} is not in this clone nor on its remote"
        report.warn(f"Schedule {switch.schedule} of {kitchen.name} was not run: {why}.")
        return [Due(**said, status="error", reason=why)]
    lock = f"{kitchen.name}:schedules"  # one kitchen's schedules: one caller at a time
    try:
        registry.lock(lock, project.user, 0, f"run of {kitchen.name}'s schedules")
    except PreconditionFailed:
        return [Due(**said, status="busy", reason="another run-due runs its schedules")]
    try:
        return _run_slots(project, kitchen, found, switch=switch, now=now, report=report)
    finally:
        project.registry(environment).unlock(lock)  # a run closed the connection it had


def _run_slots(
    project: Project,
    kitchen: Kitchen,
    found: Declared,
    *,
    switch: Switch,
    now: datetime,
    report: Reporter,
) -> list[Due]:
    """The due slots of one schedule, oldest first, each taken before it runs."""
    environment = kitchen.environment
    said = {"kitchen": switch.kitchen, "schedule": switch.schedule}
    ran = []
    last = switch.last_slot or switch.changed_at  # enabling sets last_slot: never None here
    for slot in schedules.due(found.schedule, datetime.fromisoformat(last), now):
        registry = project.registry(environment)  # a run closes the project's connections
        if not registry.take_slot(switch.id, slot.isoformat()):
            ran.append(Due(**said, status="taken", slot=slot.isoformat()))
            continue  # another run-due ran it
        outcome = _run_slot(project, kitchen, found, slot, report)
        ran.append(outcome)
        registry = project.registry(environment)
        if outcome.run_id is None:  # it could not start: the next call tries the slot again
            registry.free_slot(switch.id, slot.isoformat())
            break
        latest = next(s for s in registry.schedules(kitchen.name) if s.id == switch.id)
        registry.put_schedule(
            replace(
                latest,
                last_slot=slot.isoformat(),
                last_run=outcome.run_id,
                last_status=outcome.status,
            )
        )
    return ran


def _sync(project: Project, kitchen: Kitchen) -> None:
    """The kitchen's branch brought up to the remote, unless someone has it checked out."""
    git = project.git
    if git.current_branch() != kitchen.branch and git.checked_out_elsewhere(kitchen.branch) is None:
        project.sync(kitchen.branch)


def _run_slot(
    project: Project, kitchen: Kitchen, found: Declared, slot: datetime, report: Reporter
) -> Due:
    """The schedule's run for ``slot``: `kitchen test` of its pipeline (or nodes) at the tip
    of the kitchen's branch, in a worktree of its own that goes afterwards."""
    from kitchen.workflows.test import TestRequest, test

    said = Due(kitchen.name, found.ref, "error", slot=slot.isoformat())

    project.close()  # the run opens the warehouses itself (DuckDB: one holder at a time)
    folder = Path(tempfile.mkdtemp(prefix="kitchen-schedule-")) / "worktree"
    try:
        project.git.add_worktree(folder, branch_ref(project, kitchen.branch) or kitchen.branch)
    except GitError as exc:
        shutil.rmtree(folder.parent, ignore_errors=True)
        return replace(said, reason=exc.message)
    trigger = f"schedule {found.ref}, slot {slot.isoformat()}"
    report.step(f"Running {found.ref} in {kitchen.name} for its slot {slot.isoformat()}")
    scheduled = Project(folder, config.load(folder / config.CONFIG_FILE), project.backends)
    request = TestRequest(
        kitchen=kitchen.name,
        pipeline=found.pipeline,
        nodes=tuple(found.schedule.nodes),
        trigger=trigger,
    )
    try:
        run = test(scheduled, request, report)
    except KitchenError as exc:
        report.warn(f"Schedule {found.ref} of {kitchen.name} could not run: {exc.message}")
        return replace(said, reason=exc.message)
    finally:
        scheduled.close()
        project.git.remove_worktree(folder)
        shutil.rmtree(folder.parent, ignore_errors=True)
    return replace(said, status=run.status, run_id=run.id)


def crontab(project: Project) -> str:
    """The line of a crontab that calls run-due every minute in this project, with the
    schedules enabled now as comments."""
    rows, _ = listing(project, None)
    lines = [f"# kitchen schedules of {project.root} (kitchen schedule export)"]
    lines += [
        f"#   {r.kitchen}: {r.schedule} at {r.cron} ({r.timezone})" for r in rows if r.enabled
    ]
    state = project.local / ".kitchen"
    lock, log = (shlex.quote(str(state / name)) for name in ("schedule.lock", "schedule.log"))
    lines.append(
        "# this kitchen's Python (cron's PATH is short); flock -n: a call while the last one"
        " still runs ends at once (util-linux)"
    )
    lines.append(
        f"* * * * * cd {shlex.quote(str(project.root))} && flock -n {lock}"
        f" {shlex.quote(sys.executable)} -m kitchen schedule run-due >> {log} 2>&1"
    )
    return "\n".join(lines) + "\n"
