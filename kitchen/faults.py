"""Fault injection for testing recovery: ``KITCHEN_FAIL_AT=<step>[:crash]``.

``KITCHEN_FAIL_AT=data`` makes the step named ``data`` fail with an error, as a broken backend
would; ``KITCHEN_FAIL_AT=data:crash`` kills the process there, as a power cut would, so nothing
gets a chance to clean up. Steps of ``kitchen create``: registry, branch, schema, data;
of ``kitchen delete``: schema, branch.
"""

from __future__ import annotations

import os

from kitchen.errors import InjectedFailure

VARIABLE = "KITCHEN_FAIL_AT"
CRASH_EXIT = 99


def checkpoint(step: str) -> None:
    wanted, _, mode = os.environ.get(VARIABLE, "").partition(":")
    if wanted != step:
        return
    if mode == "crash":
        os._exit(CRASH_EXIT)
    raise InjectedFailure(f"Injected failure at step {step!r} ({VARIABLE} is set).")
