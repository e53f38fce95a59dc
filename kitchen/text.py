"""How recorded values read in messages: times and counted nouns."""

from __future__ import annotations

from datetime import UTC, datetime


def moment(stamp: str | None) -> str:
    """A recorded UTC time as people read it: ``2026-11-21 16:59:44``, in the local time
    zone, to the second (``--json`` keeps the ISO 8601 UTC value)."""
    if not stamp:
        return "?"
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def counted(count: int, noun: str) -> str:
    """``1 commit``, ``2 commits``, ``1,200 rows``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"
