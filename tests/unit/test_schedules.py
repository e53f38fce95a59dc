"""When a schedule's slots fall (kitchen.pipelines.schedules), and what a schedule may say."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kitchen.errors import ConfigError
from kitchen.pipelines import schedules
from kitchen.pipelines.model import Schedule, parse

WEEKLY = Schedule(name="weekly", cron="0 6 * * 1", timezone="Europe/Berlin")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_slot_is_due_once_it_has_come_and_not_before() -> None:
    enabled = at("2026-11-29T12:00:00+00:00")
    assert schedules.due(WEEKLY, enabled, at("2026-11-30T04:59:00+00:00")) == []
    monday = at("2026-11-30T06:00:00+01:00")  # 06:00 in Berlin
    assert schedules.due(WEEKLY, enabled, monday) == [monday]
    assert schedules.due(WEEKLY, monday, at("2026-12-06T23:00:00+00:00")) == []  # ran already


def test_missed_slots_run_once_unless_the_schedule_catches_up() -> None:
    daily = Schedule(name="daily", cron="30 2 * * *", timezone="UTC")
    after, until = at("2026-12-01T00:00:00+00:00"), at("2026-12-04T12:00:00+00:00")
    assert schedules.due(daily, after, until) == [at("2026-12-04T02:30:00+00:00")]
    catching = daily.model_copy(update={"catch_up": True})
    assert [slot.day for slot in schedules.due(catching, after, until)] == [1, 2, 3, 4]
    month = schedules.due(catching, after, at("2027-01-01T00:00:00+00:00"))
    assert len(month) == schedules.CATCH_UP and month[0].day == 1  # the rest: next call


def test_the_clocks_changing_neither_skips_nor_doubles_a_slot() -> None:
    night = Schedule(name="night", cron="30 2 * * *", timezone="Europe/Berlin", catch_up=True)
    spring = schedules.due(night, at("2026-03-28T12:00:00+00:00"), at("2026-03-30T12:00:00+00:00"))
    assert spring == [at("2026-03-29T03:00:00+02:00"), at("2026-03-30T02:30:00+02:00")]
    autumn = schedules.due(night, at("2026-10-24T12:00:00+00:00"), at("2026-10-26T12:00:00+00:00"))
    assert autumn == [at("2026-10-25T02:30:00+02:00"), at("2026-10-26T02:30:00+01:00")]
    once = night.model_copy(update={"catch_up": False})  # 02:30 again, an hour later
    first = at("2026-10-25T02:30:00+02:00")
    assert schedules.due(once, first, at("2026-10-25T02:45:00+01:00")) == []


def test_a_schedule_says_what_is_wrong_with_it(tmp_path: Path) -> None:
    text = """\
nodes:
  - {name: load, type: shell, command: "true"}
schedules:
  - {name: a, cron: "0 6 * *"}
  - {name: b, cron: "0 6 * * 1", timezone: Mars/Olympus}
  - {name: c, cron: "0 6 * * 1", nodes: [nope]}
"""
    with pytest.raises(ConfigError) as raised:
        parse(text, tmp_path / "shop" / "pipeline.yaml")
    said = raised.value.message
    assert "'0 6 * *' is not a cron expression of five fields" in said
    assert "'Mars/Olympus' is not a time zone" in said
    text = text.replace('0 6 * *"', '0 6 * * 1"').replace("Mars/Olympus", "UTC")
    with pytest.raises(ConfigError, match="unknown node 'nope'"):
        parse(text, tmp_path / "shop" / "pipeline.yaml")
