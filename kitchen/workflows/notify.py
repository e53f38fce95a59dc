"""Telling a team about a run: a Slack-compatible webhook per release environment."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from kitchen import redaction
from kitchen.errors import KitchenError
from kitchen.pipelines import templating
from kitchen.project import Project
from kitchen.reporting import Reporter

TIMEOUT = 10


def outcome(passed: bool, warned: bool) -> str:
    return "failed" if not passed else "warned" if warned else "passed"


def notify(project: Project, run: dict[str, object], report: Reporter) -> bool:
    """Post the run to the environment's webhook if its outcome is one it wants. A webhook
    that fails is a warning: the run's result stands."""
    kitchen = project.kitchen(str(run["kitchen"]))
    settings = project.environment(kitchen.environment).notifications
    result = str(run["outcome"])
    if settings is None or result not in settings.on:
        return False
    try:
        secrets = project.scoped(kitchen.environment, kitchen.name)
        url = secrets.resolve(settings.webhook, f"environments.{kitchen.environment}.notifications")
        context = {
            "kitchen": {
                "name": kitchen.name,
                "schema": kitchen.schema,
                "branch": kitchen.branch,
                "environment": kitchen.environment,
            }
        }
        message = {"text": str(run["text"])}
        if settings.channel:
            source = project.root / "kitchen.yaml"
            message["channel"] = templating.render(settings.channel, source, context, secrets.get)
        request = urllib.request.Request(
            url,
            data=json.dumps(redaction.cleaned(message)).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
    except (KitchenError, urllib.error.URLError, OSError, ValueError) as exc:
        reason = exc.message if isinstance(exc, KitchenError) else type(exc).__name__
        report.warn(f"The run was not announced on the {kitchen.environment} webhook ({reason}).")
        return False
    return True
