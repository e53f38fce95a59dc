"""Real git for the tests: run it, commit with it, share a project through a bare remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import edit_config


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit(repo: Path, path: str, text: str, message: str | None = None) -> str:
    """Write ``path`` and commit it alone; the new HEAD."""
    (repo / path).write_text(text)
    git(repo, "add", path)
    git(repo, "commit", "-qm", message or f"change {path}")
    return git(repo, "rev-parse", "HEAD")


def share(shop: Path, bare: Path) -> None:
    """Give the demo shop a bare remote `origin`, configured on production's branch and
    merged down to dev, as a team would: kitchen.yaml is read from the checked-out branch,
    so every branch must say it."""
    git(bare.parent, "init", "-q", "--bare", str(bare))
    git(shop, "remote", "add", "origin", str(bare))
    git(shop, "checkout", "-q", "main")
    edit_config(shop, "remote: null", "remote: origin")
    git(shop, "commit", "-qam", "share the project")
    git(shop, "checkout", "-q", "develop")
    git(shop, "merge", "-q", "--no-edit", "main")
    git(shop, "push", "-q", "origin", "main", "develop")
