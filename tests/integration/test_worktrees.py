"""Two kitchens checked out at once, each in a worktree of one repository (`git worktree add`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli, snapshot
from tests.gitrepo import commit, git


@pytest.fixture
def worktree(cli: Cli, shop: Path, tmp_path: Path) -> Path:
    """Kitchen feature, checked out in a worktree of its own; the shop stays on develop."""
    assert cli("create", "feature", "--no-checkout").code == 0
    folder = tmp_path / "feature-worktree"
    git(shop, "worktree", "add", "-q", str(folder), "kitchen/feature")
    return folder


def test_a_worktree_shares_the_embedded_warehouse_vault_and_artifacts(
    capsys: pytest.CaptureFixture[str], shop: Path, worktree: Path
) -> None:
    """Its relative `.kitchen/` paths resolved in the worktree: every kitchen was missing
    there, and `kitchen init` would have made a second, empty set of backends."""
    there = Cli(capsys, worktree)
    shown = there("show", "--json")  # the kitchen checked out in the worktree
    assert shown.code == 0 and shown.json()["name"] == "feature"
    assert shown.json()["status"] == "ready" and shown.json()["tables"]
    commit(worktree, "notes.md", "worktree notes\n")
    tested = there("test", "--json")
    assert tested.code == 0, tested.err
    assert not (worktree / ".kitchen").exists()
    reports = shop / ".kitchen" / "artifacts" / "dev" / "kitchens" / "feature" / "runs"
    assert tested.json()["run_id"] in {path.name for path in reports.iterdir()}


def test_a_branch_checked_out_in_another_worktree_is_refused_before_anything_changes(
    cli: Cli, shop: Path, worktree: Path
) -> None:
    checkout = cli("checkout", "feature")
    assert checkout.code == 3
    assert f"kitchen/feature is checked out in another worktree, {worktree}." in checkout.err
    assert f"cd {worktree}" in checkout.err
    before = snapshot(shop)
    deleted = cli("delete", "feature", "--yes", "--force")  # git cannot delete it
    assert deleted.code == 3 and f"git worktree remove {worktree}" in deleted.err
    assert snapshot(shop) == before  # was: schema dropped, kitchen stuck "deleting"
    git(shop, "worktree", "remove", str(worktree))
    assert cli("delete", "feature", "--yes").code == 0
