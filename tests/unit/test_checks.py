"""How a check judges the values its query found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kitchen.pipelines import checks


def test_freshness_of_a_row_dated_ahead_passes_and_says_so() -> None:
    """A row dated three hours ahead was 'newest row is -3.0 h old'."""
    passed, age, message = checks._fresh(datetime.now(UTC) + timedelta(hours=3, minutes=1), 1)
    assert passed and age is not None and age < 0
    assert message == "newest row is dated 3.0 h ahead"


def test_freshness_counts_a_zoneless_time_as_utc() -> None:
    newest = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=5)
    assert checks._fresh(newest, 4)[2] == "newest row is 5.0 h old, expected at most 4 h"


@pytest.mark.parametrize(
    ("wanted", "found", "same"),
    [
        ("numeric", "numeric(10,2)", True),  # was "amount is numeric(10,2), expected numeric"
        ("numeric", "DECIMAL(10,2)", True),  # DuckDB's name for it
        ("decimal(10, 2)", "numeric(10,2)", True),
        ("numeric(12,2)", "numeric(10,2)", False),  # a precision given must match
        ("varchar", "character varying(20)", True),
        ("int", "INTEGER", True),
        ("timestamp", "timestamp without time zone", True),
        ("timestamptz", "TIMESTAMP WITH TIME ZONE", True),
        ("int[]", "integer[]", True),
        ("int", "integer[]", False),
        ("bigint", "integer", False),
        ("number", "BIGINT", True),
        ("text", "integer", False),
    ],
)
def test_a_schema_check_knows_each_types_other_names(wanted: str, found: str, same: bool) -> None:
    assert checks._same_type(wanted, found) is same
