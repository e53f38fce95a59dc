"""Pipeline files: `pipelines/<name>/pipeline.yaml`, validated, with errors naming file and line.

A pipeline is a DAG of nodes (sql, python, shell, dbt), each with checks. Dependencies are
validated here: an unknown node or a cycle is exit 2 naming it.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kitchen import yamlfile
from kitchen.errors import BadInput, ConfigError
from kitchen.names import did_you_mean

PIPELINE_FILE = "pipeline.yaml"
NAME = r"^[a-z][a-z0-9_-]{0,62}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RowCount(Strict):
    type: Literal["row_count"]
    table: str
    min: int | None = None
    max: int | None = None
    equals: int | None = None


class NotNull(Strict):
    type: Literal["not_null"]
    table: str
    column: str


class Unique(Strict):
    type: Literal["unique"]
    table: str
    columns: list[str]


class AcceptedValues(Strict):
    type: Literal["accepted_values"]
    table: str
    column: str
    values: list[bool | int | float | str | datetime | date]  # as YAML reads them


class Relationships(Strict):
    type: Literal["relationships"]
    table: str
    column: str
    to: str  # parent_table.column


class Scalar(Strict):
    type: Literal["sql"]
    query: str  # returns one number
    expect: float | None = None
    min: float | None = None
    max: float | None = None


class Freshness(Strict):
    type: Literal["freshness"]
    table: str
    column: str
    max_age_hours: float


class SchemaCheck(Strict):
    type: Literal["schema"]
    table: str
    columns: dict[str, str]  # name: type family or type (text, number, date, ...)


SpcRule = Literal["beyond-limits", "two-of-three", "four-of-five", "eight-in-a-row"]


class Spc(Strict):
    """Statistical process control: the metric must stay in control of its own history on
    the same data (this kitchen's runs, then its parent's, on rows sampled alike), by the
    rules chosen: beyond-limits (one value past mean +/- sigma standard deviations) and the
    Western Electric run rules (docs/pipelines.md)."""

    type: Literal["spc"]
    metric: str  # SQL returning one number
    sigma: float = Field(3, gt=0)
    min_history: int = Field(5, ge=2)
    window: int = Field(30, ge=2)  # how many past values count
    rules: list[SpcRule] = Field(default=["beyond-limits"], min_length=1)


CheckSpec = Annotated[
    RowCount
    | NotNull
    | Unique
    | AcceptedValues
    | Relationships
    | Scalar
    | Freshness
    | SchemaCheck
    | Spc,
    Field(discriminator="type"),
]


class Check(Strict):
    name: str = Field(pattern=NAME)
    severity: Literal["error", "warn", "log"] = "error"
    check: CheckSpec
    runbook: str | None = None  # what to do when it fails: a URL, or a path in the repository


class Node(Strict):
    name: str = Field(pattern=NAME)
    type: Literal["sql", "python", "shell", "dbt"]
    file: str | None = None  # sql, python: relative to the pipeline's folder
    command: str | None = None  # shell, dbt (default: dbt build)
    project_dir: str = "."  # dbt: the dbt project's folder, in the pipeline's
    profile: Literal["kitchen", "project"] = "kitchen"  # dbt: kitchen's profile, or its own
    depends_on: list[str] = []
    # the tables it reads and writes (table, or schema.table outside the kitchen's schema):
    # a Python or shell node's lineage, which kitchen cannot read from its code
    reads: list[str] = []
    writes: list[str] = []
    key: list[str] = []  # the columns that identify a row of the tables it writes (kitchen diff)
    env: dict[str, str] = {}
    timeout: float = Field(600, gt=0)
    tests: list[Check] = []

    @field_validator("file", "project_dir")
    @classmethod
    def _file_stays_inside(cls, value: str | None) -> str | None:
        if value is not None:
            path = PurePosixPath(value)
            if path.is_absolute() or ".." in path.parts or "\\" in value:
                raise ValueError("must be a relative path inside the pipeline's folder")
        return value


class Schedule(Strict):
    """When a pipeline (or some of its nodes) runs by itself, once enabled in a kitchen."""

    name: str = Field(pattern=NAME)
    cron: str  # five fields: minute hour day-of-month month day-of-week
    timezone: str = "UTC"  # an IANA name: Europe/Berlin
    nodes: list[str] = []  # none: the whole pipeline
    catch_up: bool = False  # run every slot missed (else one run for all of them)

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from croniter import croniter

        if len(value.split()) != 5 or not croniter.is_valid(value):
            raise ValueError(f"{value!r} is not a cron expression of five fields (0 6 * * 1)")
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (Europe/Berlin, UTC)") from None
        return value


class Pipeline(Strict):
    name: str = ""
    description: str = ""
    vars: dict[str, Any] = {}
    nodes: list[Node]
    schedules: list[Schedule] = []
    folder: Path = Path()

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)


def load_all(root: Path, folder: str) -> list[Pipeline]:
    """Every pipeline under ``root/folder``, validated."""
    base = root / folder
    if not base.is_dir():
        return []
    return [load(path) for path in sorted(base.glob(f"*/{PIPELINE_FILE}"))]


def named(pipelines: list[Pipeline], name: str) -> Pipeline:
    """The pipeline called ``name``; a name that is none of them is exit 2, with a guess."""
    for pipeline in pipelines:
        if pipeline.name == name:
            return pipeline
    known = [pipeline.name for pipeline in pipelines]
    raise BadInput(
        f"No pipeline named {name!r}.{did_you_mean(name, known)}",
        hint=f"The pipelines: {', '.join(known) or 'none'}.",
    )


def load(path: Path) -> Pipeline:
    pipeline, node = parse(path.read_text(encoding="utf-8"), path)
    for item in pipeline.nodes:
        _check_files(pipeline, item, path, node)
    return pipeline


def parse(text: str, path: Path) -> tuple[Pipeline, Any]:
    """The pipeline file ``path`` holds ``text`` (as on disk, or at a commit), validated but
    for its nodes' files; and its node tree, for line numbers."""
    node, data = yamlfile.read_yaml(text, path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with description and nodes.")
    try:
        pipeline = Pipeline.model_validate(
            {**data, "name": path.parent.name, "folder": path.parent}
        )
    except ValidationError as exc:
        problems = yamlfile.validation_problems(exc, node)
        raise ConfigError(yamlfile.describe(problems, path, node)) from None
    problems = _graph_problems(pipeline)
    if problems:
        raise ConfigError(yamlfile.describe(problems, path, node))
    return pipeline, node


def _graph_problems(pipeline: Pipeline) -> list[tuple[list[int | str], str]]:
    names = [node.name for node in pipeline.nodes]
    problems: list[tuple[list[int | str], str]] = []
    for index, node in enumerate(pipeline.nodes):
        if names.count(node.name) > 1:
            problems.append((["nodes", index, "name"], f"node {node.name!r} is declared twice"))
        for dependency in node.depends_on:
            if dependency not in names:
                problems.append((["nodes", index, "depends_on"], f"unknown node {dependency!r}"))
    if not problems and (cycle := find_cycle({n.name: n.depends_on for n in pipeline.nodes})):
        problems.append((["nodes"], f"dependency cycle {' -> '.join(cycle)}"))
    scheduled = [schedule.name for schedule in pipeline.schedules]
    for index, schedule in enumerate(pipeline.schedules):
        if scheduled.count(schedule.name) > 1:
            problems.append((["schedules", index, "name"], f"{schedule.name!r} is declared twice"))
        problems += [
            (["schedules", index, "nodes"], f"unknown node {name!r}")
            for name in schedule.nodes
            if name not in names
        ]
    return problems


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """A dependency cycle as a path (``a -> b -> a``), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, path: list[str]) -> list[str] | None:
        state[name] = 1
        for dependency in graph.get(name, []):
            if state.get(dependency) == 1:
                return [*path[path.index(dependency) :], dependency]
            if dependency not in state and (found := visit(dependency, [*path, dependency])):
                return found
        state[name] = 2
        return None

    for start in graph:
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def _check_files(pipeline: Pipeline, node: Node, path: Path, tree: Any) -> None:
    where: list[int | str] = ["nodes", pipeline.nodes.index(node)]
    if node.type in ("sql", "python") and node.file is None:
        raise ConfigError(
            yamlfile.describe([([*where, "file"], f"a {node.type} node needs a file")], path, tree)
        )
    if node.type == "shell" and node.command is None:
        raise ConfigError(
            yamlfile.describe([([*where, "command"], "a shell node needs a command")], path, tree)
        )
    if node.file and not (pipeline.folder / node.file).is_file():
        raise ConfigError(
            yamlfile.describe([([*where, "file"], f"no file {node.file}")], path, tree)
        )
    if node.file and not (pipeline.folder / node.file).resolve().is_relative_to(
        pipeline.folder.resolve()
    ):
        problem = f"{node.file} is a link to a file outside the pipeline's folder"
        raise ConfigError(yamlfile.describe([([*where, "file"], problem)], path, tree))


def order(pipeline: Pipeline, only: set[str] | None = None) -> list[list[Node]]:
    """Nodes in layers: each layer's nodes depend only on earlier layers (run in parallel)."""
    wanted = [n for n in pipeline.nodes if only is None or n.name in only]
    done: set[str] = set()
    layers: list[list[Node]] = []
    while len(done) < len(wanted):
        layer = [
            n
            for n in wanted
            if n.name not in done
            and all(d in done or (only and d not in only) for d in n.depends_on)
        ]
        layers.append(layer)
        done |= {n.name for n in layer}
    return layers
