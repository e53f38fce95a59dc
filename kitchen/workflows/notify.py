"""Telling a team about a run: Slack, Microsoft Teams or any webhook, per release environment
and per kitchen.

An environment names its targets (``notifications.targets``); a kitchen uses the ones it was
created with (``kitchen create --notify``), else its environment's ``default``, else all of
them, so after a merge or a promotion the parent's runs go to the parent's. Each message
names the kitchen, its pipelines, what failed or warned with each check's runbook, the
kitchen's staff and ticket, and the run's report. A target that cannot be reached never
fails the run: it is tried twice, then the message waits in
``.kitchen/pending-notifications/`` for ``kitchen artifacts --retry`` (which resolves the
target's URL again: no URL, a credential, is ever written down).
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

from kitchen import config, redaction
from kitchen.errors import BadInput, KitchenError
from kitchen.model import Kitchen
from kitchen.names import did_you_mean
from kitchen.project import Project
from kitchen.reporting import Reporter

TIMEOUT = 10
TRIES, PAUSE = 2, 0.5
PENDING = Path(".kitchen") / "pending-notifications"
LISTED = 10  # failing checks named in a message
ADAPTIVE = "application/vnd.microsoft.card.adaptive"


def outcome(passed: bool, warned: bool) -> str:
    return "failed" if not passed else "warned" if warned else "passed"


def notify(project: Project, run: dict[str, Any], report: Reporter) -> bool:
    """Post the run to the kitchen's targets if its outcome is one they want. True when
    every target took it."""
    kitchen = project.kitchen(str(run["kitchen"]))
    settings = project.environment(kitchen.environment).notifications
    if settings is None or str(run["outcome"]) not in settings.on:
        return False
    delivered = True
    for name in targets(project, kitchen):
        payload = _payload(project, kitchen, settings, name, run)
        reason = _send(project, kitchen.environment, name, payload)
        if reason is not None:
            _keep(project, kitchen.environment, name, payload)
            report.warn(
                f"The run was not announced on {kitchen.environment}'s {name} ({reason}); "
                "it waits for `kitchen artifacts --retry`."
            )
            delivered = False
    return delivered


def targets(project: Project, kitchen: Kitchen) -> list[str]:
    """The names of the targets a kitchen's runs go to."""
    settings = project.environment(kitchen.environment).notifications
    if settings is None:
        return []
    known = settings.named()
    chosen = kitchen.notify or settings.default or list(known)
    return [name for name in chosen if name in known]


def check_targets(project: Project, environment: str, names: list[str]) -> None:
    """Refuse (exit 2) names that are not targets of ``environment``."""
    settings = project.environment(environment).notifications
    known = list(settings.named()) if settings else []
    for name in names:
        if name not in known:
            raise BadInput(
                f"No notification target {name!r} in {environment}.{did_you_mean(name, known)}",
                hint=f"Its targets: {', '.join(known)}."
                if known
                else f"Name them under environments.{environment}.notifications.targets.",
            )


def retry(project: Project) -> int:
    """Send every waiting message; how many went."""
    sent = 0
    for environment in project.config.environments:
        for path in sorted((project.local / PENDING / environment).glob("*.json")):
            waiting = json.loads(path.read_text(encoding="utf-8"))
            if _send(project, environment, waiting["target"], waiting["payload"]) is None:
                path.unlink()
                sent += 1
    return sent


