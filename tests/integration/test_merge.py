"""kitchen merge: preview, every gate refusing with its exit code, trailers, idempotence."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from tests.conftest import USER, Cli, edit_config
from tests.gitrepo import commit, git


@pytest.fixture
def tested(cli: Cli, shop: Path) -> Path:
    """A feature kitchen with a committed change and a passing run for its HEAD."""
    assert cli("create", "feature").code == 0
    commit(shop, "notes.md", "profitability notes\n")
    assert cli("test", "feature").code == 0
    return shop


def test_a_kitchen_whose_branch_is_gone_is_a_git_error_not_a_bug(cli: Cli, shop: Path) -> None:
    """The preview read the commits through GitPython directly: a branch deleted by hand
    made it exit 70, "a bug in kitchen", with GitPython's words."""
    assert cli("create", "feature", "--no-checkout").code == 0
    git(shop, "branch", "-D", "kitchen/feature")
    result = cli("merge", "feature", "--preview")
    assert result.code == 3 and "This is a bug" not in result.err
    assert "kitchen/feature" in result.err and "Cmd(" not in result.err


def test_preview_touches_nothing_and_reports_conflicts(cli: Cli, tested: Path) -> None:
    head = git(tested, "rev-parse", "HEAD")
    seen = cli("merge", "feature", "--preview", "--json")
    assert seen.code == 0
    document = seen.json()
    assert document["into"] == "dev" and document["files"] == ["notes.md"]
    assert len(document["commits"]) == 1 and document["conflicts"] == []
    assert git(tested, "rev-parse", "HEAD") == head
    assert cli("checkout", "dev").code == 0
    commit(tested, "notes.md", "dev's own notes\n")
    conflicted = cli("merge", "feature", "--preview", "--json")
    assert conflicted.code == 3 and conflicted.json()["conflicts"] == ["notes.md"]


def test_a_merge_with_trailers_then_again_is_idempotent(cli: Cli, tested: Path) -> None:
    run_id = cli("runs", "feature", "--json").json()["runs"][0]["id"]
    merged = cli("merge", "feature", "--yes", "--json")
    assert merged.code == 0, merged.err
    document = merged.json()
    assert document["run"] == run_id and document["post_test"]["status"] == "passed"
    message = git(tested, "log", "-1", "--format=%B", "develop")
    assert "Kitchen: feature" in message and f"Tested-Run: {run_id}" in message
    assert (
        "Tested-Commit: " in message
        and git(tested, "log", "-1", "--format=%p", "develop").count(" ") == 1
    )
    again = cli("merge", "feature", "--yes", "--json")
    assert again.code == 0 and again.json()["commit"] is None
    assert cli("log", "feature", "--json").json()["events"][0]["action"] == "merge"


def test_delete_after_removes_the_kitchen_once_merged_and_only_then(cli: Cli, tested: Path) -> None:
    refused = cli(
        "merge", "feature", "--yes", "--delete-after", "--approved-by", "x", "--into", "production"
    )
    assert refused.code != 0 and cli("show", "feature").code == 0  # not merged: kept
    merged = cli("merge", "feature", "--yes", "--delete-after", "--no-post-test", "--json")
    assert merged.code == 0 and merged.json()["commit"] is not None
    gone = cli("show", "feature")
    assert gone.code == 2 and "feature" in gone.err
    assert "kitchen/feature" not in git(tested, "branch", "--list", "kitchen/feature")
    actions = [event["action"] for event in cli("log", "feature", "--json").json()["events"]]
    assert actions[:2] == ["delete", "merge"]


def test_a_kitchen_behind_its_parent_is_refused_until_updated(cli: Cli, tested: Path) -> None:
    """What lands must be what was tested: a change the parent got meanwhile is merged down
    and tested in the kitchen first."""
    assert cli("checkout", "dev").code == 0
    commit(tested, "dev.md", "merged into dev meanwhile\n")
    behind = cli("merge", "feature", "--yes")
    assert behind.code == 3 and "feature does not contain the tip of develop." in behind.err
    assert "Run `kitchen update feature`, test it, then merge." in behind.err
    assert cli("update", "feature").code == 0 and cli("test", "feature").code == 0
    assert cli("merge", "feature", "--yes").code == 0
    assert git(tested, "show", "develop:dev.md") == "merged into dev meanwhile"


