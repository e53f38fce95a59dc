"""Jinja2 for pipeline files: `kitchen`, `vars` and `secret()`, in a sandbox.

The sandbox has no access to the process (no os, no attributes starting with '_'), and an
undefined name is an error, never an empty string.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from kitchen.errors import ConfigError
from kitchen.names import did_you_mean

_environment = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
)


def render(text: str, source: Path, context: dict[str, Any], secret: Callable[[str], str]) -> str:
    try:
        return _environment.from_string(text).render(**context, secret=secret)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{source}:{exc.lineno}: template error: {exc.message}.") from None
    except jinja2.UndefinedError as exc:
        raise _undefined(exc, source, context) from None
    except jinja2.exceptions.SecurityError as exc:
        raise ConfigError(f"{source}: template not allowed: {str(exc).rstrip('.')}.") from None
    except TypeError as exc:
        if "no loader" not in str(exc):
            raise
        raise ConfigError(
            f"{source}: template not allowed: include, import and extend read no other file."
        ) from None


def _undefined(exc: jinja2.UndefinedError, source: Path, context: dict[str, Any]) -> ConfigError:
    """Which name is missing, on which line, and the likely one meant: Jinja says only
    "'dict object' has no attribute 'hihg_margin'"."""
    line = next(
        (
            frame.lineno
            for frame in reversed(traceback.extract_tb(exc.__traceback__))
            if frame.filename == "<template>"
        ),
        None,
    )
    where = f"{source}:{line}" if line else str(source)
    hint = "Define it under vars (the pipeline's, the environment's, or --var KEY=VALUE)."
    message = exc.message or ""
    if attribute := re.fullmatch(r"'dict object' has no attribute '(.+)'", message):
        known = [name for scope in ("vars", "kitchen") for name in context.get(scope, {})]
        guess = did_you_mean(attribute[1], known)
        return ConfigError(f"{where}: {attribute[1]!r} is not in vars or kitchen.{guess}", hint)
    if top := re.fullmatch(r"'(.+)' is undefined", message):
        return ConfigError(
            f"{where}: {top[1]!r} is not defined; templates know vars, kitchen and secret().",
            hint,
        )
    return ConfigError(f"{where}: template error: {message}.", hint)
