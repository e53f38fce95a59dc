"""Alerts that reach the right person: Slack (Block Kit), Microsoft Teams (an Adaptive Card)
and a generic JSON webhook, each a real HTTP receiver on loopback; per-kitchen targets; the
ticket, staff, report and runbooks in each message; retries; never a secret."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import Cli, edit_config
from tests.gitrepo import git
from tests.servers import free_port


class Receiver:
    """A webhook server that records each request (path, body) and answers 500 to the first
    ``failing`` ones."""

    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.failing = 0
        receiver = self

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if receiver.failing:
                    receiver.failing -= 1
                    self.send_response(500)
                else:
                    receiver.got.append((self.path, body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", free_port()), Hook)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def to(self, path: str) -> list[dict[str, Any]]:
        return [body for where, body in self.got if where.startswith(path)]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()


def configure(shop: Path, receiver: Receiver, default: str = "") -> None:
    """dev's targets, their URLs secrets (with a canary token in each path)."""
    secrets = shop / ".kitchen/secrets/dev.yaml"
    secrets.write_text(
        secrets.read_text()
        + "".join(
            f"alerts#{name}: {receiver.url}/{name}/canary-token\n"
            for name in ("slack", "teams", "hook", "team")
        )
    )
    edit_config(
        shop,
        "    sensitive: false\n",
        "    sensitive: false\n    notifications:\n      targets:\n"
        "        prod-slack: {type: slack, webhook: \"{{ secret('alerts#slack') }}\"}\n"
        "        prod-teams: {type: teams, webhook: \"{{ secret('alerts#teams') }}\"}\n"
        "        hook: {type: webhook, url: \"{{ secret('alerts#hook') }}\"}\n"
        "        team-slack: {type: slack, webhook: \"{{ secret('alerts#team') }}\"}\n"
        f"{default}",
    )
    edit_config(shop, "project: ", 'tickets: {url: "https://jira.example/browse/{key}"}\nproject: ')
    git(shop, "commit", "-qam", "alerts and tickets")


def break_the_mart(shop: Path) -> None:
    """A change that fails one-row-per-customer, whose runbook the alert links."""
    pipeline = shop / "pipelines/shop/pipeline.yaml"
    pipeline.write_text(
        pipeline.read_text().replace(
            "      - name: one-row-per-customer\n",
            "      - name: one-row-per-customer\n        runbook: https://wiki.example/mart\n",
        )
    )
    mart = shop / "pipelines/shop/mart.sql"
    mart.write_text(
        mart.read_text().replace("group by e.customer_id;", "group by e.customer_id, e.order_id;")
    )
    git(shop, "commit", "-qam", "a mart of one row per order, by mistake")


