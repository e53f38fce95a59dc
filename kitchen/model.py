"""Plain typed records that every layer passes around."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PROVISIONING = "provisioning"
    READY = "ready"
    FAILED = "failed"
    DELETING = "deleting"
    MISSING = "missing"  # a root kitchen declared in kitchen.yaml but not provisioned yet
    UNREACHABLE = "unreachable"  # its environment's registry could not be read


@dataclass(frozen=True)
class DataState:
    """What data a kitchen holds, where it came from, and whether its masking held."""

    source: str | None
    masked: bool
    tables: int
    rows: int
    copied_at: str
    rules: int = 0  # masking rules applied by this copy (0: inherited or unmasked)
    verified_at: str | None = None  # when the check that no original value remains passed
    problems: list[str] = field(default_factory=list)  # what that check found
    sample: str | None = None  # how the rows were sampled; None: every row
    sample_option: str | None = None  # the --sample asked for, which a refresh keeps
    # foreign keys of the copied tables (table, columns, parent, parent columns, nullable):
    # a copy has no constraints, so later samples of this kitchen's data use these
    references: list[list[Any]] = field(default_factory=list)
    keys: dict[str, list[str]] = field(default_factory=dict)  # primary keys, likewise
    copied: list[str] = field(default_factory=list)  # its tables: a refresh drops the gone
    left_out: list[str] = field(default_factory=list)  # parent's objects not rebuilt, and why
    samplings: int = 0  # samples taken on the way from the root's data: each draws anew
    mode: str = "copy"  # copy, or views: views onto the parent's tables (``copied``)

    @classmethod
    def load(cls, stored: dict[str, Any]) -> DataState:
        """A stored state; fields a later kitchen version added are left out."""
        return cls(**{key: value for key, value in stored.items() if key in FIELDS})


FIELDS = {item.name for item in fields(DataState)}


@dataclass(frozen=True)
class Outcome:
    """How the tests of the kitchen a change landed in went: a merge's post-test, a
    release's destination test (docs/json.md)."""

    status: str  # passed, failed, skipped (no pipelines), error (could not run), not run
    run_id: str | None = None  # passed, failed: the run
    reason: str | None = None  # skipped, not run: why
    message: str | None = None  # error: what stopped them, with its hint and exit code
    hint: str | None = None
    exit_code: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The fields its status has: a run's id, a reason, or an error with its hint."""
        kept = OUTCOME_SAID.get(self.status, ("run_id",))
        return {"status": self.status, **{name: getattr(self, name) for name in kept}}

    @classmethod
    def load(cls, stored: dict[str, Any]) -> Outcome:
        """As a record or a journal keeps it; fields a later version added are left out."""
        return cls(**{name: stored[name] for name in OUTCOME_FIELDS if name in stored})


OUTCOME_FIELDS = ("status", "run_id", "reason", "message", "hint", "exit_code")
OUTCOME_SAID = {  # the fields each status has; passed and failed: run_id
    "error": ("message", "hint", "exit_code"),
    "skipped": ("reason",),
    "not run": ("reason",),
}
INTERRUPTED_TEST = Outcome("not run", reason="interrupted")


@dataclass(frozen=True)
class Release:
    """A promotion or a rollback of a kitchen, as its registry keeps it."""

    tag: str
    kitchen: str
    kind: str  # promote, rollback
    commit_sha: str
    at: str
    actor: str
    source: str | None = None  # promote: the kitchen promoted
    commits: list[str] = field(default_factory=list)  # promote: the commits it brought
    run: str | None = None  # promote: the source's passing run that admitted it
    approved_by: str | None = None
    destination_test: Outcome | None = None  # its tests in the kitchen, after

    DETAILS = ("source", "commits", "run", "approved_by", "destination_test")

    @property
    def details(self) -> dict[str, Any]:
        """What a release of its kind says beyond who, what and when (docs/json.md)."""
        said = {name: getattr(self, name) for name in self.DETAILS}
        if self.destination_test is not None:
            said["destination_test"] = self.destination_test.to_json()
        return {name: value for name, value in said.items() if value is not None}

    def to_json(self) -> dict[str, Any]:
        shown = {name: getattr(self, name) for name in ("tag", "kitchen", "kind", "commit_sha")}
        return {**shown, "at": self.at, "actor": self.actor, "details": self.details}

    @classmethod
    def load(cls, row: dict[str, Any], details: dict[str, Any]) -> Release:
        """A registry row and its details; details a later kitchen version added are left
        out."""
        known = {name: details[name] for name in cls.DETAILS if name in details}
        if known.get("destination_test") is not None:
            known["destination_test"] = Outcome.load(known["destination_test"])
        main = {name: row[name] for name in ("tag", "kitchen", "kind", "commit_sha", "at")}
        return cls(**main, actor=row["actor"], **known)


@dataclass(frozen=True)
class Event:
    """An entry of the audit trail, as its environment's registry keeps it (`log --json`)."""

    at: str
    actor: str
    action: str  # create, delete, refresh, update, merge, promote, ...
    kitchen: str
    result: str  # ok, failed
    details: dict[str, Any] = field(default_factory=dict)  # commits, sources, runs...
    environment: str | None = None  # whose registry it was read from, where that is said

    FIELDS = ("at", "actor", "action", "kitchen", "result", "details")  # as stored

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.FIELDS}


