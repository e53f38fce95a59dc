"""A team on one PostgreSQL warehouse and one git remote: two clones merging at once."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import Cli, Result, edit_config, record, run_kitchen
from tests.gitrepo import git


def share(project: Path, tmp_path: Path) -> Path:
    """Give ``project`` a bare remote and return a colleague's clone of it."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(project, "remote", "add", "origin", str(bare))
    edit_config(project, "project: shop\n", "project: shop\ngit: {remote: origin}\n")
    git(project, "commit", "-qam", "share the project")
    git(project, "push", "-q", "origin", "main", "develop")
    clone = tmp_path / "colleague"
    git(tmp_path, "clone", "-q", "--branch", "develop", str(bare), str(clone))
    shutil.copytree(project / ".kitchen/secrets", clone / ".kitchen/secrets")  # their Vault
    return clone


def test_two_merges_into_one_parent_at_once_both_end_merged(
    capsys, pg_project: Path, tmp_path: Path
) -> None:
    assert Cli(capsys, pg_project)("init", "--demo").code == 0
    colleague = share(pg_project, tmp_path)
    work = {"alpha": pg_project, "beta": colleague}
    for name, repo in work.items():
        assert run_kitchen(repo, "create", name).code == 0
        (repo / f"{name}.md").write_text(f"{name}'s change\n")
        git(repo, "add", f"{name}.md")
        git(repo, "commit", "-qm", f"{name}'s change")
        assert run_kitchen(repo, "test", name).code == 0

    merging = {
        name: subprocess.Popen(
            [sys.executable, "-m", "kitchen", "-C", str(repo), "merge", name, "--yes"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, repo in work.items()
    }
    done = {}
    for name, process in merging.items():
        out, err = process.communicate(timeout=120)
        done[name] = record(("merge", name), Result(process.returncode, out, err))
    assert sorted(result.code for result in done.values()) == [0, 3], done
    (late,) = (name for name, result in done.items() if result.code == 3)
    assert f"kitchen update {late}" in done[late].err  # the parent moved: the gate said so

    repo = work[late]
    assert run_kitchen(repo, "update", late).code == 0
    assert run_kitchen(repo, "test", late).code == 0
    assert run_kitchen(repo, "merge", late, "--yes").code == 0
    remote = tmp_path / "remote.git"
    for name in work:
        assert git(remote, "show", f"develop:{name}.md") == f"{name}'s change"
    merges = git(remote, "log", "--format=%s", "--merges", "develop").splitlines()
    assert sorted(m for m in merges if m.startswith("Merge kitchen")) == [
        "Merge kitchen alpha into dev",
        "Merge kitchen beta into dev",
    ]
