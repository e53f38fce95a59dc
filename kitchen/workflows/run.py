"""kitchen run: a tool's environment with the kitchen's context and credentials injected."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from kitchen import journal
from kitchen.errors import BadInput, CannotRun, ToolNotFound
from kitchen.model import Kitchen
from kitchen.pipelines import dbt, model
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


def run_tool(
    project: Project, name: str | None, command: list[str], pipeline: str | None, cwd: Path
) -> int:
    """Run ``command`` with kitchen ``name``'s context (in a dbt project's folder with
    kitchen's dbt profile where there is one); its exit code, 128 + N when signal N killed
    it, as shells say."""
    kitchen, variables = environment(project, name)
    found = dbt_project(project, pipeline, cwd)
    output = project.warehouse(kitchen.environment).dbt_output() if found else {}
    project.close()  # a DuckDB file can be opened by one process at a time: let the tool have it
    # Ctrl-C reaches the tool too, and is the tool's to handle (psql cancels its query, a
    # REPL its line): kitchen waits on. A handler, not SIG_IGN, which the tool would inherit.
    previous = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        if found is None:
            code = subprocess.call(command, env=variables)
        else:
            folder, node = found
            with dbt.workspace(output, node.profile == "project", files_out=False) as more:
                code = subprocess.call(command, env={**variables, **more}, cwd=folder)
    except FileNotFoundError:
        raise ToolNotFound(
            f"Command not found: {command[0]}.", hint="Check its name and PATH."
        ) from None
    except PermissionError:
        raise CannotRun(
            f"Command {command[0]} cannot be run: permission denied.",
            hint="Check that it is a program and executable (chmod +x).",
        ) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    return 128 - code if code < 0 else code
