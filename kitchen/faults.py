"""Fault injection for testing recovery: ``KITCHEN_FAIL_AT=<command>.<step>[:crash]``.

``KITCHEN_FAIL_AT=create.schema`` makes create fail with an error just after its schema step,
as a broken backend would; ``KITCHEN_FAIL_AT=create.schema:crash`` kills the process there, as
a power cut or ``kill -9`` would, so nothing gets a chance to clean up. Every step a command
records in the journal (kitchen/journal.py) is such a point, named ``<command>.<step>``;
``copy.table`` is after each table copied, ``gc.kitchen`` after each kitchen gc deleted.
``<step>:pause`` stops there and waits, for a test to kill the process from outside.
"""

from __future__ import annotations

import os
import sys
import time

from kitchen.errors import InjectedFailure

VARIABLE = "KITCHEN_FAIL_AT"
CRASH_EXIT = 99


def checkpoint(step: str) -> None:
    wanted, _, mode = os.environ.get(VARIABLE, "").partition(":")
    if wanted != step:
        return
    if mode == "crash":
        os._exit(CRASH_EXIT)
    if mode == "pause":  # for a real `kill -9` from outside, at a known point
        sys.stderr.write(f"kitchen: paused at {step} ({VARIABLE})\n")
        sys.stderr.flush()
        while True:
            time.sleep(60)
    raise InjectedFailure(f"Injected failure at step {step!r} ({VARIABLE} is set).")
