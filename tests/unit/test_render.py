from __future__ import annotations

import time
from datetime import date

import pytest
from rich.console import Console

from kitchen.cli import listings, render
from kitchen.data import masking, pii
from kitchen.model import DataState, Event, Kitchen, Outcome, Release, Status, utcnow
from kitchen.pipelines.checks import CheckResult
from kitchen.pipelines.runners import NodeResult
from kitchen.text import moment, number
from kitchen.workflows.data import ScanResult
from kitchen.workflows.inspect import Listing
from kitchen.workflows.test import TestRun as Run  # not a test class to collect


def kitchen(name: str, parent: str | None, status: Status = Status.READY) -> Kitchen:
    return Kitchen(name, parent, "dev", f"kitchen/{name}", name, status, protected=name == "prod")


def text(renderable: object) -> str:
    console = Console(width=120, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_tree_nests_children_under_parents_and_marks_the_current_kitchen() -> None:
    listing = Listing(
        [kitchen("b", "dev"), kitchen("dev", "prod"), kitchen("prod", None), kitchen("a", "dev")],
        current="a",
        problems=[],
    )
    lines = text(render.kitchen_tree(listing)).splitlines()
    assert lines[0] == "kitchens"
    assert lines[1].startswith("└── prod (protected)")
    assert lines[2].startswith("    └── dev ")
    assert lines[3].startswith("        ├── b ")
    assert lines[4].startswith("        └── * a ")


def test_tree_shows_kitchens_whose_parent_is_gone_at_top_level_with_status() -> None:
    listing = Listing([kitchen("orphan", "deleted", Status.FAILED)], current=None, problems=[])
    lines = text(render.kitchen_tree(listing)).splitlines()
    assert lines[1].startswith("└── orphan") and "failed" in lines[1]


def test_markup_in_values_is_not_interpreted() -> None:
    odd = Kitchen("x", None, "dev", "kitchen/[red]x[/]", "x", Status.READY)
    assert "kitchen/[red]x[/]" in text(render.kitchen_tree(Listing([odd], None, [])))


def test_data_descriptions() -> None:
    assert render.describe_data(None) == "no data"
    assert render.describe_data(DataState(None, False, 3, 5040, "t")).startswith("original data")
    unmasked = render.describe_data(DataState("dev", False, 3, 5040, "t"))
    assert unmasked.startswith("UNMASKED copy of dev (3 tables, 5,040 rows)")
    upstream = render.describe_data(DataState("dev", True, 1, 1, "t"))
    assert upstream.startswith("copy of dev, masked upstream (1 table, 1 row)")
    one = render.describe_data(DataState("prod", True, 2, 9, "t", 1, "t2"))
    assert one.endswith("masking verified t2 (1 rule)")
    verified = render.describe_data(DataState("prod", True, 1, 1, "t", 5, "t2"))
    assert verified.endswith("masking verified t2 (5 rules)")
    failed = render.describe_data(DataState("prod", True, 1, 1, "t", 5, None, ["a.b: 3 present"]))
    assert failed.endswith("masking check FAILED: a.b: 3 present")
    folded = render.describe_data(DataState("prod", True, 1, 1, "t", 5, "t2", sample="10%"), True)
    assert folded.splitlines() == [
        "masked copy of prod (1 table, 1 row; sampled 10%)",
        "copied t",
        "masking verified t2 (5 rules)",
    ]


def test_previewed_values_read_as_sql_values_not_python_reprs() -> None:
    """NULL was shown as None, a boolean as False, bytes as b'...'."""
    cells = [render.cell(v) for v in (None, False, True, b"\x00\xff", "[b]x", 1.5)]
    assert [text(c).strip() for c in cells] == ["null", "false", "true", "\\x00ff", "[b]x", "1.5"]
    document = {"k": 1, "when": date(2026, 1, 2), "name": "Zoë"}  # jsonb; an array: a list
    cells = [render.cell(v) for v in (document, ["a", "b"])]
    assert [text(c).strip() for c in cells] == [
        '{"k": 1, "when": "2026-01-02", "name": "Zoë"}',
        '["a", "b"]',
    ]


def test_a_long_value_is_cut_short_with_its_size() -> None:
    """A 240,000-character document filled the terminal with one cell."""
    document, blob = render.cell("lorem " * 40_000), render.cell(b"\xab" * 50_000)
    assert len(document) < 300 and text(document).replace("\n", "").endswith(
        "… (240,000 characters)"
    )
    assert text(blob).replace("\n", "").endswith("… (50,000 bytes)")
    assert render.cell("x" * render.CELL_WIDTH) == "x" * render.CELL_WIDTH  # whole, as it fits


def test_recorded_times_are_shown_to_the_second_in_the_local_time_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        assert moment("2026-11-21T15:59:44.123456+00:00") == "2026-11-21 16:59:44"
        assert moment("2026-07-01T00:00:00") == "2026-07-01 02:00:00"  # naive: recorded in UTC
    finally:
        monkeypatch.undo()
        time.tzset()
    assert moment(None) == "?" and moment("t2") == "t2"


def test_times_recorded_in_one_second_sort_in_the_order_they_were_taken() -> None:
    taken = [utcnow() for _ in range(50)]
    assert taken == sorted(taken) and len(set(taken)) > 1


def test_the_scan_names_each_column_whole_and_the_rule_that_masks_it() -> None:
    def found(table: str, column: str) -> pii.Finding:
        return pii.Finding(table, column, "email", "200/200 sampled values match", "email")

    result = ScanResult(
        kitchen("dev", "prod"),
        [
            (found("customer_preferences", "secondary_email"), None),
            (found("customers", "email"), masking.Rule("customers.email", "email", None)),
            (found("leads", "email"), masking.Rule("*.email", "email", None)),
        ],
    )
    console = Console(width=80, record=True, color_system=None)
    console.print(listings.scan_table(result))
    shown = console.export_text()
    assert "customer_preferences.secondary_email " in shown and "…" not in shown  # nothing cut
    rule = [line.split("│")[-2].strip() for line in shown.splitlines()[4:-1]]
    assert rule == ["none", "(suggested:", "email)", "email", "", "", "email", "(*.email)", ""]


def test_the_audit_trail_fits_80_columns_with_its_times_whole() -> None:
    event = Event(
        at="2026-11-21T15:59:44.123456+00:00",
        actor="a.long.address@analytics.example",
        action="merge",
        kitchen="profitability",
        result="ok",
        details={"into": "dev", "commit": "1b41e614570cfc6e11769b3fc909d03974233aa1"},
    )
    console = Console(width=80, record=True, color_system=None)
    console.print(listings.events_table([event], "profitability"))
    shown = console.export_text()
    assert moment(event.at) in shown and "…" not in shown
    assert "commit=1b41e61457" in shown and "1b41e614570" not in shown  # as git shows a sha
    assert "profitability" not in shown.split("\n", 1)[1]  # one kitchen's: said in the title


def test_the_audit_trail_puts_details_under_events_when_a_column_is_too_narrow() -> None:
    def event(action: str, kitchen: str, **details: str) -> Event:
        at = "2026-11-21T15:59:44+00:00"
        return Event(
            at=at, actor="ann@acme.io", action=action, kitchen=kitchen, result="ok", details=details
        )

    events = [
        event("merge", "feat", into="dev", commit="7d0568b6da11", run="01dffd4a6027"),
        event("create", "feat", parent="production", data="True"),
    ]
    merge = "into=dev, commit=7d0568b6da, run=01dffd4a6027"
    for width, beside in ((80, False), (150, True)):
        console = Console(width=width, record=True, color_system=None)
        console.print(listings.events_table(events))
        lines = [line.rstrip() for line in console.export_text().splitlines()]
        assert all(len(line) <= width for line in lines)
        header = ["at", "who", "what", "kitchen", "result"] + (["details"] if beside else [])
        assert lines[1].split() == header
        if beside:  # one line an event
            assert lines[2].endswith(f"feat     ok      {merge}") and len(lines) == 4
        else:  # each event's details whole on the line under it
            assert lines[2].endswith("merge   feat     ok") and lines[3] == f"    {merge}"
            assert lines[5] == "    parent=production, data=True"


def test_releases_read_a_line_each_with_who_approved_and_the_tests_under_when_narrow() -> None:
    """A release was one long line that wrapped anywhere: `by` / `demo@kitchen.example`."""
    release = Release(
        tag="v1.0.0",
        kitchen="production",
        kind="promote",
        commit_sha="6f5176f3dc0123456789",
        at="2026-11-21T20:48:47+00:00",
        actor="demo@kitchen.example",
        source="dev",
        approved_by="lead@shop.example",
        destination_test=Outcome("passed", run_id="r1"),
    )
    said = "from dev, approved by lead@shop.example, tests passed"
    for width in (80, 160):
        console = Console(width=width, record=True, color_system=None)
        console.print(listings.releases_table("production", [release]))
        lines = [line.rstrip() for line in console.export_text().splitlines()]
        row = f"{moment(release.at)}  promote  v1.0.0  6f5176f3dc  demo@kitchen.example"
        assert lines[2] == (f"{row}  {said}" if width == 160 else row)
        assert width == 160 or lines[3] == f"    {said}"
    assert (
        text(listings.releases_table("production", [])).strip() == "No releases of production yet."
    )


def test_a_checks_name_is_never_cut_in_the_run_summary() -> None:
    check = CheckResult(
        "mart", "customer-count-in-control", "sql", "warn", "fail", 0.0, "0, expected at least 1"
    )
    run = Run("r1", kitchen("dev", "prod"), "abc", False, "t1", checks=[check])
    console = Console(width=80, record=True, color_system=None)
    console.print(listings.test_summary(run))
    shown = console.export_text()
    assert "mart.customer-count-in-control" in shown and "…" not in shown


def test_an_spc_check_building_its_history_is_not_listed_as_a_problem() -> None:
    building = CheckResult(
        "mart", "revenue", "spc", "error", "insufficient", 6752250.0, "6,752,250; ..."
    )
    failed = CheckResult("mart", "rows", "row_count", "error", "fail", 0.0, "0 rows")
    run = Run("r1", kitchen("dev", "prod"), "abc", False, "t1", checks=[building])
    shown = text(listings.test_summary(run))
    assert "○ mart.revenue (spc) builds its history: 6,752,250; ..." in shown
    assert "did not pass" not in shown
    run = Run("r1", kitchen("dev", "prod"), "abc", False, "t1", checks=[building, failed])
    problems = text(listings.test_summary(run)).split("did not pass", 1)[1]
    assert "mart.rows" in problems and "mart.revenue" not in problems


def test_the_run_summary_says_why_a_node_failed() -> None:
    failed = NodeResult("shop", "mart", "sql", "failed", 0.01, 'relation "orders" does not exist')
    skipped = NodeResult("shop", "report", "python", "skipped", 0.0, "skipped: mart failed")
    run = Run("r1", kitchen("dev", "prod"), "abc", False, "t1", nodes=[failed, skipped])
    shown = text(listings.test_summary(run))
    assert '✗ shop.mart: relation "orders" does not exist' in shown
    assert "skipped: mart failed" not in shown  # the table says skipped; the cause is above


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (6752250.0, "6,752,250"),
        (6752250.4, "6,752,250"),
        (1234.5678, "1,234.57"),
        (12.3456789, "12.3457"),
        (0.05, "0.05"),
        (-3.0, "-3"),
        (0.0, "0"),
        (0.00001234, "1.234e-05"),
        (float("inf"), "inf"),
    ],
)
def test_a_measured_number_reads_as_people_write_it(value: float, shown: str) -> None:
    assert number(value) == shown