def _send(project: Project, environment: str, name: str, payload: dict[str, Any]) -> str | None:
    """Post ``payload`` to the target ``name``: None when it took it, else why not."""
    settings = project.environment(environment).notifications
    target = settings.named().get(name) if settings else None
    if target is None:
        return f"{name} is no longer a target of {environment}"
    import urllib.error  # with http and email: imported by the command that posts, not create
    import urllib.request

    where = f"environments.{environment}.notifications.targets.{name}"
    reason = ""
    for attempt in range(TRIES):
        if attempt:
            time.sleep(PAUSE)
        try:
            url = project.scoped(environment).resolve(
                target.url if isinstance(target, config.WebhookTarget) else target.webhook, where
            )
            request = urllib.request.Request(
                url,
                data=json.dumps(redaction.cleaned(payload)).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
            return None
        except urllib.error.HTTPError as exc:
            reason = f"HTTP {exc.code}"
        except (KitchenError, urllib.error.URLError, OSError, ValueError) as exc:
            reason = exc.message if isinstance(exc, KitchenError) else type(exc).__name__
    return reason


def _keep(project: Project, environment: str, name: str, payload: dict[str, Any]) -> None:
    folder = project.local / PENDING / environment
    folder.mkdir(parents=True, exist_ok=True)
    waiting = {"target": name, "payload": redaction.cleaned(payload)}
    (folder / f"{uuid.uuid4().hex[:12]}.json").write_text(json.dumps(waiting), encoding="utf-8")


def _payload(
    project: Project,
    kitchen: Kitchen,
    settings: config.Notifications,
    name: str,
    run: dict[str, Any],
) -> dict[str, Any]:
    target = settings.named()[name]
    if isinstance(target, config.WebhookTarget):
        return dict(run)
    if isinstance(target, config.TeamsTarget):
        return _teams(run)
    message = _slack(run)
    if name == "webhook" and settings.channel and not settings.targets.get(name):
        from kitchen.pipelines import templating  # Jinja, for this legacy setting alone

        context = {
            "kitchen": {
                "name": kitchen.name,
                "schema": kitchen.schema,
                "branch": kitchen.branch,
                "environment": kitchen.environment,
            }
        }
        secrets = project.scoped(kitchen.environment, kitchen.name)
        source = project.root / config.CONFIG_FILE
        message["channel"] = templating.render(settings.channel, source, context, secrets.get)
    return message


def _slack(run: dict[str, Any]) -> dict[str, Any]:
    """Block Kit, with the run's text for notifications and clients without blocks."""
    fields = [f"*Kitchen*\n{_esc(run['kitchen'])} ({_esc(run['environment'])})"]
    fields.append(f"*Pipelines*\n{_esc(', '.join(run['pipelines']))}")
    fields.append(f"*Run*\n{run['run_id']} at {run['commit'][:10]}")
    fields.append(f"*Staff*\n{_esc(', '.join(run['staff'])) or 'anyone'}")
    if run.get("ticket"):
        ticket = run["ticket"]
        key = _esc(ticket["key"])
        fields.append(
            f"*Ticket*\n<{ticket['url']}|{key}>" if ticket.get("url") else f"*Ticket*\n{key}"
        )
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": run["title"][:150]}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]
    lines = [_slack_line(item) for item in _problems(run)]
    if lines:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    if run.get("report"):
        report = {"type": "mrkdwn", "text": f"<{run['report']}|report of run {run['run_id']}>"}
        blocks.append({"type": "context", "elements": [report]})
    return {"text": run["text"], "blocks": blocks}


def _slack_line(item: dict[str, Any]) -> str:
    line = f"• `{_esc(item['what'])}` {_esc(item['said'])}"
    runbook = item.get("runbook")
    if runbook and _linked(runbook):
        return f"{line} <{runbook}|runbook>"
    return line + (f" (runbook: `{_esc(runbook)}`)" if runbook else "")


def _linked(address: str) -> bool:
    """A runbook on the web (else a path in the repository, shown as it is)."""
    return address.startswith(("https://", "http://"))


def _teams(run: dict[str, Any]) -> dict[str, Any]:
    """An Adaptive Card, as Teams' Workflows webhooks take it."""
    facts = [
        {"title": "Kitchen", "value": f"{run['kitchen']} ({run['environment']})"},
        {"title": "Pipelines", "value": ", ".join(run["pipelines"])},
        {"title": "Run", "value": f"{run['run_id']} at {run['commit'][:10]}"},
        {"title": "Staff", "value": ", ".join(run["staff"]) or "anyone"},
    ]
    if run.get("ticket"):
        ticket = run["ticket"]
        value = f"[{ticket['key']}]({ticket['url']})" if ticket.get("url") else ticket["key"]
        facts.append({"title": "Ticket", "value": value})
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": run["title"], "weight": "Bolder", "size": "Medium"},
        {"type": "FactSet", "facts": facts},
    ]
    for item in _problems(run):
        runbook = item.get("runbook") or ""
        if runbook:
            runbook = f" [runbook]({runbook})" if _linked(runbook) else f" (runbook: {runbook})"
        body.append(
            {"type": "TextBlock", "text": f"- {item['what']} {item['said']}{runbook}", "wrap": True}
        )
    if run.get("report"):
        body.append(
            {"type": "TextBlock", "text": f"[report of run {run['run_id']}]({run['report']})"}
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE, "content": card}]}


def _problems(run: dict[str, Any]) -> list[dict[str, Any]]:
    """What failed or warned, the first ``LISTED``: nodes, then checks."""
    found = [
        {"what": f"{n['pipeline']}.{n['node']}", "said": f"failed: {n['message']}"}
        for n in run.get("nodes", [])
    ]
    found += [
        {
            "what": f"{c['node']}.{c['name']}",
            "said": f"{c['status']} ({c['severity']}): {c['message']}",
            "runbook": c.get("runbook"),
        }
        for c in run.get("checks", [])
    ]
    return found[:LISTED]


def _esc(text: str) -> str:
    """Slack's mrkdwn: &, < and > are its own."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
