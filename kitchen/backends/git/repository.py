"""A git repository as kitchen changes it, through GitPython: branches made, checked out,
moved and deleted, merges with their conflicts, commits and tags, worktrees, and who is
committing. Every git error is mapped to kitchen's ``GitError``, saying what failed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import git
from git.exc import GitCommandError

from kitchen.errors import GitError

FALLBACK_AUTHOR = git.Actor("kitchen", "kitchen@localhost")


@contextlib.contextmanager
def mapped(action: str, hint: str | None = None) -> Iterator[None]:
    """Turn GitPython's errors into a ``GitError`` that says what was being done."""
    try:
        yield
    except GitCommandError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().removeprefix("stderr:").strip()
        if len(detail) > 1 and detail[0] == detail[-1] == "'":  # GitPython quotes it
            detail = detail[1:-1].strip()
        lines = [line.strip() for line in detail.splitlines() if line.strip()]
        reason = lines[0].removeprefix("error: ").removeprefix("fatal: ") if lines else str(exc)
        files = [line for line in lines[1:] if not line.startswith(("Please", "Aborting"))]
        if files:
            reason = f"{reason} {', '.join(files)}"
        ending = "" if reason.endswith((".", "!", "?")) else "."
        raise GitError(f"Could not {action}: {reason}{ending}", hint=hint) from exc


def user_email(folder: Path) -> str | None:
    """git's ``user.email`` as seen from ``folder``: its repository's, else the user's global
    one (before any repository exists, as ``kitchen init`` needs it)."""
    folder = next(path for path in (folder, *folder.parents) if path.is_dir())
    try:
        return git.cmd.Git(folder).config("--get", "user.email").strip() or None
    except GitCommandError:  # exit 1: not set
        return None


