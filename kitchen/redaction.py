"""Secret values this process has resolved, scrubbed from everything it prints or logs.

Every adapter that hands out a secret value remembers it here; the console, the log handler,
the error handler, JSON documents, JUnit files, run reports and notifications pass their text
through ``scrub`` before they escape or cut it (``cleaned`` for documents), and once more
after: a value is remembered as each of those channels escapes it too (JSON with and without
``\\uXXXX``, XML text and attributes), so text escaped elsewhere is scrubbed as well.

A value of at least ``SHORT`` characters is scrubbed wherever it occurs. A shorter one (a
port, a PIN) only where it stands alone, not inside a longer word or number: scrubbed inside
words it would blank out ordinary output. ``kitchen secrets set`` refuses to store one.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

MASK = "***"
SHORT = 8
_ATTRIBUTE = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#09;"}


class _Known:
    """The secrets remembered, and the pattern that finds them all (made when next used)."""

    def __init__(self) -> None:
        self.anywhere: set[str] = set()
        self.alone: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str) -> None:
        (self.anywhere if len(value) >= SHORT else self.alone).update(_spellings(value))
        self._pattern = None

    @property
    def pattern(self) -> re.Pattern[str] | None:
        if self._pattern is None and (self.anywhere or self.alone):
            # longest first: no partial leftovers of a value that holds another
            anywhere = [re.escape(v) for v in sorted(self.anywhere, key=len, reverse=True)]
            alone = [
                rf"(?<!\w){re.escape(v)}(?!\w)" for v in sorted(self.alone, key=len, reverse=True)
            ]
            self._pattern = re.compile("|".join(anywhere + alone))
        return self._pattern


_known = _Known()


def remember(value: str) -> str:
    """Note ``value`` (as each channel spells it) as a secret; returns it unchanged."""
    if value:
        _known.add(value)
    return value


def scrub(text: str) -> str:
    pattern = _known.pattern
    return text if pattern is None else pattern.sub(MASK, text)


def cleaned(document: Any) -> Any:
    """``document`` (JSON-like: dicts, lists, scalars; other objects as their text) with
    every string scrubbed, keys too: scrubbed before it is escaped as JSON."""
    if isinstance(document, str):
        return scrub(document)
    if isinstance(document, dict):
        return {cleaned(key): cleaned(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [cleaned(item) for item in document]
    if document is None or isinstance(document, bool | int | float):
        return document
    return scrub(str(document))


def _spellings(value: str) -> set[str]:
    from xml.sax.saxutils import escape  # with urllib and http: not for a command without secrets

    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        escape(value),
        escape(value, _ATTRIBUTE),
    }


class Filter(logging.Filter):
    """A logging filter that scrubs each record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True
