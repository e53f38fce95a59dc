"""How a check judges the values its query found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kitchen.pipelines import checks


def test_freshness_of_a_row_dated_ahead_passes_and_says_so() -> None:
    """A row dated three hours ahead was 'newest row is -3.0 h old'."""
    passed, age, message = checks._fresh(datetime.now(UTC) + timedelta(hours=3, minutes=1), 1)
    assert passed and age is not None and age < 0
    assert message == "newest row is dated 3.0 h ahead"


def test_freshness_counts_a_zoneless_time_as_utc() -> None:
    newest = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=5)
    assert checks._fresh(newest, 4)[2] == "newest row is 5.0 h old, expected at most 4 h"
