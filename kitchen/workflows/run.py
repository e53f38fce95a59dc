"""kitchen run: a tool's environment with the kitchen's context and credentials injected."""

from __future__ import annotations

import os
from pathlib import Path

from kitchen import journal
from kitchen.errors import BadInput
from kitchen.model import Kitchen
from kitchen.pipelines import model
from kitchen.pipelines.model import Node
from kitchen.project import Project
from kitchen.workflows import identity


def environment(project: Project, name: str | None) -> tuple[Kitchen, dict[str, str]]:
    """The kitchen and the variables a tool run in it gets (on top of the current ones)."""
    kitchen = project.current_or_named(name)
    project.require_staff(kitchen, "run tools with its credentials")
    kitchen = journal.require_ready(project, kitchen)
    variables = {
        "KITCHEN_NAME": kitchen.name,
        "KITCHEN_SCHEMA": kitchen.schema,
        "KITCHEN_ENV": kitchen.environment,
        "KITCHEN_BRANCH": kitchen.branch,
        "KITCHEN_PROJECT": project.config.project,
    }
    variables.update(project.warehouse(kitchen.environment).client_environment(kitchen.schema))
    variables.update(identity.client_credentials(project, kitchen))  # its own login, if any
    mapped = project.environment(kitchen.environment).env
    if mapped:
        secrets = project.scoped(kitchen.environment, kitchen.name)
        for variable, value in mapped.items():
            where = f"environments.{kitchen.environment}.env.{variable}"
            variables[variable] = secrets.resolve(value, where)
    return kitchen, {**os.environ, **variables}


def dbt_project(project: Project, pipeline: str | None, cwd: Path) -> tuple[Path, Node] | None:
    """The dbt project a tool runs in, and its node: the named pipeline's dbt node, else
    the one of the pipeline whose folder ``cwd`` is in (None: not in one)."""
    base = (project.root / project.config.pipelines).resolve()
    if pipeline is None and not cwd.resolve().is_relative_to(base):
        return None  # elsewhere, the pipelines are not read: a broken one stops no tool
    pipelines = model.load_all(project.root, project.config.pipelines)
    if pipeline is not None:
        candidates = [model.named(pipelines, pipeline)]
    else:
        here = cwd.resolve()
        candidates = [p for p in pipelines if here.is_relative_to(p.folder.resolve())]
    for found in candidates:
        for node in found.nodes:
            if node.type == "dbt":
                return found.folder / node.project_dir, node
    if pipeline is not None:
        raise BadInput(f"Pipeline {pipeline!r} has no dbt node.", hint="See docs/dbt.md.")
    return None
