"""kitchen run: a tool's environment with the kitchen's context and credentials injected."""

from __future__ import annotations

import os

from kitchen import journal
from kitchen.model import Kitchen
from kitchen.project import Project
from kitchen.workflows import identity
from kitchen.workflows.data import current_or_named


def environment(project: Project, name: str | None) -> tuple[Kitchen, dict[str, str]]:
    """The kitchen and the variables a tool run in it gets (on top of the current ones)."""
    kitchen = current_or_named(project, name)
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
