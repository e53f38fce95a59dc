"""The command line before it is parsed: `kitchen init --demo dbt`."""

from __future__ import annotations

from kitchen.cli.kitchens import flavoured


def test_the_word_dbt_after_demo_is_its_flavour_and_any_other_the_folder() -> None:
    assert flavoured(["init", "--demo", "dbt"]) == ["init", "--demo", "--demo-flavour=dbt"]
    assert flavoured(["init", "--demo", "dbt", "mine"])[2:] == ["--demo-flavour=dbt", "mine"]
    assert flavoured(["init", "--demo", "shop"]) == ["init", "--demo", "shop"]  # the README's
    assert flavoured(["init", "dbt", "--demo"]) == ["init", "dbt", "--demo"]  # a folder named dbt
    assert flavoured(["create", "dbt"]) == ["create", "dbt"]
