"""kitchen promote, releases and rollback: tagged, recorded, tested, no history rewritten."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli
from tests.gitrepo import git

APPROVER = "lead@shop.example"  # production's approver in the demo's kitchen.yaml


def change_on_dev(cli: Cli, shop: Path, kitchen: str, path: str, text: str) -> None:
    """A feature kitchen changes `path`, is tested and merged into dev, as a team would."""
    assert cli("create", kitchen).code == 0
    (shop / path).write_text(text)
    git(shop, "add", path)
    git(shop, "commit", "-qm", f"change {path}")
    assert cli("test", kitchen).code == 0
    assert cli("merge", kitchen, "--yes").code == 0  # tests dev afterwards


def ready_to_promote(cli: Cli, shop: Path) -> None:
    assert cli("checkout", "dev").code == 0
    change_on_dev(cli, shop, "first", "notes.md", "release one\n")


def test_promote_tags_records_and_tests_the_destination(cli: Cli, shop: Path) -> None:
    ready_to_promote(cli, shop)
    assert cli("promote", "dev", "--to", "production", "--release", "v1.0.0").code == 4  # approval
    result = cli(
        "promote",
        "dev",
        "--to",
        "production",
        "--release",
        "v1.0.0",
        "--approved-by",
        APPROVER,
        "--json",
    )
    assert result.code == 0, result.err
    release = result.json()
    assert release["kind"] == "promote" and release["details"]["source"] == "dev"
    assert release["details"]["destination_test"]["status"] == "passed"
    assert git(shop, "rev-parse", "v1.0.0^{commit}") == git(shop, "rev-parse", "main")
    assert git(shop, "cat-file", "-t", "v1.0.0") == "tag"  # annotated
    assert "Release: v1.0.0" in git(shop, "log", "-1", "--format=%B", "main")
    assert git(shop, "show", "main:notes.md") == "release one"
    assert git(shop, "branch", "--show-current") == "develop"  # back where it started
    listed = cli("releases", "production", "--json").json()["releases"]
    assert [(r["tag"], r["kind"]) for r in listed] == [("v1.0.0", "promote")]
    again = cli(
        "promote", "dev", "--to", "production", "--release", "v1.0.0", "--approved-by", APPROVER,
        "--json",
    )  # fmt: skip
    assert again.code == 0 and again.json()["at"] == release["at"]  # released already: the same
    assert len(cli("releases", "production", "--json").json()["releases"]) == 1
    other = cli(
        "promote", "dev", "--to", "production", "--release", "v0.9.0", "--approved-by", APPROVER
    )
    assert other.code == 3 and "nothing to release" in other.err


PROMOTE = ("promote", "dev", "--to", "production", "--approved-by", APPROVER, "--yes")


def two_releases(cli: Cli, shop: Path) -> None:
    """v1.0.0 ("release one" in notes.md) and v1.1.0 ("release two"), each from dev as it
    was, with no `kitchen update dev` between."""
    ready_to_promote(cli, shop)
    assert cli(*PROMOTE, "--release", "v1.0.0").code == 0
    change_on_dev(cli, shop, "second", "notes.md", "release two\n")
    assert cli(*PROMOTE, "--release", "v1.1.0").code == 0


def test_dev_promotes_release_after_release_without_taking_each_release_back(
    cli: Cli, shop: Path
) -> None:
    """A promotion's merge commit on main brings dev nothing (its tree is dev's), so the
    next release needs no `kitchen update dev` and no second test of the same tree."""
    ready_to_promote(cli, shop)
    assert cli(*PROMOTE, "--release", "v1.0.0").code == 0
    change_on_dev(cli, shop, "second", "notes.md", "release two\n")
    assert git(shop, "rev-list", "--count", "develop..main") != "0"  # not merged back
    result = cli(*PROMOTE, "--release", "v1.1.0")
    assert result.code == 0, result.err
    assert git(shop, "rev-parse", "main^{tree}") == git(shop, "rev-parse", "develop^{tree}")
    assert git(shop, "show", "v1.1.0:notes.md") == "release two"


def test_a_hotfix_on_production_must_reach_dev_before_dev_is_promoted(cli: Cli, shop: Path) -> None:
    ready_to_promote(cli, shop)
    assert cli("create", "hotfix", "--parent", "production").code == 0
    (shop / "hotfix.md").write_text("fixed in production\n")
    git(shop, "add", "hotfix.md")
    git(shop, "commit", "-qm", "hotfix")
    assert cli("test", "hotfix").code == 0
    assert cli("merge", "hotfix", "--approved-by", APPROVER, "--yes").code == 0
    refused = cli("promote", "dev", "--to", "production", "--release", "v1.0.0",
                  "--approved-by", APPROVER)  # fmt: skip
    assert refused.code == 3 and "dev does not contain the tip of main." in refused.err


def test_promote_refusals(cli: Cli) -> None:
    assert cli("promote", "dev", "--to", "production", "--release", "not a tag").code == 2
    assert cli("promote", "production", "--to", "dev", "--release", "v1").code == 2


def test_rollback_restores_the_tags_tree_without_rewriting_history(cli: Cli, shop: Path) -> None:
    ready_to_promote(cli, shop)
    promote = ("promote", "dev", "--to", "production", "--approved-by", APPROVER)
    assert cli(*promote, "--release", "v1.0.0").code == 0
    assert cli("update", "dev").code == 0  # the release commit comes back to dev
    change_on_dev(cli, shop, "second", "notes.md", "release two\n")
    assert cli(*promote, "--release", "v1.1.0").code == 0
    v11 = git(shop, "rev-parse", "main")
    result = cli("rollback", "production", "--to", "v1.0.0", "--json")
    assert result.code == 0, result.err
    assert git(shop, "rev-parse", "main^{tree}") == git(shop, "rev-parse", "v1.0.0^{tree}")
    assert git(shop, "branch", "--show-current") == "develop"
    assert git(shop, "merge-base", "--is-ancestor", v11, "main") == ""  # v1.1.0 still in history
    assert [
        (r["tag"], r["kind"]) for r in cli("releases", "production", "--json").json()["releases"]
    ] == [("v1.0.0", "rollback"), ("v1.1.0", "promote"), ("v1.0.0", "promote")]
    forward = cli("rollback", "production", "--to", "v1.1.0")
    assert forward.code == 0 and "Rolled production back to v1.1.0 (" in forward.out
    assert "its tests passed" in forward.out
    assert cli("rollback", "production", "--to", "v9").code == 2


def test_after_a_rollback_dev_keeps_its_work_and_its_next_release_replaces_it(
    cli: Cli, shop: Path
) -> None:
    """The rollback commit reverts v1.1.0 on main. Merged down (`kitchen update dev`, which
    the promotion gate asked for), it reverted v1.1.0 in dev too, silently; and a 3-way merge
    of dev into main would have carried the revert into v1.2.0, a tree nobody tested."""
    two_releases(cli, shop)
    assert cli("rollback", "production", "--to", "v1.0.0", "--yes").code == 0
    assert git(shop, "show", "main:notes.md") == "release one"
    updated = cli("update", "dev")
    assert updated.code == 0 and "Leaving the rollbacks on main" in updated.err
    assert git(shop, "show", "develop:notes.md") == "release two"  # dev's work stays
    assert cli("show", "dev", "--json").json()["commits_behind"] == 0
    change_on_dev(cli, shop, "third", "fix.md", "the fix\n")
    released = cli(*PROMOTE, "--release", "v1.2.0")
    assert released.code == 0, released.err
    assert git(shop, "rev-parse", "v1.2.0^{tree}") == git(shop, "rev-parse", "develop^{tree}")
    assert git(shop, "show", "main:notes.md") == "release two"  # the tested tree, whole


def test_a_hotfix_kitchen_under_production_takes_its_rollback_as_any_change(
    cli: Cli, shop: Path
) -> None:
    """The rollback is production's own state: a kitchen in production's environment fixes
    from it, or its merge would undo the rollback."""
    two_releases(cli, shop)
    assert cli("create", "hotfix", "--parent", "production", "--no-data").code == 0
    assert cli("rollback", "production", "--to", "v1.0.0", "--yes").code == 0
    assert cli("show", "hotfix", "--json").json()["commits_behind"] == 1
    assert cli("update", "hotfix").code == 0
    assert git(shop, "show", "kitchen/hotfix:notes.md") == "release one"


def test_a_promotion_is_previewed_and_a_rollback_below_it_is_no_conflict(
    cli: Cli, shop: Path
) -> None:
    """The rollback reverts notes.md, which dev changed again: merging main into dev would
    conflict there, but the promotion lands dev's tree and leaves the rollback out."""
    two_releases(cli, shop)
    assert cli("rollback", "production", "--to", "v1.0.0", "--yes").code == 0
    change_on_dev(cli, shop, "third", "notes.md", "release three\n")
    before = git(shop, "rev-parse", "main")
    seen = cli("promote", "dev", "--to", "production", "--preview", "--json")
    assert seen.code == 0, seen.err
    document = seen.json()
    assert (document["into"], document["files"], document["conflicts"]) == (
        "production",
        ["notes.md"],
        [],
    )
    assert git(shop, "rev-parse", "main") == before  # nothing touched
    assert cli("promote", "dev", "--to", "production").code == 2  # no --release: said so
    assert cli(*PROMOTE, "--release", "v1.2.0").code == 0
    assert git(shop, "show", "main:notes.md") == "release three"
