from __future__ import annotations

from tests.conftest import leaked


def test_the_suite_wide_canary_check_finds_a_leak() -> None:
    printed = [("show dev", "masked copy of production"), ("run x", "password=pw-canary-9 ok")]
    assert leaked(printed) == ["kitchen run x: ['pw-canary-9']"]
    assert leaked(printed[:1]) == []
