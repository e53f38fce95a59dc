"""HTML pages from templates/report/: escaped by default, one stylesheet inlined, no script,
so a page opens from a local file or an artifact store with no network."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import jinja2

from kitchen import templates, text


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates.folder() / "report"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["when"] = when
    environment.filters["duration"] = duration
    environment.filters["number"] = number
    return environment


def render(name: str, **values: Any) -> str:
    return _environment().get_template(name).render(**values)


def when(moment: str | None) -> str:
    """An ISO time as a person reads it: ``2026-12-04 01:20 UTC``."""
    if not moment:
        return ""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    zone = parsed.tzname() or ""
    return parsed.strftime("%Y-%m-%d %H:%M") + (f" {zone}" if zone else "")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def number(value: float | None) -> str:
    """A check's value as its message says it: ``4,000``, ``8089.7``, nothing for none."""
    return "" if value is None else text.number(float(value))
