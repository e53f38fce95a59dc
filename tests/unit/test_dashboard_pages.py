"""The dashboard's pages from recorded runs, releases, events and schedules: each names the
runs it knows of and links those whose report the site holds."""

from __future__ import annotations

import re
from typing import Any

from kitchen.model import Event, Kitchen, Run, Status
from kitchen.reports import pages
from kitchen.workflows import dashboard
from kitchen.workflows.schedule import Scheduled

AT = "2026-12-04T01:00:00+00:00"


def run(run_id: str, kitchen: str, status: str = "passed") -> Run:
    node = {"pipeline": "shop", "node": "mart", "type": "sql", "status": status, "seconds": 0.5}
    check = {"node": "mart", "name": "rows", "type": "spc", "severity": "error", "metric": 9.0}
    check |= {"status": "fail" if status == "failed" else "pass", "message": "m"}
    check |= {"shape": "all rows", "limits": [1.0, 5.0, 9.5]}
    results = {"nodes": [node], "checks": [check]}
    return Run(run_id, kitchen, "shop", "a" * 40, False, AT, AT, status, results)


def site() -> dashboard.Site:
    kitchens = [
        Kitchen("production", None, "production", "main", "production", Status.READY, root=True),
        Kitchen("dev", "production", "dev", "develop", "dev", Status.READY, root=True),
    ]
    found = dashboard.Site(kitchens, {"staging": "its warehouse is unreachable"})
    found.runs = {"production": [run("p2", "production", "failed")], "dev": [run("d1", "dev")]}
    release = {"tag": "v1.0.0", "kind": "promote", "kitchen": "production", "at": AT}
    release |= {"commit_sha": "b" * 40, "actor": "lead@shop.example"}
    release |= {"details": {"run": "d1", "destination_test": {"status": "failed", "run_id": "p2"}}}
    found.releases = [release]
    found.events = [Event(AT, "a", "merge", "x", "ok", {"run": "gone"}, environment="dev")]
    found.linked = {"d1": "runs/dev/d1.html", "p2": "runs/production/p2.html"}
    found.pipelines = dashboard._per_pipeline(found)  # as reading the registries leaves it
    return found


def rendered(page: str, context: dict[str, Any]) -> str:
    common = {"unreadable": {}, "made_at": AT, "pages": [page]}
    return pages.render(f"{page}.html.j2", page=page, **common, **context)


def test_the_releases_name_the_run_that_let_them_through_and_their_test_there() -> None:
    html = rendered("releases", dashboard._pages(site())["releases"])
    assert re.findall(r'href="([^"]+)">(\w+)</a>', html) == [
        ("runs/dev/d1.html", "d1"),
        ("runs/production/p2.html", "p2"),
    ]
    assert '<span class="status failed">failed</span>' in html


def test_a_run_the_site_has_no_report_of_is_named_not_linked() -> None:
    html = rendered("audit", dashboard._pages(site())["audit"])
    assert "<td>gone</td>" in html and "href" not in html.split("<tbody>")[1]


def test_the_runs_that_releases_events_and_schedules_name_get_reports() -> None:
    found = site()
    nightly = ("dev", "shop/nightly", "0 2 * * *", "UTC", [], False, True, "a", AT, AT, "s9")
    found.schedules = [Scheduled(*nightly, "passed")]
    assert dashboard._referenced(found) == {"d1", "p2", "gone", "s9"}


def test_the_health_tiles_count_each_kitchens_latest_run_and_its_spc_checks() -> None:
    health = dashboard._health(site())
    assert (health["passed"], health["failed"]) == (1, 1)
    assert (health["in_control"], health["out_of_control"]) == (1, 1)
    assert health["release"]["tag"] == "v1.0.0"