@dataclass(frozen=True)
class Switch:
    """A schedule switched on or off in a kitchen, and its latest slot, as the registry of
    the kitchen's environment keeps it."""

    kitchen: str
    schedule: str  # pipeline.schedule
    enabled: bool
    changed_by: str
    changed_at: str
    last_slot: str | None = None  # the newest slot run (or, until one is, when enabled)
    last_run: str | None = None
    last_status: str | None = None

    @property
    def id(self) -> str:
        return f"{self.kitchen}/{self.schedule}"


@dataclass(frozen=True)
class Owned:
    """Something kitchen made for a kitchen (a schema, a branch, a login role), recorded
    before it was made."""

    kind: str  # schema, branch, role
    name: str
    kitchen: str


@dataclass(frozen=True)
class NodeRun:
    """A node as a recorded run keeps it; a record of an earlier release may lack the
    fields after ``node``, which then read as their defaults."""

    node: str
    pipeline: str = ""
    type: str = ""
    status: str = ""  # passed, failed, skipped
    seconds: float = 0.0
    message: str = ""
    output: str = ""
    depends_on: list[str] = field(default_factory=list)  # the nodes it ran after


@dataclass(frozen=True)
class CheckRun:
    """A check as a recorded run keeps it (see ``NodeRun``)."""

    node: str
    name: str
    type: str = ""
    severity: str = "error"
    status: str = ""  # pass, fail, error, insufficient
    metric: float | None = None
    message: str = ""
    shape: str | None = None  # SPC: the data the metric was measured on
    limits: list[float] | None = None  # SPC: lower limit, centre line, upper limit
    pipeline: str | None = None
    shape_recorded: bool = True  # False: recorded before kitchen recorded shapes


def _known(kind: type[Any], stored: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``kind`` that ``stored`` has: a later release's extra ones left out."""
    return {name: stored[name] for name in kind.__dataclass_fields__ if name in stored}


@dataclass
class Run:
    """A test run as its kitchen's registry records it (docs/json.md, `runs --json`)."""

    id: str
    kitchen: str
    pipelines: str  # their names, comma-separated
    commit_sha: str
    dirty: bool
    started_at: str
    ended_at: str | None
    status: str  # passed, failed, or interrupted (recorded by the next command's recovery)
    results: dict[str, Any] = field(default_factory=dict)  # as `test --json` printed it

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def nodes(self) -> list[NodeRun]:
        return [NodeRun(**_known(NodeRun, node)) for node in self.results.get("nodes", [])]

    @property
    def checks(self) -> list[CheckRun]:
        return [
            CheckRun(**_known(CheckRun, check), shape_recorded="shape" in check)
            for check in self.results.get("checks", [])
        ]

    @property
    def trigger(self) -> str:
        return str(self.results.get("trigger") or "manual")


@dataclass(frozen=True)
class Lock:
    """A merge's hold on the kitchen it merges into (one at a time), or a short hold while
    a command looks before it records itself."""

    target: str
    holder: str
    since: str
    host: str | None = None
    pid: int | None = None


@dataclass
class Operation:
    """A multi-step command as its registry journals it while it runs (kitchen/journal.py):
    the last step it completed and what recovery needs to finish or undo it."""

    id: str
    command: str
    kitchen: str
    actor: str
    host: str | None
    pid: int | None
    since: str
    step: str
    details: dict[str, Any] = field(default_factory=dict)
    doing: str | None = None  # what it does to its kitchen, said to whoever it holds back
    environment: str = ""  # where it is journaled: its registry's environment
    why: str | None = None  # why its process is presumed gone, once it is


INTERRUPTED = "interrupted"  # the status of a run that crashed, recorded by its recovery


@dataclass
class Kitchen:
    name: str
    parent: str | None
    environment: str
    branch: str
    schema: str
    status: Status
    protected: bool = False
    root: bool = False
    staff: list[str] = field(default_factory=list)
    approvers: list[str] = field(default_factory=list)
    created_by: str | None = None
    created_at: str | None = None
    expires_at: str | None = None
    data: DataState | None = None
    error: str | None = None
    ticket: str | None = None  # the work it belongs to: SHOP-42
    notify: list[str] = field(default_factory=list)  # its notification targets (else default)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TableInfo:
    name: str
    rows: int
    view_of: str | None = None  # the kitchen whose table it shows (views mode), else its own
    problem: str | None = None  # why the view no longer shows that table


def tree(kitchens: list[Kitchen]) -> list[tuple[Kitchen, tuple[bool, ...]]]:
    """``kitchens`` depth first, each under its parent (one whose parent is not among them
    is a root), with whether it and each of its ancestors is the last of its siblings: the
    kitchen tree as the branch tree has it, for whoever draws its guides."""
    children: dict[str | None, list[Kitchen]] = {}
    known = {kitchen.name for kitchen in kitchens}
    for kitchen in kitchens:
        children.setdefault(kitchen.parent if kitchen.parent in known else None, []).append(kitchen)
    walked: list[tuple[Kitchen, tuple[bool, ...]]] = []

    def visit(parent: str | None, path: tuple[bool, ...]) -> None:
        below = children.get(parent, [])
        for number, kitchen in enumerate(below, 1):
            here = (*path, number == len(below))
            walked.append((kitchen, here))
            visit(kitchen.name, here)

    visit(None, ())
    return walked


def utcnow() -> str:
    """Now, as recorded: ISO 8601 in UTC to the microsecond, so that records of the same
    second (two runs in a row) still sort in the order they happened."""
    return datetime.now(UTC).isoformat()
