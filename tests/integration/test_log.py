"""kitchen log: the audit trail of what happened to kitchens, by whom, with what result."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import USER, Cli


def test_create_refresh_and_delete_are_in_the_trail(cli: Cli) -> None:
    assert cli("create", "feature", "--ttl", "1d").code == 0
    assert cli("data", "refresh", "feature").code == 0
    assert cli("delete", "feature", "--yes").code == 0
    events = cli("log", "feature", "--json").json()["events"]
    assert [(e["action"], e["result"], e["actor"]) for e in events] == [
        ("delete", "ok", USER),
        ("refresh", "ok", USER),
        ("create", "ok", USER),
    ]
    assert events[2]["details"] == {"parent": "dev", "data": True, "ttl": "1d"}
    assert events[1]["details"]["source"] == "dev"
    assert "refresh" in cli("log").out


def test_a_failed_create_is_recorded_as_failed(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITCHEN_FAIL_AT", "create.schema")
    assert cli("create", "fragile").code == 3
    event = cli("log", "fragile", "--json").json()["events"][0]
    assert (event["action"], event["result"]) == ("create", "failed")
    assert "Injected failure" in event["details"]["error"]
