"""Every bad name exits 2 and leaves git and the warehouse exactly as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, snapshot

BAD_NAMES = [
    "",  # empty
    " ",
    "Profitability",  # uppercase
    "1st",  # starts with a digit
    "-x",
    "_x",
    "a b",
    "a.b",
    "a/b",
    "../etc",
    "a\\b",
    "x" * 41,  # too long
    "y" * 200,
    "a;drop schema dev cascade",  # SQL injection
    "a'); drop table kitchen_meta.kitchens;--",
    'a"b',
    "a$(rm -rf ~)",  # shell injection
    "a`id`",
    "a|b",
    "a&&b",
    "naïve",  # unicode
    "\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48",  # full-width letters
    "kitchen\u200b",  # zero-width space
    "a\nb",  # control characters
    "a\x1b[2Jb",
    "a\x00b",
    "a*",
    "public",  # reserved
    "information_schema",
    "pg_catalog",
    "pg-toast",  # schema pg_toast
    "kitchen_meta",
    "kitchen_stage_dev",  # kitchen's own schemas
    "kitchen-x",
    "main",
    "production",  # root kitchens
    "dev",
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=[repr(n)[:30] for n in BAD_NAMES])
def test_bad_name_is_exit_2_and_changes_nothing(cli: Cli, shop: Path, name: str) -> None:
    before = snapshot(shop)
    result = cli("create", name, "--no-checkout")
    assert result.code == 2, result.err
    assert result.err.startswith("error:") and "Traceback" not in result.err
    assert snapshot(shop) == before


def test_schema_collision_is_exit_2_and_changes_nothing(cli: Cli, shop: Path) -> None:
    assert cli("create", "a_b", "--no-checkout").code == 0
    before = snapshot(shop)
    result = cli("create", "a-b", "--no-checkout")
    assert result.code == 2 and "already uses" in result.err
    assert snapshot(shop) == before


def test_the_corpus_is_large_enough() -> None:
    assert len(BAD_NAMES) >= 25
