"""How a check judges the values its query found."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from kitchen.pipelines import checks, model


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


def spc(*rules: str, **settings: object) -> model.Spc:
    return model.Spc.model_validate(
        {"type": "spc", "metric": "select 1", **settings, **({"rules": rules} if rules else {})}
    )


STABLE = [326.0, 331.0, 322.0, 328.0, 325.0]  # newest first, a table's row count run to run


def test_a_halving_after_five_stable_runs_is_out_of_control() -> None:
    status, _, message = checks.control(169, checks.History(STABLE, "all rows", 5), spc())
    assert status == "fail"
    assert message.startswith("169 out of control: beyond 3 sigma; limits [")
    assert "5 runs on all rows)" in message


def test_a_stable_series_raises_no_alarm_under_every_rule() -> None:
    every = spc("beyond-limits", "two-of-three", "four-of-five", "eight-in-a-row")
    history: list[float] = []
    for value in [326, 331, 322, 328, 325, 327, 324, 330, 323, 326, 329, 325, 327, 328]:
        status, _, message = checks.control(value, checks.History(history, "all rows"), every)
        assert status in ("insufficient", "pass"), message
        history.insert(0, value)
    assert status == "pass"


@pytest.mark.parametrize(
    ("rule", "newest", "why"),
    [  # the history's mean is 100 and its standard deviation 1 (values 99 and 101)
        ("two-of-three", [102.5, 100, 102.5], "2 of the last 3 values more than 2 sigma above"),
        ("four-of-five", [98.5, 98.5, 100, 98.5, 98.5], "4 of the last 5 values more than 1 sigma"),
        ("eight-in-a-row", [100.5] * 8, "8 values in a row above the mean"),
    ],
)
def test_each_run_rule_fires_on_its_run_and_only_by_its_own_rule(
    rule: str, newest: list[float], why: str
) -> None:
    base = [99.0, 101.0] * 10
    history = checks.History([*newest[1:], *base], "all rows")
    status, _, message = checks.control(newest[0], history, spc(rule, window=60))
    assert status == "fail" and why in message, message
    # the same values pass by the 3-sigma rule alone: the run rules see what it cannot
    assert checks.control(newest[0], history, spc(window=60))[0] == "pass"


def test_a_run_rule_does_not_fire_on_an_old_run_the_newest_value_left() -> None:
    history = checks.History([102.5, 102.5, *[99.0, 101.0] * 10], "all rows")
    assert checks.control(100, history, spc("two-of-three", window=60))[0] == "pass"


def test_too_little_history_on_this_data_says_which_data() -> None:
    status, _, message = checks.control(3, checks.History([3, 3], "10% of each table"), spc())
    assert (status, message) == (
        "insufficient",
        "3; control limits after 5 past values on 10% of each table, 2 so far",
    )


def test_unknown_spc_rules_are_refused() -> None:
    with pytest.raises(ValidationError):
        spc("nelson-9")
