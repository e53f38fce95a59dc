"""Files that `kitchen init` writes, rendered from the top-level templates/ folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2


def folder() -> Path:
    """templates/ of a source checkout, or the copy packed inside an installed wheel."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("kitchen's templates folder is missing from this installation")


def render(name: str, **values: Any) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return environment.get_template(name).render(**values)


def text(name: str) -> str:
    return (folder() / name).read_text(encoding="utf-8")
