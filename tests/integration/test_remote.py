"""Merges, promotions and rollbacks with a git remote: a bare repository in a temporary folder.

kitchen fetches before it gates and pushes after it merges; when the parent moved on the
remote in between, the local merge is undone and the gates run again, so a merge that was
not tested against the current parent is never pushed.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.gitrepo import commit, git, share


@pytest.fixture
def remote(shop: Path, tmp_path: Path) -> Path:
    """The shop with `origin`, a bare repository holding its main and develop branches."""
    bare = tmp_path / "remote.git"
    share(shop, bare)
    return bare


@pytest.fixture
def colleague(remote: Path, tmp_path: Path) -> Path:
    """Another clone of the remote, on develop: someone else on the team."""
    clone = tmp_path / "colleague"
    git(tmp_path, "clone", "-q", "--branch", "develop", str(remote), str(clone))
    return clone


def feature_tested(cli: Cli, shop: Path, path: str = "notes.md") -> None:
    assert cli("create", "feature").code == 0
    commit(shop, path, "profitability notes\n")
    assert cli("test", "feature").code == 0


def test_a_merge_is_pushed(cli: Cli, shop: Path, remote: Path) -> None:
    feature_tested(cli, shop)
    merged = cli("merge", "feature", "--yes", "--no-post-test", "--json")
    assert merged.code == 0, merged.err
    assert git(remote, "rev-parse", "develop") == merged.json()["commit"]
    assert "Kitchen: feature" in git(remote, "log", "-1", "--format=%B", "develop")


def test_a_parent_moved_on_the_remote_stops_the_merge_at_the_gate(
    cli: Cli, shop: Path, remote: Path, colleague: Path
) -> None:
    feature_tested(cli, shop)
    moved = commit(colleague, "theirs.md", "a colleague's change\n")
    git(colleague, "push", "-q", "origin", "develop")
    refused = cli("merge", "feature", "--yes", "--no-post-test")
    assert refused.code == 3 and "kitchen update feature" in refused.err
    assert git(remote, "rev-parse", "develop") == moved  # nothing pushed
    assert git(shop, "rev-parse", "develop") == moved  # the local parent followed the remote
    assert cli("update", "feature").code == 0
    assert cli("test", "feature").code == 0
    assert cli("merge", "feature", "--yes", "--no-post-test").code == 0
    assert git(remote, "show", "develop:theirs.md") == "a colleague's change"
    assert git(remote, "show", "develop:notes.md") == "profitability notes"


def test_a_parent_moving_during_the_merge_runs_the_gates_again(
    cli: Cli, shop: Path, remote: Path, colleague: Path
) -> None:
    """A colleague pushes to develop after kitchen fetched and before it pushes (from a
    pre-push hook): the push is refused, the local merge undone and the gates run again."""
    feature_tested(cli, shop)
    hook = shop / ".git/hooks/pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        "unset $(git rev-parse --local-env-vars)\n"
        f"cd {colleague} && [ ! -e moved ] && touch moved && echo late > late.md"
        " && git add late.md && git commit -qm late && git push -q origin develop\n"
        "exit 0\n"
    )
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    before = git(shop, "rev-parse", "develop")
    refused = cli("merge", "feature", "--yes", "--no-post-test")
    assert refused.code == 3 and "kitchen update feature" in refused.err
    late = git(colleague, "rev-parse", "HEAD")
    assert git(remote, "rev-parse", "develop") == late  # the untested merge was never pushed
    assert git(shop, "rev-parse", "develop") == late  # and it is gone here too
    assert git(shop, "merge-base", "--is-ancestor", before, late) == ""
    assert git(shop, "log", "--format=%s", "develop").count("Merge kitchen feature") == 0
    assert cli("log", "feature", "--json").json()["events"][0]["action"] != "merge"


def test_promote_pushes_the_branch_and_its_tag_together(cli: Cli, shop: Path, remote: Path) -> None:
    feature_tested(cli, shop)
    assert cli("merge", "feature", "--yes").code == 0  # tests dev after the merge
    promoted = cli(
        "promote", "dev", "--to", "production", "--release", "v1.0.0",
        "--approved-by", "lead@shop.example", "--yes", "--json",
    )  # fmt: skip
    assert promoted.code == 0, promoted.err
    assert git(remote, "rev-parse", "main") == promoted.json()["commit_sha"]
    assert git(remote, "rev-parse", "v1.0.0^{commit}") == promoted.json()["commit_sha"]
    git(shop, "checkout", "-q", "main")  # promote went back to develop
    commit(shop, "bad.md", "a bad hotfix\n")
    git(shop, "push", "-q", "origin", "main")
    bad = git(shop, "rev-parse", "main")
    hook = remote / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is frozen' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    refused = cli("rollback", "production", "--to", "v1.0.0", "--yes")
    assert refused.code == 3 and "origin refused the push of main" in refused.err
    assert git(shop, "rev-parse", "main") == bad == git(remote, "rev-parse", "main")
    hook.unlink()
    rolled = cli("rollback", "production", "--to", "v1.0.0", "--yes")
    assert rolled.code == 0, rolled.err
    assert git(remote, "rev-parse", "main") == git(shop, "rev-parse", "main") != bad
    assert git(shop, "rev-parse", "main^{tree}") == git(shop, "rev-parse", "v1.0.0^{tree}")


def test_an_unreachable_remote_is_exit_5_without_its_credentials(
    cli: Cli, shop: Path, remote: Path
) -> None:
    feature_tested(cli, shop)
    git(shop, "remote", "set-url", "origin", "https://ci:canary-token@127.0.0.1:9/repo.git")
    result = cli("merge", "feature", "--yes")
    assert result.code == 5 and "Could not fetch from origin" in result.err
    assert "https://127.0.0.1:9/repo.git" in result.err


def test_a_remote_named_in_the_config_must_exist(cli: Cli, shop: Path, remote: Path) -> None:
    feature_tested(cli, shop)
    git(shop, "remote", "remove", "origin")
    result = cli("merge", "feature", "--yes")
    assert result.code == 2 and "git remote add origin" in result.err


def test_a_push_the_remote_refuses_is_undone_here(cli: Cli, shop: Path, remote: Path) -> None:
    feature_tested(cli, shop)
    hook = remote / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'develop is frozen' >&2\nexit 1\n")
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    before = git(shop, "rev-parse", "develop")
    result = cli("merge", "feature", "--yes", "--no-post-test")
    assert result.code == 3 and "origin refused the push of develop" in result.err
    assert git(shop, "rev-parse", "develop") == before == git(remote, "rev-parse", "develop")


def test_doctor_counts_a_colleagues_kitchen_whose_branch_is_not_in_this_clone_as_fine(
    cli: Cli, shop: Path, remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clone holds the branches it checked out, so every colleague's kitchen was "missing
    its branch" and doctor exited 3 in every clone but its creator's."""
    monkeypatch.setenv("KITCHEN_USER", "bob@acme.example")
    for name in ("pushed", "unpushed"):
        assert cli("create", name, "--no-checkout", "--no-data").code == 0
    git(shop, "push", "-q", "origin", "kitchen/pushed")
    monkeypatch.delenv("KITCHEN_USER")
    assert cli("create", "mine", "--no-checkout", "--no-data").code == 0
    for name in ("pushed", "unpushed", "mine"):  # as in a fresh clone of the remote
        git(shop, "branch", "-q", "-D", f"kitchen/{name}")
    result = cli("doctor", "--json")
    missing = [f["subject"] for f in result.json()["findings"] if f["kind"] == "no-branch"]
    assert result.code == 3 and missing == ["mine"]  # lost: its creator's clone is this one
    shown = cli("show", "pushed", "--json").json()  # compared as the remote has it
    assert (shown["commits_ahead"], shown["commits_behind"]) == (0, 0)
    assert cli("checkout", "pushed").code == 0  # fetched from the remote


