"""The one error root and the exit codes it maps to.

Only a ``KitchenError`` is "the user's problem": it carries a message that says what happened
and a hint that says what to do. Anything else that escapes a command is a bug in kitchen.
Each area (config, git, warehouse, ...) has its own class; what the error *means* for the exit
code comes from the meaning class it also derives from, so ``exit_code`` is decided here alone.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of every kitchen command (documented in README.md)."""

    OK = 0
    CHECKS_FAILED = 1
    BAD_INPUT = 2
    PRECONDITION = 3
    NOT_ALLOWED = 4
    UNREACHABLE = 5
    INTERNAL = 70
    CANNOT_RUN = 126  # kitchen run: the tool is there but cannot be run (as env(1) says)
    TOOL_NOT_FOUND = 127  # kitchen run: no such tool
    INTERRUPTED = 130


class KitchenError(Exception):
    """A failure the user can act on: ``message`` says what happened, ``hint`` what to do."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# What an error means: one class per exit code.


class BadInput(KitchenError):
    exit_code = ExitCode.BAD_INPUT


class PreconditionFailed(KitchenError):
    exit_code = ExitCode.PRECONDITION


class NotAllowed(KitchenError):
    exit_code = ExitCode.NOT_ALLOWED


class Unreachable(KitchenError):
    exit_code = ExitCode.UNREACHABLE


class ChecksFailed(KitchenError):
    exit_code = ExitCode.CHECKS_FAILED


class ToolNotFound(KitchenError):
    exit_code = ExitCode.TOOL_NOT_FOUND


class CannotRun(KitchenError):
    exit_code = ExitCode.CANNOT_RUN


# Where an error comes from: one class per area, combined with a meaning where it is raised.


class ConfigError(BadInput):
    """kitchen.yaml is missing, unreadable or invalid."""


class InvalidName(BadInput):
    """A kitchen name breaks the naming rule or is reserved."""


class KitchenNotFound(BadInput):
    """No kitchen of that name exists."""


class GitError(PreconditionFailed):
    """A git operation could not be done in the repository's current state."""


class GitUnreachable(GitError, Unreachable):
    exit_code = ExitCode.UNREACHABLE


class WarehouseError(PreconditionFailed):
    """The warehouse refused an operation; ``reason`` is what the server said."""

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        reason: str = "",
        code: str = "",
        line: int | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.reason = reason or message
        self.code = code  # the SQLSTATE, where the server gave one
        self.line = line  # the statement's line the server pointed at, where it did


class WarehouseUnreachable(WarehouseError, Unreachable):
    exit_code = ExitCode.UNREACHABLE


class SecretsError(BadInput):
    """A secret is missing or the secrets store is unusable."""


class ArtifactsError(PreconditionFailed):
    """The artifact store refused an operation."""


class InjectedFailure(KitchenError):
    """Raised where ``KITCHEN_FAIL_AT`` asks for a failure (a testing aid)."""

    exit_code = ExitCode.PRECONDITION
