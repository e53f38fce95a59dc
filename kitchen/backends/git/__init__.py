"""kitchen's git adapter, the only code that uses GitPython: a repository's branches,
merges, commits, tags and worktrees (repository.py), its history and its remote
(adapter.py)."""

from kitchen.backends.git.adapter import ROLLBACK_TRAILER, Git
from kitchen.backends.git.repository import user_email

__all__ = ["ROLLBACK_TRAILER", "Git", "user_email"]
