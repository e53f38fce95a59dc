"""kitchen update: the parent merged down; conflicts listed, then continued or aborted."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli, edit_config
from tests.gitrepo import commit, git


def diverge(cli: Cli, shop: Path, conflicting: bool) -> None:
    """dev and the kitchen both change model.sql after the kitchen branched."""
    commit(shop, "model.sql", "select 1\n", "base model on develop")
    assert cli("create", "feature").code == 0
    if conflicting:
        commit(shop, "model.sql", "select 2 -- the kitchen's\n", "kitchen change")
    else:
        commit(shop, "own.sql", "x\n", "kitchen file")
    assert cli("checkout", "dev").code == 0
    commit(shop, "model.sql", "select 3 -- dev's\n", "dev moved on")


def test_update_merges_the_parent_down(cli: Cli, shop: Path) -> None:
    diverge(cli, shop, conflicting=False)
    result = cli("update", "feature", "--json")
    assert result.code == 0 and result.json()["merged"] == 1
    assert git(shop, "show", "kitchen/feature:model.sql") == "select 3 -- dev's"
    assert "rollbacks" not in result.err  # dev has none: a feature kitchen takes it whole
    merged = git(shop, "log", "-1", "--format=%s", "kitchen/feature")
    assert merged == "Merge branch 'develop' into kitchen/feature"
    assert cli("update", "feature", "--json").json()["merged"] == 0  # already up to date
    events = cli("log", "feature", "--json").json()["events"]
    assert events[0]["action"] == "update" and events[0]["result"] == "ok"


def test_conflicts_are_listed_then_continued(cli: Cli, shop: Path) -> None:
    diverge(cli, shop, conflicting=True)
    result = cli("update", "feature")
    assert result.code == 3
    assert "conflicts in: model.sql" in result.err and "--continue" in result.err
    assert cli("update", "feature", "--continue").code == 3  # still unresolved: says so
    (shop / "model.sql").write_text("select 23 -- both\n")
    git(shop, "add", "model.sql")
    assert cli("update", "feature", "--continue").code == 0
    assert git(shop, "show", "kitchen/feature:model.sql") == "select 23 -- both"
    assert git(shop, "status", "--porcelain") == ""


MIDWAY = (
    "error: A merge is in progress on kitchen/feature, with conflicts in: model.sql.\n"
    "hint: Resolve the conflicts, `git add` the files and run `kitchen update --continue` (or"
    " give it up: `kitchen update --abort`){then}\n"
)


def test_while_conflicts_wait_test_merge_and_update_say_how_to_finish(cli: Cli, shop: Path) -> None:
    """A test ran the conflict markers and recorded a run; a merge said the kitchen lacked
    its parent's tip and to run `kitchen update`, which said a merge was in progress."""
    diverge(cli, shop, conflicting=True)
    assert cli("update", "feature").code == 3
    for command, then in (
        (["test"], "; then test."),
        (["merge", "--yes"], "; then merge."),
        (["update"], "."),
        (["checkout", "dev"], "; then check out dev."),
    ):
        result = cli(*command)
        assert (result.code, result.err) == (3, MIDWAY.format(then=then))
    assert cli("runs", "feature", "--json").json()["runs"] == []
    created = cli("create", "sibling", "--parent", "dev")  # made; git refuses the checkout
    assert created.code == 0
    assert "resolve your current index first. Run `kitchen checkout sibling`" in created.err


def test_conflicts_can_be_aborted_leaving_everything_as_it_was(cli: Cli, shop: Path) -> None:
    diverge(cli, shop, conflicting=True)
    before = git(shop, "rev-parse", "kitchen/feature")
    assert cli("update", "feature").code == 3
    assert cli("update", "feature", "--abort").code == 0
    assert git(shop, "rev-parse", "kitchen/feature") == before
    assert git(shop, "status", "--porcelain") == ""
    assert cli("update", "feature", "--abort").code == 3  # nothing in progress any more


def test_a_conflict_in_kitchen_yaml_says_how_to_get_out_of_it(cli: Cli, shop: Path) -> None:
    """Every command, `kitchen update --abort` too, failed on the markers as invalid YAML."""
    assert cli("create", "feature", "--no-data").code == 0
    edit_config(shop, "unmasked_pii: fail", "unmasked_pii: warn")
    git(shop, "commit", "-qam", "warn in the kitchen")
    assert cli("checkout", "dev").code == 0
    edit_config(shop, "unmasked_pii: fail", "unmasked_pii: fail  # strict")
    git(shop, "commit", "-qam", "strict on dev")
    assert cli("checkout", "feature").code == 0
    update = cli("update")
    assert update.code == 3 and "conflicts in: kitchen.yaml" in update.err
    assert "`git merge --abort`" in update.err  # kitchen cannot read its config meanwhile
    listing = cli("list")
    assert listing.code == 2 and "a merge left git's conflict markers in it" in listing.err
    assert "invalid YAML" not in listing.err
    git(shop, "merge", "--abort")
    assert cli("list").code == 0


def test_update_refusals(cli: Cli, shop: Path) -> None:
    assert cli("update", "production").code == 2  # no parent
    assert cli("create", "feature").code == 0
    (shop / "kitchen.yaml").write_text((shop / "kitchen.yaml").read_text() + "\n")
    result = cli("update", "feature")
    assert result.code == 3 and "uncommitted changes" in result.err