class Repository:
    """The local half of ``Git``: what kitchen makes and moves in the repository."""

    def __init__(self, repo: git.Repo) -> None:
        self.repo = repo

    def main_folder(self) -> Path:
        """The main worktree's folder: this one's, unless this is a linked worktree
        (`git worktree add`)."""
        common = Path(self.repo.common_dir).resolve()
        return common.parent if common.name == ".git" else Path(self.repo.working_dir)

    def has_commits(self) -> bool:
        return bool(self.repo.head.is_valid())

    def current_branch(self) -> str | None:
        """The checked-out branch (also when it has no commit yet); None when HEAD is detached."""
        if self.repo.head.is_detached:
            return None
        return self.repo.head.reference.name

    def branch_exists(self, name: str) -> bool:
        return name in {head.name for head in self.repo.heads}

    def create_branch(self, name: str, start: str) -> None:
        """Create ``name`` at ``start`` (a branch or any revision, e.g. ``HEAD``)."""
        with mapped(f"create branch {name!r} from {start!r}"):
            self.repo.git.branch("--no-track", name, start)

    def delete_branch(self, name: str) -> None:
        if self.branch_exists(name):
            with mapped(f"delete branch {name!r}"):
                self.repo.git.branch("-D", name)

    def checkout(self, branch: str) -> None:
        if elsewhere := self.checked_out_elsewhere(branch):
            raise GitError(
                f"{branch} is checked out in another worktree, {elsewhere}.",
                hint=f"Work on it there (cd {elsewhere}), or check out another branch there first.",
            )
        with mapped(f"check out {branch!r}", hint="Commit or stash your changes, then retry."):
            self.repo.git.checkout(branch)

    def checked_out_elsewhere(self, branch: str) -> Path | None:
        """The other worktree of the repository (`git worktree add`) that has ``branch``
        checked out, if one has: git refuses to check it out or delete it here."""
        here, folder = Path(self.repo.working_dir).resolve(), None
        for line in self.repo.git.worktree("list", "--porcelain").splitlines():
            if line.startswith("worktree "):
                folder = Path(line.removeprefix("worktree ")).resolve()
            elif line == f"branch refs/heads/{branch}" and folder != here:
                return folder
        return None

    def is_dirty(self) -> bool:
        return bool(self.repo.is_dirty(untracked_files=False))

    def uncommitted(self, folder: Path) -> list[str]:
        """What differs from HEAD: tracked files changed anywhere, and files in ``folder``
        that are neither committed nor ignored (a stray file elsewhere is not the code run)."""
        root = Path(self.repo.working_tree_dir or ".").resolve()
        inside = os.path.relpath(folder.resolve(), root).replace(os.sep, "/") + "/"
        status = self.repo.git.status("--porcelain", "-z", "--untracked-files=all")
        entries = iter(status.split("\0"))
        paths = []
        for entry in entries:
            code, path = entry[:2], entry[3:]
            if code[:1] in ("R", "C"):
                next(entries, None)  # a rename's second entry is its old path
            if path and (code != "??" or inside == "./" or path.startswith(inside)):
                paths.append(path)
        return paths

    def merging(self) -> bool:
        """A merge is waiting for its conflicts to be resolved."""
        return (Path(self.repo.git_dir) / "MERGE_HEAD").exists()

    def conflicts(self) -> list[str]:
        listed = self.repo.git.diff("--name-only", "--diff-filter=U")
        return [line for line in listed.splitlines() if line]

    def merge(self, branch: str, message: str | None = None) -> list[str]:
        """Merge ``branch`` into the checked-out branch; the conflicted files, if any (the
        merge is then left in progress for the user to resolve)."""
        options = ["-m", message] if message else ["--no-edit"]
        try:
            self.repo.git.merge(*options, branch, env=self.identity())
        except GitCommandError as exc:
            conflicted = self.conflicts()
            if conflicted:
                return conflicted
            with mapped(f"merge {branch!r}"):
                raise exc from None
        return []

    def merge_conflicts(self, base: str, other: str) -> list[str]:
        """The files merging ``other`` into ``base`` would conflict in, touching no worktree."""
        try:
            self.repo.git.merge_tree("--write-tree", "--name-only", base, other)
        except GitCommandError as exc:  # exit 1: the merge would conflict
            lines = (exc.stdout or "").strip().strip("'").splitlines()[1:]
            files = []
            for line in lines:
                if not line.strip():
                    break  # after the file names come git's messages
                files.append(line.strip())
            return files
        return []

    def finish_merge(self) -> None:
        with mapped("finish the merge"):
            self.repo.git.commit("--no-edit", env=self.identity())

    def abort_merge(self) -> None:
        with mapped("abort the merge"):
            self.repo.git.merge("--abort")

    def sha(self, revision: str) -> str:
        with mapped(f"find the commit {revision!r}"):
            return str(self.repo.git.rev_parse("--verify", f"{revision}^{{commit}}"))

    def head_sha(self) -> str:
        """The commit the worktree is on (a branch's tip, or detached)."""
        return self.sha("HEAD")

    def has_tag(self, tag: str) -> bool:
        return tag in self.repo.tags

    def valid_tag(self, tag: str) -> bool:
        """Whether git takes ``tag`` as a tag's name (``git check-ref-format``)."""
        try:
            self.repo.git.check_ref_format(f"refs/tags/{tag}")
        except GitCommandError:
            return False
        return True

    def tag(self, tag: str, message: str, commit: str) -> None:
        with mapped(f"tag {commit[:10]} as {tag!r}"):
            self.repo.git.tag("-a", tag, "-m", message, commit)

    def delete_tag(self, tag: str) -> None:
        with mapped(f"delete the tag {tag!r}"):
            self.repo.git.tag("-d", tag)

    def add_worktree(self, folder: Path, revision: str) -> None:
        """A worktree of its own in ``folder``, detached at ``revision``."""
        with mapped(f"add a worktree at {revision!r}"):
            self.repo.git.worktree("add", "--detach", str(folder), revision)

    def remove_worktree(self, folder: Path) -> None:
        with mapped(f"remove the worktree {folder}"):
            self.repo.git.worktree("remove", "--force", str(folder))

    def tree(self, revision: str) -> str:
        return str(self.repo.commit(revision).tree.hexsha)

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        try:
            self.repo.git.merge_base("--is-ancestor", ancestor, descendant)
        except GitCommandError:
            return False
        return True

    def move_branch(self, branch: str, to: str) -> None:
        """Point ``branch`` at ``to``; the worktree follows when it is checked out."""
        if self.current_branch() == branch:
            with mapped(f"move {branch!r}", hint="Commit or stash your changes, then retry."):
                self.repo.git.reset("--keep", to)
        else:
            self.repo.git.update_ref(f"refs/heads/{branch}", to)

    def commit_tree(self, tree_of: str, parents: Sequence[str], message: str) -> str:
        """A commit holding ``tree_of``'s tree exactly, on ``parents``; no branch moves."""
        options = [option for parent in parents for option in ("-p", parent)]
        with mapped("commit"):
            made: str = self.repo.git.commit_tree(
                self.tree(tree_of), *options, "-m", message, env=self.identity()
            )
        return made

    def user_email(self) -> str | None:
        return user_email(Path(self.repo.working_dir))

    def commit_paths(self, paths: Sequence[str], message: str) -> bool:
        """Commit ``paths`` alone (not whatever else is staged); False if nothing changed.
        A path without changes is left out: git refuses to commit a path it has no file
        under (an empty folder)."""
        paths = [path for path in paths if self.repo.git.status("--porcelain", "--", path)]
        if not paths:
            return False
        with mapped("commit " + ", ".join(paths)):
            self.repo.git.add("--", *paths)
            self.repo.git.commit("-m", message, "--only", "--", *paths, env=self.identity())
        return True

    def identity(self) -> dict[str, str]:
        """The author and committer variables for a commit kitchen makes."""
        author = self._author()
        name, email = author.name or "", author.email or ""
        return {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
        }

    def _author(self) -> git.Actor:
        """The configured identity, or a neutral one so a fresh machine can still commit."""
        with self.repo.config_reader() as reader:
            name = reader.get_value("user", "name", default="")
            email = reader.get_value("user", "email", default="")
        if email:
            return git.Actor(str(name) or str(email), str(email))
        return FALLBACK_AUTHOR
