"""When a schedule's slots fall: cron in the schedule's time zone, read with croniter.

A slot is a moment the cron expression names in its time zone, kept in UTC. Across a change
of the clocks, a slot in the hour that does not exist runs at the first moment after it, and
a slot in the hour that happens twice runs once.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter

from kitchen.pipelines.model import Schedule

CLOCK = "KITCHEN_NOW"  # an ISO time that stands for now: the tests' clock
CATCH_UP = 10  # missed slots one call runs at most; the next call runs the rest


def now() -> datetime:
    """Now, in UTC; ``KITCHEN_NOW`` where it is set (tests set the clock)."""
    told = os.environ.get(CLOCK)
    return datetime.fromisoformat(told).astimezone(UTC) if told else datetime.now(UTC)


def due(schedule: Schedule, after: datetime, until: datetime) -> list[datetime]:
    """The slots to run now: those after ``after`` up to ``until``, oldest first, at most
    ``CATCH_UP`` of them where the schedule catches up, else the newest alone (one run for
    all that were missed). A wall-clock time that happens twice (clocks going back) is one
    slot, its first."""
    zone = ZoneInfo(schedule.timezone)
    if not schedule.catch_up:
        newest = croniter(schedule.cron, until.astimezone(zone)).get_prev(datetime)
        slot = _utc(newest)
        if _utc(croniter(schedule.cron, newest).get_next(datetime)) <= until:
            slot = until  # ``until`` is itself a slot, which get_prev passed over
        fresh = slot > after and _wall(slot, zone) != _wall(after, zone)
        return [slot] if fresh else []
    slots: list[datetime] = []
    seen = _wall(after, zone)
    moments = croniter(schedule.cron, after.astimezone(zone))
    while len(slots) < CATCH_UP:
        slot = _utc(moments.get_next(datetime))
        if slot > until:
            break
        if _wall(slot, zone) != seen:
            slots.append(slot)
            seen = _wall(slot, zone)
    return slots


def following(schedule: Schedule, after: datetime) -> datetime:
    """The first slot after ``after``."""
    moment = croniter(schedule.cron, after.astimezone(ZoneInfo(schedule.timezone)))
    return _utc(moment.get_next(datetime))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """What a clock on the wall in ``zone`` read at ``moment``."""
    return moment.astimezone(zone).replace(tzinfo=None)