def test_without_a_name_the_checked_out_kitchen_is_updated_shown_and_merged(
    cli: Cli, tested: Path
) -> None:
    """`kitchen test` took the checked-out kitchen, but update, show and merge, the next
    steps, insisted on a name."""
    assert cli("update", "--json").json()["kitchen"] == "feature"
    assert cli("show", "--json").json()["name"] == "feature"
    assert cli("merge", "--yes", "--json").json()["into"] == "dev"
    assert "Kitchen: feature" in git(tested, "log", "-1", "--format=%B", "develop")
    git(tested, "checkout", "-q", "-b", "elsewhere")
    for command in ("update", "show", "merge"):
        result = cli(command, "--yes") if command == "merge" else cli(command)
        assert (result.code, result.err) == (
            2,
            "error: No kitchen's branch is checked out.\nhint: Name the kitchen.\n",
        )


def test_gate_the_kitchen_must_contain_its_parents_tip(cli: Cli, tested: Path) -> None:
    assert cli("checkout", "dev").code == 0
    commit(tested, "dev.md", "dev moved on\n")
    result = cli("merge", "feature", "--yes")
    assert result.code == 3 and "kitchen update feature" in result.err


def test_gate_a_passing_run_for_the_exact_head(cli: Cli, tested: Path) -> None:
    commit(tested, "more.md", "untested change\n")
    result = cli("merge", "feature", "--yes")
    assert result.code == 3
    assert "No passing run of feature for its HEAD" in result.err and "kitchen test" in result.err


def test_gate_a_run_of_uncommitted_pipeline_files_does_not_count(cli: Cli, tested: Path) -> None:
    commit(tested, "more.md", "a change tested only with a draft beside it\n")
    (tested / "pipelines" / "shop" / "draft.sql").write_text("select 1;\n")
    run = cli("test", "feature", "--json")
    assert run.code == 0
    assert "tested uncommitted changes (pipelines/shop/draft.sql)" in run.err
    result = cli("merge", "feature", "--yes")
    assert result.code == 3
    latest = f"the latest run, {run.json()['run_id']}, passed at"  # newest, even in the same second
    assert latest in result.err and "with uncommitted changes" in result.err


def test_a_stray_file_outside_the_pipelines_does_not_stop_a_merge(cli: Cli, tested: Path) -> None:
    commit(tested, "more.md", "a change tested beside a stray file\n")
    (tested / "scratch.txt").write_text("my notes, never committed\n")
    run = cli("test", "feature")
    assert run.code == 0 and "uncommitted" not in run.err
    assert cli("merge", "feature", "--yes").code == 0


def test_tests_that_cannot_run_after_the_merge_fail_it_and_say_why(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipeline reading a secret only the feature kitchen has: it passes there, and after
    the merge dev's tests cannot even start. The merge stands; the command fails, saying so."""
    assert cli("create", "feature").code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("feature-only\n"))
    assert cli("secrets", "set", "feature", "api#token").code == 0
    (shop / "pipelines" / "api").mkdir()
    node = "nodes:\n  - {name: call, type: shell, command: 'test -n \"$TOKEN\"', env: {TOKEN: "
    commit(shop, "pipelines/api/pipeline.yaml", node + "\"{{ secret('api#token') }}\"}}\n")
    assert cli("test", "feature").code == 0
    merged = cli("merge", "feature", "--yes")
    assert merged.code == 2 and "Merged feature into dev" in merged.out
    assert "The change landed, but the tests of dev could not run: " in merged.err
    assert "api#token" in merged.err and "hint:" in merged.err
    document = cli("merge", "feature", "--yes", "--json")  # merged already, nothing to test
    assert document.code == 0 and document.json()["post_test"] is None


