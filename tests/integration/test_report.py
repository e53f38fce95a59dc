"""kitchen report and kitchen dashboard: pages a person reads, checked in a real headless
Chromium (Debian's `chromium`, which .ci/run installs; Playwright drives it and never
downloads a browser of its own): the DAG's nodes and statuses, one control chart per SPC
check with its out-of-control point marked, links that resolve, no console errors, and text
readable at a phone's 375 px."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kitchen import redaction
from tests.conftest import Cli, edit_config
from tests.integration.test_pipelines import seed_history, write_pipeline

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [  # a closed network: Chromium's own calls home would only fail, many at a time
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SECRET = 'tok-canary-rapport-é"<&>'  # quotes, markup and a non-ASCII letter

PIPELINE = """
nodes:
  - name: build
    type: sql
    file: build.sql
    tests:
      - name: volume
        severity: warn
        check: {type: spc, metric: "select count(*) from {{ kitchen.schema }}.t", min_history: 5}
      - name: has-rows
        check: {type: row_count, table: t, min: 1}
  - name: enrich
    type: sql
    file: enrich.sql
    depends_on: [build]
  - name: broken
    type: sql
    file: broken.sql
    depends_on: [build]
  - name: after
    type: sql
    file: enrich.sql
    depends_on: [broken]
"""
FILES = {
    "build.sql": "create or replace table {{ kitchen.schema }}.t as select * from range(3) r(n);",
    "enrich.sql": "select 1;",
    "broken.sql": "select cast('{{ secret(\"api#token\") }}' as integer);",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("no Chromium here: .ci/run installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def reports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITCHEN_REPORT", "1")  # the suite's other tests keep none


class Page:
    """A page opened in Chromium, with what its console said."""

    def __init__(self, browser: Any, url: str, width: int = 1200) -> None:
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        response = self.page.goto(url)
        assert response is None or response.ok, url

    def attributes(self, selector: str, *names: str) -> list[tuple[str, ...]]:
        found = self.page.locator(selector)
        return [
            tuple(found.nth(i).get_attribute(name) or "" for name in names)
            for i in range(found.count())
        ]

    def labels(self, selector: str) -> list[str]:
        """What a screen reader hears of each point drawn in ``selector``."""
        return self.page.locator(selector).evaluate_all(
            "els => els.flatMap(e => [...e.querySelectorAll('[aria-roledescription=point]')]"
            ".map(m => m.getAttribute('aria-label')))"
        )

    def readable_on_a_phone(self) -> None:
        self.page.set_viewport_size({"width": 375, "height": 800})
        wide = self.page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 375, f"the page is {wide} px wide at 375 px"
        smallest = self.page.evaluate(
            "Math.min(...[...document.querySelectorAll('main td, main p, main li, h1')]"
            ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
        )
        assert smallest >= 12
        drawn = self.page.evaluate(  # a chart's text, as scaled down to the screen
            "Math.min(99, ...[...document.querySelectorAll('figure svg')].flatMap(svg => {"
            " const scale = svg.getBoundingClientRect().width / svg.width.baseVal.value;"
            " return [...svg.querySelectorAll('text')]"
            ".map(t => parseFloat(getComputedStyle(t).fontSize) * scale); }))"
        )
        assert drawn >= 9, f"a chart's text is {drawn:.1f} px on a phone"

    def close(self) -> None:
        assert self.errors == []
        self.page.close()


def set_secret(cli: Cli, monkeypatch: pytest.MonkeyPatch, kitchen: str, key: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    assert cli("secrets", "set", kitchen, key).code == 0


def failing_run(cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A kitchen whose table shrank from about 100 rows to 3 after six stable runs, and
    whose node `broken` failed on a secret's value, so `after` was skipped."""
    write_pipeline(shop, "spc", PIPELINE, FILES)
    assert cli("create", "feature").code == 0
    set_secret(cli, monkeypatch, "feature", "api#token")
    seed_history(shop, "feature", [100, 101, 99, 100, 102, 98])
    result = cli("test", "feature", "--pipeline", "spc", "--json")
    assert result.code == 1
    run: dict[str, Any] = result.json()
    return run


def test_every_run_keeps_a_report_of_its_dag_checks_and_control_charts(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch, reports: None, browser: Any
) -> None:
    run = failing_run(cli, shop, monkeypatch)
    kept = cli("artifacts", "feature", run["run_id"], "--json").json()["artifacts"]
    assert f"kitchens/feature/runs/{run['run_id']}/report.html" in kept
    html = shop / f".kitchen/artifacts/dev/kitchens/feature/runs/{run['run_id']}/report.html"
    text = html.read_text()
    assert "canary" not in text and "***" in text  # the secret in broken's error, scrubbed
    page = Page(browser, html.as_uri())
    nodes = dict(page.attributes("tr.node", "data-node", "data-status"))
    assert nodes == {"build": "passed", "enrich": "passed", "broken": "failed", "after": "skipped"}
    drawn = page.labels("figure.dag")
    for node, status in nodes.items():
        assert any(label.startswith(f"{node}: {status}, ") for label in drawn), node
    assert page.attributes("figure.spc", "data-check") == [("build.volume",)]
    points = page.labels("figure.spc")
    out = [label for label in points if "out of control" in label]
    assert len(out) == 1 and out[0].endswith(": 3, out of control (beyond 3 sigma)")
    assert sum(", in control" in label for label in points) == 6  # as judged then
    assert page.page.locator("figure.trend").count() == 1  # the row-count check's trend
    checks = dict(page.attributes("tr.check", "data-check", "data-status"))
    assert checks == {"build.volume": "fail", "build.has-rows": "pass"}
    page.readable_on_a_phone()
    page.close()


