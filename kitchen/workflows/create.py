"""kitchen create: registry row -> branch -> schema -> data -> login -> ready, undone on
failure; one a crash cut short is taken down (kitchen/workflows/teardown.py) by the next
create of its name or by `kitchen doctor --repair`."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from kitchen import journal, names
from kitchen.data import sampling
from kitchen.errors import (
    BadInput,
    GitUnreachable,
    KitchenError,
    PreconditionFailed,
    WarehouseError,
)
from kitchen.model import DataState, Kitchen, Operation, Status, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.workflows import identity, notify, teardown, views

DEFAULT_PARENT = "dev"


class Step(StrEnum):
    REGISTRY = "registry"  # its row, and the branch and schema it will make, recorded
    BRANCH = "branch"
    SCHEMA = "schema"
    DATA = "data"
    IDENTITY = "identity"  # its login


TTL_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class CreateRequest:
    name: str
    parent: str | None = None
    data: bool = True
    staff: tuple[str, ...] = ()
    ttl: str | None = None
    checkout: bool = True
    sample: str | None = None  # overrides data.sample.default for this copy
    ticket: str | None = None  # the work it belongs to: SHOP-42
    notify: tuple[str, ...] = ()  # its notification targets (else its environment's default)
    mode: str | None = None  # --data: copy, views or clone (else kitchen.yaml's data.mode)


def create(project: Project, request: CreateRequest, report: Reporter) -> Kitchen:
    names.validate(request.name)
    sampling.parse_spec(request.sample, "--sample")  # before anything is made
    expires_at = expiry(request.ttl)
    staff = [validate_staff(who) for who in request.staff] or [project.user]
    kitchens, problems = project.kitchens()
    parent = _parent(project, request.parent, kitchens, problems)
    notify.check_targets(project, parent.environment, list(request.notify))
    ticket = names.validate_ticket(request.ticket) if request.ticket else None
    for problem in problems.values():  # production, to a developer: closed to them, rightly
        report.warn(
            f"{problem.message} Its kitchens were not checked for the name {request.name!r}."
        )
    if journal.resume(project, parent.environment, CREATE, request.name, report):
        kitchens, _ = project.kitchens()  # as the recovery left them
    same_environment = [(k.name, k.schema) for k in kitchens if k.environment == parent.environment]
    names.check_available(request.name, same_environment, project.config.kitchens)
    _refuse_existing(
        project, request.name, next((k for k in kitchens if k.name == request.name), None)
    )
    project.require_staff(parent, "create kitchens from it")
    kitchen = Kitchen(
        name=request.name,
        parent=parent.name,
        environment=parent.environment,
        branch=names.branch_for(request.name, project.config.git.branch_prefix),
        schema=names.schema_for(request.name),
        status=Status.PROVISIONING,
        staff=staff,
        created_by=project.user,
        created_at=utcnow(),
        expires_at=expires_at,
        ticket=ticket,
        notify=list(request.notify),
    )
    if request.data:  # a way its data cannot come is refused before anything is made
        mode = views.choose(
            project, parent, kitchen, request.mode, sample=request.sample, report=report
        )
        request = replace(request, mode=mode)
    _refuse_leftovers(project, kitchen)
    _follow_remote(project, parent, report)
    _refuse_remote_leftover(project, kitchen)
    try:
        _provision(project, kitchen, parent, request, report)
    except KitchenError as exc:
        with contextlib.suppress(KitchenError):  # the trail must not hide the real error
            project.audit(kitchen, "create", "failed", parent=parent.name, error=exc.message)
        raise
    about = {"ticket": ticket} if ticket else {}
    project.audit(
        kitchen, "create", parent=parent.name, data=request.data, ttl=request.ttl, **about
    )
    if request.checkout:
        _checkout(project, kitchen, report)
    return project.kitchen(kitchen.name)


def _follow_remote(project: Project, parent: Kitchen, report: Reporter) -> None:
    """Branch from the parent as the team has it; offline, from the local branch."""
    try:
        project.sync(parent.branch)
    except GitUnreachable as exc:
        if not project.git.branch_exists(parent.branch):
            raise
        report.warn(f"{exc.message} Branching from the local {parent.branch}.")


def _refuse_remote_leftover(project: Project, kitchen: Kitchen) -> None:
    """A branch of this name on the remote is someone's work (an old kitchen's, or a branch
    made by hand): branching anew over it would make the two diverge at the first push."""
    remote = project.remote
    if remote is not None and project.git.tracking(remote, kitchen.branch) is not None:
        raise PreconditionFailed(
            f"Branch {kitchen.branch!r} already exists on {remote} and belongs to no kitchen.",
            hint=f"Delete it there (`git push {remote} --delete {kitchen.branch}`) if its work "
            "is done, or choose another kitchen name.",
        )


def _provision(
    project: Project, kitchen: Kitchen, parent: Kitchen, request: CreateRequest, report: Reporter
) -> None:
    registry = project.registry(kitchen.environment)
    warehouse = project.warehouse(kitchen.environment)
    with journal.operation(
        project, kitchen.environment, CREATE, kitchen.name, parent=parent.name
    ) as run:
        try:
            registry.add(kitchen)  # the primary key: of two creates of one name, one stops here
        except WarehouseError:
            _refuse_existing(project, kitchen.name, registry.get(kitchen.name))
            raise
        made: list[str] = []
        try:
            registry.own("branch", kitchen.branch, kitchen.name)
            registry.own("schema", kitchen.schema, kitchen.name)
            run.step(Step.REGISTRY)
            report.step(f"Branch {kitchen.branch} from {parent.branch}")
            project.git.create_branch(kitchen.branch, parent.branch)
            made.append("branch")
            run.step(Step.BRANCH)
            report.step(f"Schema {kitchen.schema} in the {kitchen.environment} warehouse")
            warehouse.create_schema(kitchen.schema)
            made.append("schema")
            run.step(Step.SCHEMA)
            if request.data:
                state = _fill(project, parent, kitchen, request, report)
                registry.set_data(kitchen.name, state)
                run.step(Step.DATA)
            if identity.enabled(project, kitchen):
                report.step(f"Login role for {kitchen.name}, limited to its schema")
                made.append("identity")
                identity.make(project, kitchen)
                run.step(Step.IDENTITY)
            registry.set_status(kitchen.name, Status.READY)
        except BaseException as exc:
            _undo(project, kitchen, made, exc, report)
            raise


def _fill(
    project: Project, parent: Kitchen, kitchen: Kitchen, request: CreateRequest, report: Reporter
) -> DataState:
    if request.mode == "views":
        return views.link_tables(project, parent, kitchen, report)
    from kitchen.workflows.datacopy import copy_tables  # masking, PII: data only

    return copy_tables(project, parent, kitchen, report, request.sample)


def _undo(
    project: Project, kitchen: Kitchen, made: list[str], cause: BaseException, report: Reporter
) -> None:
    """Take back what a failed create made; if that fails too, leave a row marked failed."""
    try:
        if "identity" in made:
            identity.drop(project, kitchen)
        if "schema" in made:
            project.warehouse(kitchen.environment).drop_schema(kitchen.schema)
        if "branch" in made:
            project.git.delete_branch(kitchen.branch)
        registry = project.registry(kitchen.environment)
        registry.disown("schema", kitchen.schema)
        registry.disown("branch", kitchen.branch)
        registry.remove(kitchen.name)
    except KitchenError as exc:
        reason = cause.message if isinstance(cause, KitchenError) else type(cause).__name__
        report.warn(
            f"Could not clean up after the failed create ({exc.message}). "
            f"Run `kitchen delete {kitchen.name}` to finish the clean-up."
        )
        # best effort: if the registry is down too, the row stays 'provisioning', which
        # `kitchen delete` cleans up just the same
        with contextlib.suppress(KitchenError):
            project.registry(kitchen.environment).set_status(kitchen.name, Status.FAILED, reason)
    else:
        ended = "was interrupted" if isinstance(cause, KeyboardInterrupt) else "failed"
        report.warn(f"Create of {kitchen.name!r} {ended}; nothing was left behind.")


def _repair(project: Project, operation: Operation, report: Reporter) -> str:
    kitchen = project.registry(operation.environment).get(operation.kitchen)
    if kitchen is None:
        return "it had made nothing yet."
    if kitchen.status == Status.READY:
        return "it had finished."
    teardown.remove(project, kitchen, report)
    return "what it had made is removed; it can be created again."


CREATE = journal.Command("create", "is being created", Step, _repair)


def _parent(
    project: Project,
    requested: str | None,
    kitchens: list[Kitchen],
    unreadable: dict[str, KitchenError],
) -> Kitchen:
    if requested is None:
        # a protected kitchen (production) takes changes by promotion: a child of it (a
        # hotfix) is made only when asked for, not because its branch (main) is checked out
        current = project.checked_out(kitchens)
        requested = current.name if current and not current.protected else DEFAULT_PARENT
    parent = next((kitchen for kitchen in kitchens if kitchen.name == requested), None)
    if parent is None:
        known = [kitchen.name for kitchen in kitchens]
        raise BadInput(
            f"No kitchen named {requested!r} to create from."
            + names.did_you_mean(requested, known),
            hint=f"Pass --parent with one of {', '.join(known)}.",
        )
    if parent.environment in unreadable:
        raise unreadable[parent.environment]
    if parent.status != Status.READY:
        raise PreconditionFailed(
            f"Parent kitchen {parent.name!r} is {parent.status.value}, not ready.",
            hint="Run `kitchen init` for root kitchens, or pick another --parent.",
        )
    return parent


def _refuse_existing(project: Project, name: str, existing: Kitchen | None) -> None:
    if existing is not None and existing.status != Status.READY:
        # another create (or a delete) of it is running, or ran since the row was read
        existing = journal.settled(project, existing)
    if existing is None:
        return
    if existing.status == Status.READY:
        raise PreconditionFailed(
            f"Kitchen {name!r} already exists.", hint=f"Use `kitchen checkout {name}`."
        )
    raise PreconditionFailed(
        f"Kitchen {name!r} is half-made (status {existing.status.value}).",
        hint=f"Run `kitchen delete {name}` (or `kitchen doctor --repair`), then create it again.",
    )


def _refuse_leftovers(project: Project, kitchen: Kitchen) -> None:
    """Never adopt or overwrite a branch or schema that no kitchen owns."""
    # another create of this name may have begun since the kitchens were listed
    _refuse_existing(project, kitchen.name, project.registry(kitchen.environment).get(kitchen.name))
    if project.git.branch_exists(kitchen.branch):
        raise PreconditionFailed(
            f"Branch {kitchen.branch!r} already exists and belongs to no kitchen.",
            hint="Delete or rename that branch, or choose another kitchen name.",
        )
    if project.warehouse(kitchen.environment).schema_exists(kitchen.schema):
        raise PreconditionFailed(
            f"Schema {kitchen.schema!r} already exists in the {kitchen.environment} warehouse "
            "and belongs to no kitchen.",
            hint="Drop or rename that schema, or choose another kitchen name.",
        )


def _checkout(project: Project, kitchen: Kitchen, report: Reporter) -> None:
    try:
        project.git.checkout(kitchen.branch)
    except KitchenError as exc:
        report.warn(f"{exc.message} Run `kitchen checkout {kitchen.name}` when ready.")


def expiry(ttl: str | None) -> str | None:
    """``7d`` -> the UTC time seven days from now (units: m, h, d, w)."""
    if ttl is None:
        return None
    match = re.fullmatch(r"([1-9][0-9]{0,4})([mhdw])", ttl.strip())
    if not match:
        raise BadInput(
            f"TTL {ttl!r} is not a duration kitchen takes.",
            hint="Give a whole number from 1 to 99999 and a unit (m, h, d, w): 30m, 12h, 7d, 2w.",
        )
    delta = timedelta(**{TTL_UNITS[match[2]]: int(match[1])})
    return (datetime.now(UTC).replace(microsecond=0) + delta).isoformat()


def validate_staff(who: str) -> str:
    """A staff entry is an email address or a glob of them (``*@acme.io``)."""
    who = who.strip()
    if not re.fullmatch(r"[A-Za-z0-9._%+*?-]+@[A-Za-z0-9.*?-]+", who):
        raise BadInput(f"Staff entry {who!r} is not an email address or pattern.")
    return who