def test_each_target_gets_the_run_its_way_with_ticket_staff_report_and_runbook(
    cli: Cli, shop: Path, receiver: Receiver
) -> None:
    configure(shop, receiver, default="      default: [prod-slack, prod-teams, hook]\n")
    created = cli("create", "feature", "--ticket", "SHOP-42", "--staff", "dev@acme.example")
    assert created.code == 0, created.err
    break_the_mart(shop)
    run = cli("test", "feature", "--json")
    assert run.code == 1
    run_id = run.json()["run_id"]
    assert receiver.to("/team/") == []  # not one of feature's targets
    (slack,) = receiver.to("/slack/")
    assert slack["text"].startswith(f"kitchen test feature: failed (run {run_id}")
    blocks = json.dumps(slack["blocks"])
    for said in (
        "one-row-per-customer",
        "<https://wiki.example/mart|runbook>",
        "<https://jira.example/browse/SHOP-42|SHOP-42>",
        "dev@acme.example",
        f"runs/{run_id}/report.json",
    ):
        assert said in blocks, said
    (teams,) = receiver.to("/teams/")
    (card,) = teams["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "[SHOP-42](https://jira.example/browse/SHOP-42)" in json.dumps(card["content"])
    (hook,) = receiver.to("/hook/")
    assert hook["kitchen"] == "feature" and hook["outcome"] == "failed" and hook["run_id"] == run_id
    assert hook["ticket"] == {"key": "SHOP-42", "url": "https://jira.example/browse/SHOP-42"}
    assert hook["staff"] == ["dev@acme.example"]
    (failing,) = [c for c in hook["checks"] if c["name"] == "one-row-per-customer"]
    assert failing["runbook"] == "https://wiki.example/mart" and failing["status"] == "fail"
    assert "canary" not in json.dumps([body for _, body in receiver.got]) + run.out + run.err


def test_a_kitchen_names_its_targets_and_its_parent_keeps_its_own(
    cli: Cli, shop: Path, receiver: Receiver
) -> None:
    configure(shop, receiver, default="      default: [prod-slack]\n")
    refused = cli("create", "feature", "--notify", "nope")
    assert refused.code == 2 and "No notification target 'nope' in dev" in refused.err
    break_the_mart(shop)  # in dev, and so in the kitchen made from it
    assert cli("create", "feature", "--notify", "team-slack").code == 0
    assert cli("show", "feature", "--json").json()["notify"] == ["team-slack"]
    assert cli("test", "feature").code == 1
    assert len(receiver.to("/team/")) == 1 and receiver.to("/slack/") == []
    assert cli("checkout", "dev").code == 0
    assert cli("test", "dev").code == 1  # dev's run: dev's targets, the default
    assert len(receiver.to("/slack/")) == 1 and len(receiver.to("/team/")) == 1


def test_an_unreachable_target_is_retried_then_waits_for_retry(
    cli: Cli, shop: Path, receiver: Receiver
) -> None:
    configure(shop, receiver, default="      default: [hook]\n")
    assert cli("create", "feature").code == 0
    break_the_mart(shop)
    receiver.failing = 2  # the first try and its retry
    run = cli("test", "feature")
    assert run.code == 1  # the run's own result
    said = "The run was not announced on dev's hook (HTTP 500); it waits for `kitchen artifacts"
    assert said in run.err
    assert receiver.got == []
    retried = cli("artifacts", "--retry")
    assert retried.code == 0, retried.err
    (hook,) = receiver.to("/hook/")
    assert hook["kitchen"] == "feature" and hook["outcome"] == "failed"
    assert (
        "canary" not in json.dumps([body for _, body in receiver.got]) + retried.out + retried.err
    )


def test_a_ticket_is_shown_listed_logged_and_trailed_on_the_merge_commit(
    cli: Cli, shop: Path, receiver: Receiver
) -> None:
    configure(shop, receiver)
    assert cli("create", "feature", "--ticket", "SHOP-42").code == 0
    shown = cli("show", "feature")
    assert re.search(r"ticket +SHOP-42 \(https://jira\.example/browse/SHOP-42\)", shown.out)
    (listed,) = (k for k in cli("list", "--json").json()["kitchens"] if k["name"] == "feature")
    assert listed["ticket"] == "SHOP-42"
    (created,) = (
        e for e in cli("log", "feature", "--json").json()["events"] if e["action"] == "create"
    )
    assert created["details"]["ticket"] == "SHOP-42"
    (shop / "notes.md").write_text("a change\n")
    git(shop, "add", "notes.md")
    git(shop, "commit", "-qm", "a change")
    assert cli("test", "feature").code == 0
    assert cli("merge", "feature", "--yes", "--no-post-test").code == 0
    message = git(shop, "log", "-1", "--format=%B", "develop")
    assert message.rstrip().endswith("Ticket: SHOP-42")


def test_a_registry_of_the_earlier_layout_is_read_then_given_the_new_columns(
    cli: Cli, shop: Path
) -> None:
    """Kitchens recorded before tickets and targets: read as they are, their table given the
    columns before the first write."""
    registry = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    try:
        for column in ("ticket", "notify"):
            registry.execute(f"ALTER TABLE kitchen_meta.kitchens DROP COLUMN {column}")
        registry.execute("DROP TABLE kitchen_meta.migrations")  # that layout recorded none
    finally:
        registry.close()
    (dev,) = (k for k in cli("list", "--json").json()["kitchens"] if k["name"] == "dev")
    assert (dev["ticket"], dev["notify"]) == (None, [])
    assert cli("create", "feature", "--ticket", "SHOP-7").code == 0
    assert cli("show", "feature", "--json").json()["ticket"] == "SHOP-7"
    assert cli("create", "other", "--ticket", "two words").code == 2
