from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kitchen import demo
from kitchen.data import sampling
from kitchen.errors import BadInput, ConfigError
from kitchen.workflows.create import expiry, validate_staff


@pytest.mark.parametrize(
    ("ttl", "delta"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_ttl_units(ttl: str, delta: timedelta) -> None:
    expires = datetime.fromisoformat(expiry(ttl) or "")
    assert abs(expires - datetime.now(UTC) - delta) < timedelta(seconds=5)


@pytest.mark.parametrize("ttl", ["7", "d", "0d", "-1d", "1y", "7 days", "999999d"])
def test_bad_ttl(ttl: str) -> None:
    with pytest.raises(BadInput, match="not a duration"):
        expiry(ttl)


def test_no_ttl_means_no_expiry() -> None:
    assert expiry(None) is None


@pytest.mark.parametrize("who", ["ana@acme.io", "*@acme.io", " bo@x.org "])
def test_staff_entries(who: str) -> None:
    assert validate_staff(who) == who.strip()


@pytest.mark.parametrize("who", ["ana", "@acme.io", "a b@x.io", "a@x;rm"])
def test_bad_staff_entries(who: str) -> None:
    with pytest.raises(BadInput):
        validate_staff(who)


def test_demo_data_is_deterministic_and_joins() -> None:
    first, second = demo.rows(), demo.rows()
    assert first == second
    assert demo.rows(seed=1) != first
    customers = {row[0] for row in first["customers"]}
    products = {row[0] for row in first["products"]}
    assert all(order[1] in customers and order[2] in products for order in first["orders"])
    assert len({row[2] for row in first["customers"]}) == demo.CUSTOMERS  # unique emails


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("10%", "10%"),
        ("2.5%", "2.5%"),
        ("100%", "all"),
        ("all", "all"),
        (None, "all"),
        (300, "300 rows"),
        ("1", "1 row"),
        ("0", "0 rows"),
        ("12000", "12,000 rows"),
    ],
)
def test_sample_specs_read_back_as_given(given: str | int | None, read: str) -> None:
    assert sampling.describe(sampling.parse_spec(given, "--sample")) == read


@pytest.mark.parametrize("given", ["0%", "150%", "-5", "ten", "10 %%", True, 1.5])
def test_bad_sample_specs_name_where_they_come_from(given: Any) -> None:
    with pytest.raises(ConfigError, match=r"^--sample: expected a percent above 0"):
        sampling.parse_spec(given, "--sample")