def test_doctor_counts_a_root_branch_on_the_remote_as_there(
    cli: Cli, shop: Path, remote: Path
) -> None:
    git(shop, "checkout", "-q", "main")
    git(shop, "branch", "-q", "-D", "develop")  # as in a fresh clone of main
    assert cli("doctor").code == 0
    assert "develop" not in git(shop, "branch", "--format=%(refname:short)").split()


def test_delete_takes_the_kitchens_branch_off_the_remote_too(
    cli: Cli, shop: Path, remote: Path
) -> None:
    """The branch stayed on origin: a later kitchen of the same name then diverged from it
    at its first push."""
    assert cli("create", "feature", "--no-data").code == 0
    git(shop, "push", "-q", "origin", "kitchen/feature")
    deleted = cli("delete", "feature", "--yes")
    assert deleted.code == 0, deleted.err
    assert git(remote, "branch", "--list", "kitchen/feature") == ""
    assert cli("create", "feature", "--no-data").code == 0  # a fresh start, nothing to meet


def pushed_by_a_colleague(cli: Cli, shop: Path, colleague: Path, text: str) -> str:
    """A kitchen pushed from here, then a commit pushed to it from the colleague's clone."""
    assert cli("create", "feature", "--no-data").code == 0
    git(shop, "push", "-q", "origin", "kitchen/feature")
    git(colleague, "fetch", "-q")
    git(colleague, "checkout", "-q", "kitchen/feature")
    pushed = commit(colleague, "theirs.md", text)
    git(colleague, "push", "-q", "origin", "kitchen/feature")
    return pushed


