"""kitchen dashboard: the project as a static site, read from the registries of every
environment the user may read (the others are named on every page).

index.html       the kitchen tree, each kitchen's latest run, pass rate and duration
pipelines.html   pass rate per day and run durations per pipeline
checks.html      each SPC check's control chart over its kitchen's runs
releases.html    releases and rollbacks on a timeline
audit.html       the audit trail, newest first
schedules.html   enabled schedules and their next runs
runs/...         the run reports every page links to (the artifact store's copy where kept)
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kitchen import model, redaction
from kitchen.errors import BadInput, KitchenError
from kitchen.files import make_folder
from kitchen.model import CheckRun, Event, Kitchen, NodeRun, Run, utcnow
from kitchen.project import Project
from kitchen.reporting import Reporter
from kitchen.reports import charts, pages
from kitchen.workflows import artifacts, report

if TYPE_CHECKING:
    from kitchen.workflows.schedule import Scheduled

RECENT = 20  # runs per kitchen: its pass rate, durations and SPC series
NEWEST = 10  # a pipeline's newest runs listed (and linked) on its page
EVENTS = 200  # audit trail entries per environment
PAGES = ("index", "pipelines", "checks", "releases", "audit", "schedules")


Entry = tuple[str, Run, list[NodeRun], bool]  # kitchen, run, nodes, passed


@dataclass
class Site:
    """What the pages are drawn from."""

    kitchens: list[Kitchen]
    unreadable: dict[str, str]  # environment: why its registry could not be read
    runs: dict[str, list[Run]] = field(default_factory=dict)  # by kitchen, newest first
    releases: list[dict[str, Any]] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    schedules: list[Scheduled] = field(default_factory=list)
    linked: dict[str, str] = field(default_factory=dict)  # run id: its page's path in the site
    pipelines: dict[str, list[Entry]] = field(default_factory=dict)  # by name: its runs


MARK = ".kitchen-dashboard"  # a folder kitchen made, so kitchen may replace it


def build(project: Project, out: Path, report_to: Reporter) -> Path:
    """Write the site into ``out``, replaced whole once every page is drawn (a failure
    half-way leaves the last one as it was); its index page."""
    if out.exists() and not (out / MARK).exists() and any(out.iterdir()):
        raise BadInput(
            f"{out} is a folder with other files in it, not a dashboard kitchen made.",
            hint="Name an empty or new folder with --out (it is replaced whole).",
        )
    site = _read(project)
    staged = out.with_name(out.name + ".new")
    shutil.rmtree(staged, ignore_errors=True)
    make_folder(staged, "the dashboard's folder")
    (staged / MARK).write_text("made by kitchen dashboard; replaced whole by the next\n")
    wanted = _referenced(site)
    with report_to.progress("Drawing run reports", len(site.kitchens)) as done:
        for kitchen in site.kitchens:
            _link_runs(project, site, kitchen, staged, wanted)
            done(1)
    common = {"unreadable": site.unreadable, "made_at": utcnow(), "pages": PAGES}
    for page, context in _pages(site).items():
        html = pages.render(f"{page}.html.j2", page=page, **common, **context)
        (staged / f"{page}.html").write_text(redaction.scrub(html), encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    staged.rename(out)
    return out / "index.html"


def _read(project: Project) -> Site:
    from kitchen.workflows import schedule

    kitchens, problems = project.kitchens()
    site = Site(kitchens, {env: exc.message for env, exc in problems.items()})
    for environment in project.config.environments:
        if environment in site.unreadable:
            continue
        try:
            registry = project.registry(environment)
            for kitchen in site.kitchens:
                if kitchen.environment == environment:
                    site.runs[kitchen.name] = registry.runs(kitchen.name, RECENT)
            site.releases += [
                {**r.to_json(), "environment": environment} for r in registry.releases()
            ]
            site.events += [
                replace(e, environment=environment) for e in registry.events(None, EVENTS)
            ]
        except KitchenError as exc:
            site.unreadable[environment] = exc.message
    site.releases.sort(key=lambda r: str(r["at"]), reverse=True)
    site.events.sort(key=lambda e: e.at, reverse=True)
    rows, _ = schedule.listing(project, None)
    site.schedules = [row for row in rows if row.enabled]
    site.pipelines = _per_pipeline(site)
    return site


def _link_runs(project: Project, site: Site, kitchen: Kitchen, out: Path, wanted: set[str]) -> None:
    """The reports of the kitchen's latest run and of the runs the site lists (a pipeline's
    newest, a release's, an event's, a schedule's last), in the site: the one kept with the
    run's artifacts, else drawn now. A run no page names gets none: a thousand kitchens
    cost a thousand reports, not twenty thousand."""
    runs = site.runs.get(kitchen.name, [])
    for run in [r for index, r in enumerate(runs) if index == 0 or str(r.id) in wanted]:
        path = f"runs/{kitchen.name}/{run.id}.html"
        html = _kept(project, kitchen, str(run.id)) or report.render(project, kitchen, run)
        target = out / path
        make_folder(target.parent, "the dashboard's folder")
        target.write_text(html, encoding="utf-8")
        site.linked[str(run.id)] = path


def _referenced(site: Site) -> set[str]:
    """The runs the pages list: each pipeline's newest, the releases' (the run that let it
    through, the destination's tests), the audit trail's (a merge's run) and the schedules'
    (their last run)."""
    found = {str(run.id) for entries in site.pipelines.values() for run in _newest(entries)}
    found |= {str(r["details"].get("run") or "") for r in site.releases}
    found |= {
        str((r["details"].get("destination_test") or {}).get("run_id") or "") for r in site.releases
    }
    found |= {str(e.details.get("run") or "") for e in site.events}
    found |= {str(s.last_run or "") for s in site.schedules}
    return found - {""}


def _kept(project: Project, kitchen: Kitchen, run_id: str) -> str | None:
    key = artifacts.run_prefix(kitchen.name, run_id) + "report.html"
    try:
        store = project.artifacts(kitchen.environment)
        return store.get(key).decode() if key in store.list(key) else None
    except KitchenError:
        return None


def _pages(site: Site) -> dict[str, dict[str, Any]]:
    return {
        "index": {"title": "Kitchens", "tree": _tree(site), "health": _health(site)},
        "pipelines": {"title": "Pipelines", "pipelines": _pipelines(site)},
        "checks": {"title": "SPC checks", "charts": _spc(site)},
        "releases": {
            "title": "Releases",
            "releases": site.releases,
            "svg": _timeline(site.releases),
            "linked": site.linked,
        },
        "audit": {"title": "Audit trail", "events": site.events, "linked": site.linked},
        "schedules": {"title": "Schedules", "schedules": site.schedules, "linked": site.linked},
    }


def _health(site: Site) -> dict[str, Any]:
    """The indicators at a glance: each kitchen's latest run, the SPC checks of those runs,
    the newest release."""
    latest = [runs[0] for runs in site.runs.values() if runs]
    spc = [c for run in latest for c in report.checks_of(run) if c.type == "spc"]
    return {
        "passed": sum(run.status == "passed" for run in latest),
        "failed": sum(run.status != "passed" for run in latest),
        "in_control": sum(c.status == "pass" for c in spc),
        "out_of_control": sum(c.status == "fail" for c in spc),
        "release": site.releases[0] if site.releases else None,
    }


def _tree(site: Site) -> list[dict[str, Any]]:
    """Every kitchen under its parent, depth first, with its latest run, pass rate and
    median duration over its recent runs."""
    rows: list[dict[str, Any]] = []
    for kitchen, path in model.tree(site.kitchens):
        runs = site.runs.get(kitchen.name, [])[:RECENT]
        latest = runs[0] if runs else None
        durations = sorted(d for d in (report.seconds(r) for r in runs) if d is not None)
        rows.append(
            {
                "kitchen": kitchen,
                "depth": len(path) - 1,
                "latest": latest,
                "link": site.linked.get(str(latest.id)) if latest else None,
                "pass_rate": sum(r.status == "passed" for r in runs) / len(runs) if runs else None,
                "runs": len(runs),
                "median": durations[len(durations) // 2] if durations else None,
            }
        )
    return rows


def _pipelines(site: Site) -> list[dict[str, Any]]:
    """Per pipeline: its pass rate per day over every kitchen's runs, each run's duration
    (its nodes' seconds) by kitchen, and its newest runs linked."""
    return [_pipeline(site, name, entries) for name, entries in site.pipelines.items()]


def _per_pipeline(site: Site) -> dict[str, list[Entry]]:
    per: dict[str, list[Entry]] = defaultdict(list)
    for kitchen, runs in site.runs.items():
        for run in runs:
            nodes = report.nodes_of(run)
            for pipeline in dict.fromkeys(n.pipeline for n in nodes):
                own = [n for n in nodes if n.pipeline == pipeline]
                passed = _passed(own, report.checks_of(run))
                per[pipeline].append((kitchen, run, own, passed))
    return dict(sorted(per.items()))


def _newest(entries: list[Entry]) -> list[Run]:
    runs = sorted((entry[1] for entry in entries), key=lambda r: str(r.started_at))
    return runs[::-1][:NEWEST]


def _pipeline(site: Site, name: str, entries: list[Entry]) -> dict[str, Any]:
    durations = [
        {
            "at": run.started_at,
            "seconds": round(sum(float(n.seconds) for n in own if _own(n)), 2),
            "series": kitchen,
        }
        for kitchen, run, own, _ in entries
    ]
    days: dict[str, list[bool]] = defaultdict(list)
    for _, run, _, passed in entries:
        days[run.started_at[:10]].append(passed)
    rates = [
        {"at": day, "pass rate": round(sum(ok) / len(ok), 3), "series": name}
        for day, ok in sorted(days.items())
    ]
    newest = sorted(entries, key=lambda e: str(e[1].started_at), reverse=True)[:NEWEST]
    return {
        "name": name,
        "rate": charts.svg(charts.trend(rates, "pass rate", f"{name}: pass rate per day")),
        "durations": charts.svg(
            charts.trend(durations, "seconds", f"{name}: run duration by kitchen", "s")
        ),
        "runs": [
            {
                "kitchen": kitchen,
                "run": run,
                "passed": passed,
                "link": site.linked.get(str(run.id)),
            }
            for kitchen, run, _, passed in newest
        ],
    }


def _own(node: NodeRun) -> bool:
    """A pipeline's own node, not one of a dbt node's models (counted in the dbt node)."""
    return not node.type.startswith("dbt ")


def _passed(nodes: list[NodeRun], checks: list[CheckRun]) -> bool:
    """Whether a pipeline passed in a run: its nodes ran, its error-severity checks passed."""
    names = {n.node for n in nodes}
    blocking = any(
        c.node in names and c.severity == "error" and c.status in ("fail", "error") for c in checks
    )
    return not blocking and all(n.status in ("passed", "skipped") for n in nodes)


def _spc(site: Site) -> list[dict[str, Any]]:
    """One control chart per SPC check and kitchen, over the kitchen's recent runs (each
    point as judged in its run), with its newest run's limits."""
    drawn = []
    for kitchen in site.kitchens:
        runs = site.runs.get(kitchen.name, [])[:RECENT]
        newest: dict[tuple[str, str], tuple[CheckRun, Run]] = {}
        series: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for run in runs:
            for check in report.checks_of(run):
                if check.type != "spc" or check.metric is None:
                    continue
                key = (check.node, check.name)
                newest.setdefault(key, (check, run))
                if check.shape == newest[key][0].shape:
                    series[key].append(report.point(kitchen.name, run, check))
        for key, (latest, latest_run) in newest.items():
            points = series[key][::-1]
            title = f"{kitchen.name}: {key[0]}.{key[1]}"
            spec = charts.control_chart(points, latest.limits, title)
            drawn.append(
                {
                    "kitchen": kitchen.name,
                    "check": f"{key[0]}.{key[1]}",
                    "svg": charts.svg(spec),
                    "out": sum(p["state"] == "out of control" for p in points),
                    "message": latest.message,
                    "link": site.linked.get(str(latest_run.id)),
                }
            )
    return drawn


def _timeline(releases: list[dict[str, Any]]) -> str | None:
    if not releases:
        return None
    events = [
        {"at": r["at"], "tag": r["tag"], "kind": r["kind"], "kitchen": r["kitchen"]}
        for r in releases
    ]
    return charts.svg(charts.timeline(events, "Releases and rollbacks"))
