"""Folders the user names (`init DIR`, `--download DIR`, `--junit FILE`'s folder): made when
missing, and refused in words when they cannot be."""

from __future__ import annotations

from pathlib import Path

from kitchen.errors import BadInput


def make_folder(path: Path, what: str) -> None:
    """``path`` and its parents, as ``mkdir -p`` makes them; exit 2 saying why not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        in_the_way = isinstance(exc, FileExistsError | NotADirectoryError)
        reason = "a file is in the way" if in_the_way else exc.strerror or str(exc)
        raise BadInput(
            f"Cannot make {what} {path}: {reason}.", hint="Name a folder you may write to."
        ) from None