def test_delete_sees_commits_pushed_from_another_clone(
    cli: Cli, shop: Path, remote: Path, colleague: Path
) -> None:
    pushed = pushed_by_a_colleague(cli, shop, colleague, "a colleague's work\n")
    refused = cli("delete", "feature", "--yes")
    assert refused.code == 3 and "1 commit not merged into develop" in refused.err
    assert git(remote, "rev-parse", "kitchen/feature") == pushed


def test_a_forced_delete_keeps_a_push_it_has_not_seen(
    cli: Cli, shop: Path, remote: Path, colleague: Path
) -> None:
    pushed = pushed_by_a_colleague(cli, shop, colleague, "after this clone last fetched\n")
    deleted = cli("delete", "feature", "--yes", "--force")
    assert deleted.code == 0 and "The branch stays on origin" in deleted.err
    assert git(remote, "rev-parse", "kitchen/feature") == pushed  # not lost


def test_create_refuses_a_name_whose_branch_is_on_the_remote(
    cli: Cli, shop: Path, remote: Path, colleague: Path
) -> None:
    git(colleague, "checkout", "-q", "-b", "kitchen/feature")
    git(colleague, "push", "-q", "origin", "kitchen/feature")
    refused = cli("create", "feature", "--no-data")
    assert refused.code == 3 and "already exists on origin" in refused.err
    assert "git push origin --delete kitchen/feature" in refused.err
    assert "feature" not in [k["name"] for k in cli("list", "--json").json()["kitchens"]]


def test_a_ci_checkout_detached_at_the_pushed_commit_is_tested(
    cli: Cli, shop: Path, remote: Path
) -> None:
    """Without the kitchen's branch in the clone, `kitchen test` was an internal error."""
    feature_tested(cli, shop)
    git(shop, "push", "-q", "origin", "kitchen/feature")
    git(shop, "checkout", "-q", "--detach", "origin/kitchen/feature")
    git(shop, "branch", "-q", "-D", "kitchen/feature")
    result = cli("test", "feature", "--json")
    assert result.code == 0, result.err
    assert result.json()["commit"] == git(remote, "rev-parse", "kitchen/feature")
    git(shop, "checkout", "-q", "develop")
    git(shop, "branch", "-q", "-D", "kitchen/feature")
    git(shop, "push", "-q", "origin", "--delete", "kitchen/feature")
    gone = cli("test", "feature")
    assert gone.code == 3 and "kitchen/feature is not in this clone nor on origin" in gone.err
