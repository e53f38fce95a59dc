"""Secret values this process has resolved, scrubbed from everything it prints or logs.

Every adapter that hands out a secret value remembers it here; the console, the log handler
and the error handler pass their text through ``scrub``.
"""

from __future__ import annotations

import logging

MASK = "***"
MIN_LENGTH = 4  # shorter values would blank out ordinary words
_values: set[str] = set()


def remember(value: str) -> str:
    if len(value) >= MIN_LENGTH:
        _values.add(value)
    return value


def scrub(text: str) -> str:
    for value in sorted(_values, key=len, reverse=True):  # longest first: no partial leftovers
        text = text.replace(value, MASK)
    return text


class Filter(logging.Filter):
    """A logging filter that scrubs each record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True
