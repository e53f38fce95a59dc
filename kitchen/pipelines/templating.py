"""Jinja2 for pipeline files: `kitchen`, `vars` and `secret()`, in a sandbox.

The sandbox has no access to the process (no os, no attributes starting with '_'), and an
undefined name is an error, never an empty string.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from kitchen.errors import ConfigError

_environment = SandboxedEnvironment(
    undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
)


def render(text: str, source: Path, context: dict[str, Any], secret: Callable[[str], str]) -> str:
    try:
        return _environment.from_string(text).render(**context, secret=secret)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{source}:{exc.lineno}: template error: {exc.message}.") from None
    except jinja2.UndefinedError as exc:
        raise ConfigError(
            f"{source}: template error: {exc.message}.",
            hint="Define it under vars (pipeline, environment or --var k=v).",
        ) from None
    except jinja2.exceptions.SecurityError as exc:
        raise ConfigError(f"{source}: template not allowed: {str(exc).rstrip('.')}.") from None
    except TypeError as exc:
        if "no loader" not in str(exc):
            raise
        raise ConfigError(
            f"{source}: template not allowed: include, import and extend read no other file."
        ) from None
