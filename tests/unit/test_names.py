from __future__ import annotations

import pytest

from kitchen import names
from kitchen.backends.warehouse.postgres import login_name
from kitchen.errors import ExitCode, InvalidName


@pytest.mark.parametrize("name", ["a", "profitability", "sftp-refactor", "a_b-1", "x" * 40])
def test_valid_names_pass(name: str) -> None:
    assert names.validate(name) == name


@pytest.mark.parametrize(
    "name", ["", "A", "1abc", "-abc", "_abc", "a b", "a.b", "a/b", "ä", "x" * 41, "a;drop"]
)
def test_invalid_names_are_bad_input(name: str) -> None:
    with pytest.raises(InvalidName) as caught:
        names.validate(name)
    assert caught.value.exit_code == ExitCode.BAD_INPUT
    assert caught.value.hint


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("Profit-Q4", " Did you mean 'profit-q4'?"),
        ("fix/login", " Did you mean 'fix-login'?"),
        ("my kitchen!", " Did you mean 'my-kitchen'?"),
        ("1abc", ""),  # a guess past case and separators would be a guess
        ("café", ""),
        ("---", ""),
    ],
)
def test_an_invalid_name_suggests_the_valid_one_meant(name: str, said: str) -> None:
    with pytest.raises(InvalidName) as caught:
        names.validate(name)
    assert caught.value.message.endswith(f"is not a valid kitchen name.{said}")


def test_message_escapes_control_characters() -> None:
    with pytest.raises(InvalidName) as caught:
        names.validate("a\x1b[31mred")
    assert "\x1b" not in caught.value.message
    assert "\\x1b" in caught.value.message


def test_schema_and_branch_derivation() -> None:
    assert names.schema_for("sftp-refactor") == "sftp_refactor"
    assert names.branch_for("sftp-refactor", "kitchen/") == "kitchen/sftp-refactor"
    assert names.branch_for("x", "") == "x"


@pytest.mark.parametrize(
    "name", ["public", "information_schema", "pg_temp", "pg-x", "main", "kitchen_meta"]
)
def test_reserved_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidName, match="reserved"):
        names.check_available(name, [], roots=["production", "dev"])


def test_root_kitchen_names_are_refused() -> None:
    with pytest.raises(InvalidName, match="root kitchen"):
        names.check_available("dev", [], roots=["production", "dev"])


def test_schema_collision_with_another_kitchen() -> None:
    with pytest.raises(InvalidName, match="'a_b' already uses"):
        names.check_available("a-b", [("a_b", "a_b")], roots=[])


def test_collision_with_a_root_schema() -> None:
    with pytest.raises(InvalidName, match="production"):
        names.check_available("analytics", [("production", "analytics")], roots=["production"])


def test_free_name_is_accepted() -> None:
    names.check_available("a-c", [("a_b", "a_b"), ("dev", "dev")], roots=["dev"])


@pytest.mark.parametrize(
    ("name", "known", "said"),
    [
        ("Email", ["email", "phone"], " Did you mean 'email'?"),  # quoted names keep case
        ("prod", ["production", "dev"], " Did you mean 'production'?"),
        ("featur", ["feature", "dev"], " Did you mean 'feature'?"),
        ("f", ["feature", "fix"], ""),  # two start with it: neither is the one meant
        ("orders", ["customers", "products"], ""),
    ],
)
def test_did_you_mean(name: str, known: list[str], said: str) -> None:
    assert names.did_you_mean(name, known) == said


def test_a_login_is_named_for_its_database_environment_and_schema() -> None:
    """Role names are global to a server: two projects' `dev` kitchens `feat1` shared one."""
    names = {
        login_name(database, environment, schema)
        for database in ("shop", "shop_two")
        for environment in ("dev", "qa")
        for schema in ("feat1", "feat2")
    }
    assert len(names) == 8
    assert login_name("shop", "dev", "feat1").startswith("kitchen_dev_feat1_")
    environment = "a_long_environment_name"
    one, two = (login_name("shop", environment, f"abcdefghijklmnopqrstuvwxy_{x}") for x in "12")
    assert one != two and len(one) == len(two) == 63  # cut, and told apart by the digest
