"""How recorded values read in messages: times, numbers and counted nouns."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

COLOURS = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")  # a terminal's colour and cursor codes


def uncoloured(text: str) -> str:
    """``text`` without a terminal's colour and cursor codes (dbt's, a tool's)."""
    return COLOURS.sub("", text)


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


def number(value: float) -> str:
    """A measured value to six significant digits, as people read it: ``6,752,250``,
    ``12.3457``, ``0.05`` (never ``6.75225e+06``); only the tiny and the huge in e-notation."""
    if not math.isfinite(value) or value == 0:
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude < -4 or magnitude > 15:
        return f"{value:.6g}"
    shown = f"{value:,.{max(0, 5 - magnitude)}f}"
    return shown.rstrip("0").rstrip(".") if "." in shown else shown