def test_kitchen_report_writes_a_run_and_keeps_it(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without reports at test time (KITCHEN_REPORT=0), `kitchen report` draws one later."""
    run = failing_run(cli, shop, monkeypatch)
    assert "report.html" not in " ".join(
        cli("artifacts", "feature", run["run_id"], "--json").json()["artifacts"]
    )
    # a later process knows no secret: the run must have been recorded without it
    monkeypatch.setattr(redaction, "_known", redaction._Known())
    out = tmp_path / "out" / "run.html"
    made = cli("report", "feature", run["run_id"][:6], "--out", str(out), "--json")
    assert made.code == 0 and made.json() == {"report": str(out), "kept_with_artifacts": True}
    page = out.read_text()
    assert f"Run {run['run_id']} of feature" in page
    assert "canary" not in page and "***" in page
    kept = cli("artifacts", "feature", run["run_id"], "--json").json()["artifacts"]
    assert f"kitchens/feature/runs/{run['run_id']}/report.html" in kept
    latest = cli("report", "feature")
    assert latest.code == 0 and f"feature/{run['run_id']}.html" in latest.out
    unknown = cli("report", "feature", "nosuchrun")
    assert unknown.code == 2 and "No run of feature with id 'nosuchrun'" in unknown.err
    assert cli("report", "dev").code == 3  # no runs yet: said, with what to do
    assert "dev has no runs yet" in cli("report", "dev").err


def test_the_dashboard_links_runs_and_names_what_it_could_not_read(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch, reports: None, browser: Any
) -> None:
    failing_run(cli, shop, monkeypatch)
    assert cli("checkout", "dev").code == 0
    assert cli("test", "dev", "--pipeline", "shop").code == 0
    site = shop / ".kitchen/dashboard"
    assert cli("dashboard").code == 0
    pages = {path.name for path in site.glob("*.html")}
    names = ("index", "pipelines", "checks", "releases", "audit", "schedules")
    assert pages == {f"{name}.html" for name in names}
    for name in sorted(pages):
        page = Page(browser, (site / name).as_uri())
        for href in page.page.locator("a[href]").evaluate_all("els => els.map(e => e.href)"):
            assert Path(href.removeprefix("file://")).is_file(), f"{name}: {href}"
        if name == "index.html":
            rows = dict(page.attributes("tr.kitchen", "data-kitchen", "data-kitchen"))
            assert set(rows) == {"production", "dev", "feature"}
            assert page.page.locator("tr.kitchen a").count() == 2  # dev's run, feature's
            tile = page.page.locator("[data-tile=spc] b").inner_text()
            assert tile == "0 in control, 1 out"  # feature's; dev's builds its history
        if name == "checks.html":
            charts = page.attributes("figure.spc", "data-kitchen", "data-check", "data-out")
            assert sorted(charts) == [
                ("dev", "mart.customer-count-in-control", "0"),
                ("feature", "build.volume", "1"),
            ]
        page.readable_on_a_phone()
        page.close()
    # a registry that cannot be read is named on every page, not fatal
    edit_config(
        shop,
        "warehouse: {type: duckdb, path: .kitchen/warehouse/production_warehouse.duckdb}",
        "warehouse: {type: duckdb, path: .kitchen/warehouse}",
    )
    assert cli("dashboard").code == 0
    assert "Not shown: the registry of" in (site / "index.html").read_text()
    assert "<b>production</b>" in (site / "audit.html").read_text()


def test_the_dashboard_never_replaces_a_folder_it_did_not_make(cli: Cli, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    refused = cli("dashboard", "--out", str(mine))
    assert refused.code == 2 and "not a dashboard kitchen made" in refused.err
    assert (mine / "notes.txt").read_text() == "keep me"
    assert cli("dashboard", "--out", str(tmp_path / "site")).code == 0
    assert cli("dashboard", "--out", str(tmp_path / "site")).code == 0  # its own: replaced


def test_the_dashboard_is_served_on_localhost_until_interrupted(shop: Path) -> None:
    import os
    import signal
    import subprocess
    import urllib.request

    server = subprocess.Popen(
        [sys.executable, "-m", "kitchen", "-C", str(shop), "dashboard", "--serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert server.stdout is not None
        said = [server.stdout.readline() for _ in range(2)]
        url = said[-1].split()[1]
        assert said[-1].startswith("Serving http://127.0.0.1:") and url.endswith("/index.html")
        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.status == 200 and "<h1>Kitchens</h1>" in page.read().decode()
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=20)
    assert code == 130