def test_tests_that_fail_after_the_merge_fail_it_and_say_so(cli: Cli, shop: Path) -> None:
    """A check that passes in the feature kitchen and fails in dev: the merge stands, and the
    command exits 1 saying that dev's tests failed, not with a plain success line."""
    assert cli("create", "feature").code == 0
    (shop / "pipelines" / "where").mkdir()
    query = "select count(*) from probe where '{{ kitchen.name }}' = 'dev'"
    check = f'{{type: sql, query: "{query}", expect: 0}}'
    node = "nodes:\n  - {name: build, type: sql, file: build.sql, tests: [{name: not-dev, check: "
    commit(shop, "pipelines/where/build.sql", "create or replace table probe as select 1 as x;\n")
    commit(shop, "pipelines/where/pipeline.yaml", node + check + "}]}\n")
    assert cli("test", "feature", "--pipeline", "where").code == 0
    merged = cli("merge", "feature", "--yes")
    run = cli("runs", "dev", "--json").json()["runs"][0]
    assert merged.code == 1 and run["status"] == "failed"
    assert "Merged feature into dev" in merged.out
    assert f"error: The change landed, but the tests of dev failed (run {run['id']})." in merged.err
    assert f"`kitchen artifacts dev {run['id']}`" in merged.err


def test_gate_staff_of_the_parent(cli: Cli, tested: Path) -> None:
    edit_config(
        tested, "    branch: develop\n", "    branch: develop\n    staff: [lead@acme.example]\n"
    )
    result = cli("merge", "feature", "--yes")
    assert result.code == 4 and "not staff of kitchen 'dev'" in result.err


def test_gate_approval_for_a_protected_parent(cli: Cli, tested: Path) -> None:
    edit_config(
        tested,
        "    branch: develop\n",
        f"    branch: develop\n    protected: true\n    approvers: [lead@acme.example, {USER}]\n",
    )
    git(tested, "commit", "-qam", "protect dev")  # a team commits its config change
    assert cli("test", "feature").code == 0  # and tests the new HEAD
    unapproved = cli("merge", "feature", "--yes")
    assert unapproved.code == 4 and "--approved-by with one of lead@acme.example" in unapproved.err
    stranger = cli("merge", "feature", "--yes", "--approved-by", "x@acme.example")
    assert stranger.code == 4 and "Its approvers: lead@acme.example" in stranger.err
    own = cli("merge", "feature", "--yes", "--approved-by", USER)
    assert own.code == 4 and "authored commits" in own.err
    approved = cli("merge", "feature", "--yes", "--approved-by", "lead@acme.example")
    assert approved.code == 0, approved.err
    assert "Approved-By: lead@acme.example" in git(tested, "log", "-1", "--format=%B", "develop")


def test_a_protected_parent_without_approvers_says_where_to_list_them(
    cli: Cli, tested: Path
) -> None:
    edit_config(tested, "    branch: develop\n", "    branch: develop\n    protected: true\n")
    git(tested, "commit", "-qam", "protect dev")
    assert cli("test", "feature").code == 0
    for extra in ((), ("--approved-by", "lead@acme.example")):
        result = cli("merge", "feature", "--yes", *extra)
        assert result.code == 4
        assert "dev has no approvers yet" in result.err and "kitchens.dev.approvers" in result.err


def test_gate_one_merge_into_a_parent_at_a_time(cli: Cli, tested: Path) -> None:
    from kitchen.backends.registry import Registry
    from kitchen.backends.warehouse.duckdb import DuckDBWarehouse

    warehouse = DuckDBWarehouse(tested / ".kitchen/warehouse/dev_warehouse.duckdb", "dev")
    Registry(warehouse).lock("dev", "someone@acme.example")
    warehouse.close()
    result = cli("merge", "feature", "--yes", "--wait", "0")
    assert result.code == 3 and "Another merge into dev is in progress by someone" in result.err


def test_merging_across_environments_is_a_promotion(cli: Cli) -> None:
    result = cli("merge", "dev", "--yes")
    assert result.code == 2 and "promotion" in result.err


def test_a_run_vouches_only_for_the_files_it_ran(cli: Cli, shop: Path) -> None:
    """Testing a kitchen from another branch's worktree would record a pass for its HEAD
    without running its files: refused, so no merge gate is passed on that basis."""
    assert cli("create", "feature").code == 0
    commit(shop, "notes.md", "profitability notes\n")
    assert cli("checkout", "dev").code == 0
    result = cli("test", "feature")
    assert result.code == 3 and "kitchen checkout feature" in result.err
    assert cli("runs", "feature", "--json").json()["runs"] == []
