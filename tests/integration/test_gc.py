"""kitchen gc: expired temporary kitchens go, unmerged work stays unless forced."""

from __future__ import annotations

import subprocess
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Cli, snapshot
from tests.gitrepo import commit, git, share


def expire(shop: Path, *names: str) -> None:
    connection = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    for name in names:
        connection.execute(
            "UPDATE kitchen_meta.kitchens SET expires_at = '2026-01-01T00:00:00+00:00'"
            " WHERE name = ?",
            [name],
        )
    connection.close()


def test_gc_removes_expired_kitchens_and_keeps_unmerged_work(cli: Cli, shop: Path) -> None:
    assert cli("create", "old", "--ttl", "1d", "--no-checkout").code == 0
    assert cli("create", "old-child", "--parent", "old", "--ttl", "1d", "--no-checkout").code == 0
    assert cli("create", "wip", "--ttl", "1d").code == 0
    (shop / "model.sql").write_text("select 1\n")
    subprocess.run(["git", "add", "model.sql"], cwd=shop, check=True)
    subprocess.run(["git", "commit", "-qm", "work"], cwd=shop, check=True)
    assert cli("create", "fresh", "--parent", "dev", "--ttl", "7d", "--no-checkout").code == 0
    expire(shop, "old", "old-child", "wip")

    before = snapshot(shop)
    dry = cli("gc", "--dry-run", "--json").json()
    assert dry["removed"] == ["old-child", "old"] and list(dry["skipped"]) == ["wip"]
    assert "not merged" in dry["skipped"]["wip"]
    assert snapshot(shop) == before  # a dry run touches nothing

    result = cli("gc", "--json")
    assert result.code == 0 and result.json()["removed"] == ["old-child", "old"]
    kept = cli("gc")  # was "✓ No expired kitchen to delete.", over the warning that one was kept
    assert "Nothing to delete: 1 expired kitchen kept." in kept.out
    assert "Kept wip: Branch kitchen/wip has 1 commit not merged" in kept.err
    names = [k["name"] for k in cli("list", "--json").json()["kitchens"]]
    assert "old" not in names and "wip" in names and "fresh" in names

    assert cli("checkout", "dev").code == 0
    assert cli("gc", "--force", "--json").json()["removed"] == ["wip"]
    assert "No expired kitchen." in cli("gc").out


def test_gc_of_many_kitchens_fetches_once_and_deletes_them_on_the_remote(
    cli: Cli, shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each expired kitchen fetched the remote again before it was judged: 500 fetches for
    500 kitchens. One fetch; every kitchen still judged as the remote has it."""
    remote = tmp_path / "remote.git"
    share(shop, remote)
    names = [f"old{number}" for number in range(6)]
    for name in names:
        assert cli("create", name, "--no-data", "--no-checkout", "--ttl", "1d").code == 0
        git(shop, "push", "-q", "origin", f"kitchen/{name}")
    pushed = git(shop, "rev-parse", "kitchen/old5")
    colleague = tmp_path / "colleague"  # pushes work to old5 that this clone has not seen
    git(tmp_path, "clone", "-q", "--branch", "kitchen/old5", str(remote), str(colleague))
    commit(colleague, "theirs.md", "unmerged work\n")
    git(colleague, "push", "-q", "origin", "kitchen/old5")
    expire(shop, *names)

    trace = tmp_path / "git-trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))
    result = cli("gc", "--json")
    monkeypatch.delenv("GIT_TRACE")
    assert result.code == 0, result.err
    assert sorted(result.json()["removed"]) == names[:5]
    assert "1 commit not merged" in result.json()["skipped"]["old5"]  # seen through the fetch
    fetches = [line for line in trace.read_text().splitlines() if "built-in: git fetch" in line]
    assert len(fetches) == 1
    assert git(remote, "branch", "--list", "kitchen/*").split() == ["kitchen/old5"]
    assert git(remote, "rev-parse", "kitchen/old5") != pushed  # the colleague's work is kept
