"""kitchen's git adapter (the only module above GitPython): a repository opened or made,
its history read (logs, changed files, files at a commit, what a branch lacks), and its
remote fetched, followed and pushed to."""

from __future__ import annotations

import contextlib
import io
import os
import re
import tarfile
from collections.abc import Sequence
from pathlib import Path

import git
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from kitchen.backends.git.repository import Repository, mapped
from kitchen.errors import GitError, GitUnreachable, PreconditionFailed

ROLLBACK_TRAILER = "Rollback-To"  # on the commit of a `kitchen rollback`


class Git(Repository):
    @classmethod
    def open(cls, path: Path) -> Git:
        try:
            return cls(git.Repo(path, search_parent_directories=True))
        except (InvalidGitRepositoryError, NoSuchPathError):
            raise GitError(
                f"{path} is not inside a git repository.", hint="Run `kitchen init` there first."
            ) from None

    @classmethod
    def init(cls, path: Path, initial_branch: str) -> Git:
        """Open the repository at ``path``, creating it if there is none."""
        if (path / ".git").exists():
            return cls.open(path)
        with mapped(f"create a git repository in {path}"):
            return cls(git.Repo.init(path, initial_branch=initial_branch))

    def log(self, revisions: str, form: str) -> list[str]:
        """``git log --format=<form> <revisions>``, a line a commit (``%ae%n%an``: two)."""
        with mapped(f"read the commits {revisions}"):
            return str(self.repo.git.log(f"--format={form}", revisions)).splitlines()

    def changed_files(self, base: str, head: str) -> list[str]:
        """The files ``head`` changed since it parted from ``base`` (``base...head``)."""
        with mapped(f"compare {head!r} with {base!r}"):
            return str(self.repo.git.diff("--name-only", f"{base}...{head}")).splitlines()

    def count_not_in(self, branch: str, others: Sequence[str]) -> int:
        """How many commits of ``branch`` none of ``others`` has."""
        with mapped(f"compare {branch!r} with {', '.join(others)}"):
            return int(self.repo.git.rev_list("--count", branch, "--not", *others))

    def branches(self) -> list[str]:
        return [head.name for head in self.repo.heads]

    def remotes(self) -> list[str]:
        return [remote.name for remote in self.repo.remotes]

    def remote_url(self, remote: str) -> str:
        """The remote's URL without any credentials it embeds (for messages)."""
        url = self.repo.git.remote("get-url", remote)
        return re.sub(r"//[^/@]*@", "//", url)

    def fetch(self, remote: str) -> None:
        try:
            self.repo.git.fetch("--quiet", "--prune", "--tags", remote)
        except GitCommandError:
            raise GitUnreachable(
                f"Could not fetch from {remote} ({self.remote_url(remote)}).",
                hint="Check the network and your git credentials, then retry.",
            ) from None

    def follow(self, remote: str, branch: str) -> None:
        """Bring local ``branch`` up to its remote counterpart: create it when missing,
        fast-forward it when behind, keep it when ahead; refuse when the two diverged."""
        theirs = f"refs/remotes/{remote}/{branch}"
        if self.tracking(remote, branch) is None:
            return  # not on the remote (yet)
        if not self.branch_exists(branch):
            self.create_branch(branch, theirs)
        elif self.is_ancestor(branch, theirs):
            self.move_branch(branch, theirs)
        elif not self.is_ancestor(theirs, branch):
            raise PreconditionFailed(
                f"{branch} and {remote}/{branch} have diverged.",
                hint=f"Reconcile them (e.g. `git checkout {branch} && git pull`), then retry.",
            )

    def push(self, remote: str, *refs: str) -> bool:
        """Push ``refs`` together (all or none); False when a branch among them moved on the
        remote meanwhile (told by fetching again, whichever side noticed)."""
        branches = [ref for ref in refs if not ref.startswith("refs/tags/")]
        known = {branch: self.tracking(remote, branch) for branch in branches}
        try:
            self.repo.git.push("--atomic", "--porcelain", remote, *refs)
        except GitCommandError as exc:
            self.fetch(remote)  # unreachable: says so
            if any(self.tracking(remote, branch) != sha for branch, sha in known.items()):
                return False
            said = f"{exc.stdout or ''}\n{exc.stderr or ''}"
            refused = re.search(r"\[(?:remote )?rejected\] \((.*)\)", said)
            reason = refused.group(1) if refused else said.strip().splitlines()[-1]
            raise GitError(f"{remote} refused the push of {', '.join(refs)}: {reason}.") from None
        return True

    def files_at(self, revision: str, folder: str, name: str) -> dict[str, str]:
        """The text of each ``folder/<sub>/name`` at ``revision``, by ``sub``, in order."""
        tree = self.repo.commit(self.sha(revision)).tree
        try:
            subs = (tree / folder).trees
        except KeyError:
            return {}
        found = {}
        for sub in sorted(subs, key=lambda entry: entry.name):
            with contextlib.suppress(KeyError):
                found[sub.name] = (sub / name).data_stream.read().decode("utf-8")
        return found

    def export(self, ref: str, folder: str, into: Path) -> bool:
        """Write ``folder`` as it is at ``ref`` under ``into`` (no worktree, no checkout);
        False where ``ref`` has no such folder."""
        if not self.repo.git.ls_tree("--name-only", ref, "--", folder).strip():
            return False
        packed = io.BytesIO()
        with mapped(f"read {folder} at {ref}"):
            self.repo.archive(packed, ref, path=folder)
        packed.seek(0)
        with tarfile.open(fileobj=packed) as archive:
            archive.extractall(into, filter="data")
        return True

    def delete_remote_branch(self, remote: str, branch: str) -> bool:
        """Delete ``branch`` on ``remote`` if it is where it was last fetched: a colleague's
        push since then is never lost. False when the remote has no such branch."""
        seen = self.tracking(remote, branch)
        if seen is None:
            return False
        lease = f"--force-with-lease=refs/heads/{branch}:{seen}"
        with mapped(f"delete {branch} on {remote}"):
            self.repo.git.push("--porcelain", lease, remote, f":refs/heads/{branch}")
        return True

    def tracking(self, remote: str, branch: str) -> str | None:
        """The commit of ``remote``'s ``branch`` as last fetched; None if it has none."""
        listed = self.repo.git.for_each_ref(
            "--format=%(objectname)", f"refs/remotes/{remote}/{branch}"
        )
        return listed.strip() or None

    def changed_since(self, base: str, folders: Sequence[Path]) -> list[str]:
        """Files under ``folders`` that differ between where ``base`` and HEAD parted and
        the worktree: committed since, or changed and not yet committed."""
        root = Path(self.repo.working_tree_dir or ".").resolve()
        paths = [os.path.relpath(folder.resolve(), root) for folder in folders]
        with mapped(f"compare the worktree with {base!r}"):
            parted = self.repo.git.merge_base(base, "HEAD")
            listed: str = self.repo.git.diff("--name-only", parted, "--", *paths)
            new: str = self.repo.git.ls_files("--others", "--exclude-standard", "--", *paths)
        return sorted({*listed.split(), *new.split()})

    def commits_not_in(self, branch: str, base: str) -> int:
        """How many commits ``branch`` has that ``base`` does not."""
        with mapped(f"compare {branch!r} with {base!r}"):
            return int(self.repo.git.rev_list("--count", f"{base}..{branch}"))

    def before_rollbacks(self, branch: str) -> str:
        """``branch``'s tip with the rollbacks on top of it peeled off (commits with a
        ``Rollback-To`` trailer): production's state of emergency, which the next
        promotion replaces, and not a change for the kitchens below to take."""
        commit = self.repo.commit(branch)
        while f"\n{ROLLBACK_TRAILER}: " in str(commit.message) and commit.parents:
            commit = commit.parents[0]
        return str(commit.hexsha)

    def adds_nothing(self, branch: str, base: str) -> bool:
        """Would merging ``branch`` into ``base`` leave ``base``'s tree as it is? So it does
        when ``base`` has every commit of ``branch``, and when the commits it lacks bring no
        change: a promotion's merge commit on main, whose tree is the dev tree it merged."""
        if not self.commits_not_in(branch, base):
            return True
        try:  # git 2.38 and later; conflicts (exit 1) or an older git: they bring changes
            merged: str = self.repo.git.merge_tree("--write-tree", base, branch)
        except GitCommandError:
            return False
        return merged.split("\n", 1)[0] == self.repo.commit(base).tree.hexsha
