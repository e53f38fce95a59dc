"""Ports (protocols) and their adapters. Drivers are imported only when an adapter connects."""

from __future__ import annotations

from kitchen.errors import ConfigError


def unavailable(port: str, kind: str, environment: str, embedded: str) -> ConfigError:
    """The error for a backend type the config accepts but this version cannot run yet."""
    return ConfigError(
        f"environments.{environment}.{port}: type {kind!r} is not available in this version "
        "of kitchen.",
        hint=f"Use type: {embedded} (the embedded default).",
    )
