"""A kitchen project: its config, its git repository and the backends of each environment
(environments.py), and what commands ask of it: its kitchens, declared and recorded, who
may act on one, whether the worktree is clean, and the audit trail."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from kitchen import config, names
from kitchen.backends.factory import Backends
from kitchen.environments import Environments
from kitchen.errors import (
    BadInput,
    ConfigError,
    ExitCode,
    KitchenError,
    KitchenNotFound,
    NotAllowed,
    PreconditionFailed,
)
from kitchen.model import Event, Kitchen, Status, utcnow


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds a kitchen.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / config.CONFIG_FILE).is_file():
            return folder
    raise ConfigError(
        f"No {config.CONFIG_FILE} in {start} or any folder above it.",
        hint="Run `kitchen init` to set up a kitchen project here.",
    )


@dataclass
class Trail:
    """A page of the audit trail of every environment this user can reach."""

    events: list[Event]
    total: int  # of all pages
    problems: dict[str, KitchenError]  # environment: why its trail could not be read
    before: str | None  # where the next (older) page starts; None: this is the last


class Project(Environments):
    @classmethod
    def load(cls, start: Path, backends: Backends | None = None) -> Project:
        root = find_root(start)
        return cls(root, config.load(root / config.CONFIG_FILE), backends)

    def require_staff(self, kitchen: Kitchen, action: str) -> None:
        """Staff patterns are globs (``*@acme.io``); an empty staff list admits everyone."""
        if kitchen.staff and not any(fnmatchcase(self.user, who) for who in kitchen.staff):
            raise NotAllowed(
                f"{self.user} is not staff of kitchen {kitchen.name!r} and cannot {action}.",
                hint=f"Ask one of {', '.join(kitchen.staff)} to add you to its staff"
                + (
                    f" (kitchens.{kitchen.name}.staff in kitchen.yaml)."
                    if kitchen.root
                    else f": `kitchen staff {kitchen.name} --add {self.user}`."
                ),
            )

    def require_clean(self, then: str, *, changes: bool = True) -> None:
        """Refuse (exit 3) while an update's merge is unfinished in the worktree, and, with
        ``changes``, while it has uncommitted changes; ``then``: what to do afterwards."""
        git = self.git
        if git.merging():
            conflicts = git.conflicts()
            branch = git.current_branch()
            raise PreconditionFailed(
                "A merge is in progress"
                + (f" on {branch}" if branch else "")
                + (f", with conflicts in: {', '.join(conflicts)}" if conflicts else "")
                + ".",
                hint="Resolve the conflicts, `git add` the files and run `kitchen update "
                "--continue` (or give it up: `kitchen update --abort`)"
                + ("." if then == "update" else f"; then {then}."),
            )
        if changes and git.is_dirty():
            raise PreconditionFailed(
                "The worktree has uncommitted changes.", hint=f"Commit or stash them, then {then}."
            )

    def root_kitchen(self, name: str) -> Kitchen:
        """A root kitchen as kitchen.yaml declares it (status not yet known)."""
        declared = self.config.kitchens[name]
        return Kitchen(
            name=name,
            parent=declared.parent,
            environment=declared.environment,
            branch=declared.branch,
            schema=self.config.root_schema(name),
            status=Status.MISSING,
            protected=declared.protected,
            root=True,
            staff=list(declared.staff),
            approvers=list(declared.approvers),
        )

    def parent_tip(self, kitchen: Kitchen, parent_branch: str) -> str:
        """The commit of its parent's branch a kitchen must contain. Across release
        environments (dev below production) the rollbacks on top are left out: production's
        emergency state, which dev's next release replaces, not a change for dev to take (merged
        down, it would revert the rolled-back work in dev). A kitchen in the parent's own
        environment (a hotfix kitchen under production) takes them as any change."""
        parent = self.kitchen(kitchen.parent or "")
        if parent.environment == kitchen.environment:
            return self.git.sha(parent_branch)
        return self.git.before_rollbacks(parent_branch)

    def kitchens(
        self, after: str | None = None, limit: int = 0
    ) -> tuple[list[Kitchen], dict[str, KitchenError]]:
        """The kitchens of every environment by name: those named after ``after`` where
        given, the first ``limit`` (0: all). The environments whose registry could not be
        read are reported (by name), not fatal."""
        found: dict[str, Kitchen] = {
            name: self.root_kitchen(name)
            for name in self.config.kitchens
            if after is None or name > after
        }
        problems: dict[str, KitchenError] = {}
        for environment in self.config.environments:
            try:
                recorded = self.registry(environment).all(after, limit)
            except KitchenError as exc:
                problems[environment] = exc
                for kitchen in found.values():
                    if kitchen.environment == environment:
                        kitchen.status = Status.UNREACHABLE
                continue
            for kitchen in recorded:
                found[kitchen.name] = self._merge_declared(kitchen)
        listed = sorted(found.values(), key=lambda k: k.name)
        return (listed[:limit] if limit else listed), problems

    def kitchen(self, name: str) -> Kitchen:
        if name in self.config.kitchens:
            declared = self.root_kitchen(name)
            recorded = self.registry(declared.environment).get(name)
            return self._merge_declared(recorded) if recorded else declared
        unreached: list[KitchenError] = []
        for environment in self.config.environments:
            try:
                recorded = self.registry(environment).get(name)
            except KitchenError as exc:  # production, to a developer without its secrets
                unreached.append(exc)
                continue
            if recorded is not None:
                return recorded
        names.validate(name)
        down = [exc for exc in unreached if exc.exit_code == ExitCode.UNREACHABLE]
        if down:
            raise down[0]  # it may well be there: say what is down, not that it is missing
        kitchens, _ = self.kitchens()
        guess = names.did_you_mean(name, [kitchen.name for kitchen in kitchens])
        hint = "See `kitchen list`."
        if unreached:
            hint = f"It may be where you cannot look now: {unreached[0].message}"
        raise KitchenNotFound(f"No kitchen named {name!r}.{guess}", hint=hint)

    def _merge_declared(self, recorded: Kitchen) -> Kitchen:
        """For root kitchens kitchen.yaml is the truth; the registry adds status and history."""
        if recorded.name not in self.config.kitchens:
            return recorded
        declared = self.root_kitchen(recorded.name)
        declared.status = recorded.status
        declared.created_by = recorded.created_by
        declared.created_at = recorded.created_at
        declared.data = recorded.data
        declared.error = recorded.error
        return declared

    def audit(self, kitchen: Kitchen, action: str, result: str = "ok", **details: object) -> None:
        """Append to the audit trail of the kitchen's environment: who did what, when."""
        event = Event(utcnow(), self.user, action, kitchen.name, result, details)
        self.registry(kitchen.environment).record(event)

    def events(
        self, kitchen: str | None = None, limit: int = 0, before: str | None = None
    ) -> Trail:
        """The newest ``limit`` events (0: all), those ``before`` a time where given, of the
        audit trail of every environment this user can reach, newest first; the
        environments that could not be read are reported (by name), not fatal."""
        found: list[Event] = []
        total = 0
        problems: dict[str, KitchenError] = {}
        reached = []
        for environment in self.config.environments:
            try:
                registry = self.registry(environment)
                found += registry.events(kitchen, limit, before)
                total += registry.count("events", kitchen) if limit else 0
                reached.append(registry)
            except KitchenError as exc:
                problems[environment] = exc
        newest = sorted(found, key=lambda event: event.at, reverse=True)
        if not limit or len(newest) <= limit:
            shown = newest
        else:  # never through events of one time: the next page starts before it
            last = newest[limit - 1].at
            shown = [event for event in newest if event.at >= last]
        older = bool(limit and shown) and any(
            registry.events(kitchen, 1, shown[-1].at) for registry in reached
        )
        return Trail(
            shown,
            total if limit else len(found),
            problems,
            shown[-1].at if older else None,
        )

    def template_context(
        self, kitchen: Kitchen, defaults: dict[str, Any], overrides: dict[str, Any]
    ) -> dict[str, Any]:
        """What a pipeline's templates see in ``kitchen``: its names, and ``vars``, layered
        pipeline ``defaults`` < environment < root kitchen < ``overrides`` (--var)."""
        layered = dict(defaults)
        layered.update(self.environment(kitchen.environment).vars)
        if kitchen.name in self.config.kitchens:
            layered.update(self.config.kitchens[kitchen.name].vars)
        layered.update(overrides)
        return {
            "kitchen": {
                "name": kitchen.name,
                "schema": kitchen.schema,
                "branch": kitchen.branch,
                "environment": kitchen.environment,
            },
            "vars": layered,
        }

    def current_or_named(self, name: str | None) -> Kitchen:
        """The named kitchen, or the one whose branch is checked out."""
        if name is not None:
            return self.kitchen(name)
        kitchens, problems = self.kitchens()
        current = self.checked_out(kitchens)
        if current is None:
            down = [exc for exc in problems.values() if exc.exit_code == ExitCode.UNREACHABLE]
            if down:
                raise down[0]  # its kitchen may well be there: say what is down
            raise BadInput("No kitchen's branch is checked out.", hint="Name the kitchen.")
        return current

    def checked_out(self, kitchens: list[Kitchen] | None = None) -> Kitchen | None:
        """The kitchen whose branch is checked out: among ``kitchens`` where given, else
        looked up by its branch (a kitchen's branch is the prefix and its name)."""
        branch = self.git.current_branch()
        if kitchens is not None:
            return next((kitchen for kitchen in kitchens if kitchen.branch == branch), None)
        for name in self.config.kitchens:
            if self.root_kitchen(name).branch == branch:
                return self.kitchen(name)
        prefix = self.config.git.branch_prefix
        if branch is None or not branch.startswith(prefix):
            return None
        for environment in self.config.environments:
            with contextlib.suppress(KitchenError):  # unreachable: not the one checked out
                found = self.registry(environment).get(branch.removeprefix(prefix))
                if found is not None and found.branch == branch:
                    return found
        return None
