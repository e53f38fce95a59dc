"""kitchen log: the audit trail of what happened to kitchens, by whom, with what result."""

from __future__ import annotations

from pathlib import Path

import duckdb
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


def test_the_trail_and_the_runs_show_the_newest_twenty_unless_told(cli: Cli) -> None:
    """A dev kitchen CI tests on every merge gathers thousands of runs, and printed them all."""
    for number in range(11):  # 22 events: a create and a delete each
        assert cli("create", f"k{number}", "--no-data", "--no-checkout").code == 0
        assert cli("delete", f"k{number}", "--yes").code == 0
    trail = cli("log", "--json").json()
    assert (len(trail["events"]), trail["total"]) == (20, 22)
    assert trail["events"] == cli("log", "--json", "--limit", "0").json()["events"][:20]
    two = cli("log", "-n", "2").out
    assert two.count("k10") == 2 and "k9" not in two
    older = trail["events"][1]["at"]  # the second newest: where the next page starts
    assert cli("log", "-n", "2", "--json").json()["next"] == older
    assert f"2 of 22 events shown; older: `--before {older}`, all: `--limit 0`." in two
    for _ in range(3):
        assert cli("test", "dev").code == 0
    runs = cli("runs", "dev", "--limit", "2", "--json").json()
    assert (len(runs["runs"]), runs["total"]) == (2, 3)
    assert "2 of 3 runs shown; older: `--before " in cli("runs", "dev", "-n", "2").out
    assert "shown" not in cli("runs", "dev").out
    assert runs["next"] == runs["runs"][1]["started_at"]
    rest = cli("runs", "dev", "--limit", "2", "--before", runs["next"], "--json").json()
    assert [run["id"] for run in runs["runs"] + rest["runs"]] == [
        run["id"] for run in cli("runs", "dev", "--json").json()["runs"]
    ]
    assert len(rest["runs"]) == 1 and rest["next"] is None


def test_the_trail_pages_through_every_environment_none_twice_none_skipped(cli: Cli) -> None:
    """Events of dev and production interleave; a page ends between two times, never inside
    one (a next page from `at < time` would skip the rest of that time)."""
    for number in range(3):
        assert cli("create", f"k{number}", "--no-data", "--no-checkout").code == 0
        assert cli("create", f"h{number}", "--parent", "production", "--no-data").code == 0
    whole = cli("log", "--limit", "0", "--json").json()
    assert {e["kitchen"] for e in whole["events"]} == {"k0", "k1", "k2", "h0", "h1", "h2"}
    seen, after = [], []
    while True:
        page = cli("log", "--limit", "3", "--json", *after).json()
        seen += page["events"]
        if page["next"] is None:
            break
        assert page["next"] == page["events"][-1]["at"]
        after = ["--before", page["next"]]
    assert seen == whole["events"]


def test_a_failed_create_is_recorded_as_failed(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITCHEN_FAIL_AT", "create.schema")
    assert cli("create", "fragile").code == 3
    event = cli("log", "fragile", "--json").json()["events"][0]
    assert (event["action"], event["result"]) == ("create", "failed")
    assert "Injected failure" in event["details"]["error"]


def test_a_mistyped_kitchen_gets_a_suggestion_not_an_empty_trail(cli: Cli) -> None:
    """'No events recorded yet.' (exit 0) was all a typo got, deleted kitchens included."""
    assert cli("create", "feature").code == 0
    assert cli("delete", "feature", "--yes").code == 0
    typo = cli("log", "featur")
    assert typo.code == 2 and "No kitchen 'featur', nor events of one." in typo.err
    assert "Did you mean 'feature'?" in typo.err
    assert cli("log", "feature").code == 0  # deleted, but its trail stays
    assert cli("log", "production").code == 0  # a kitchen, events or not


def test_the_registrys_indexes_are_made_where_an_earlier_one_lacks_them(
    cli: Cli, shop: Path
) -> None:
    """A registry of the earlier layout (no indexes) gets them at its first write: a
    kitchen's newest events among a million are then read by index, not by a scan."""
    warehouse = shop / ".kitchen/warehouse/dev_warehouse.duckdb"

    def indexes() -> set[str]:
        found = duckdb.connect(str(warehouse))
        try:
            rows = found.execute(
                "SELECT index_name FROM duckdb_indexes() WHERE schema_name = 'kitchen_meta'"
            ).fetchall()
        finally:
            found.close()
        return {row[0] for row in rows}

    made = indexes()
    assert made == {
        "kitchen_meta_runs_by_kitchen_bytewise",
        "kitchen_meta_events_by_kitchen_bytewise",
        "kitchen_meta_events_by_time_bytewise",
    }
    earlier = {  # the layout of 2026-12-03: no indexes, then these (not on times as bytes)
        "kitchen_meta_runs_by_kitchen": "runs (kitchen, started_at)",
        "kitchen_meta_events_by_kitchen": 'events (kitchen, "at")',
        "kitchen_meta_events_by_time": 'events ("at")',
    }
    changing = duckdb.connect(str(warehouse))
    try:  # a registry of that release recorded no migrations
        for name in made:
            changing.execute(f"DROP INDEX kitchen_meta.{name}")
        changing.execute("DROP TABLE kitchen_meta.migrations")
    finally:
        changing.close()
    assert cli("log", "--json").code == 0  # a read changes nothing
    assert indexes() == set()
    assert cli("create", "feature", "--no-data").code == 0
    assert indexes() == made
    changing = duckdb.connect(str(warehouse))
    try:
        for name, columns in earlier.items():
            changing.execute(f"CREATE INDEX {name} ON kitchen_meta.{columns}")
        changing.execute("DELETE FROM kitchen_meta.migrations WHERE version = 4")
    finally:
        changing.close()
    assert cli("delete", "feature", "--yes").code == 0
    assert indexes() == made  # the earlier ones gone: no use to the reads, a cost to writes
