"""Folders and files the user names (`init DIR`, `--download DIR`, `--junit FILE`, `--out
FILE`): made when missing, and refused in words when they cannot be."""

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


def writable(path: Path, what: str) -> None:
    """Refuse a folder where a file is named, and make the file's folder, as pytest's
    --junitxml does: before the work whose result it will hold, not after."""
    if path.is_dir():
        raise BadInput(f"Cannot write {what} to {path}: it is a folder.", hint="Name a file.")
    make_folder(path.parent, f"the folder of {what}")


def write_text(path: Path, text: str, what: str) -> None:
    """``text`` written to the file ``path`` whole: staged beside it and moved in, so a
    reader (a scraper, a browser) never sees half of it; exit 2 saying why not."""
    writable(path, what)
    staged = path.with_name(path.name + ".tmp")
    try:
        staged.write_text(text, encoding="utf-8")
        staged.replace(path)
    except OSError as exc:
        staged.unlink(missing_ok=True)
        raise BadInput(
            f"Cannot write {what} to {path}: {exc.strerror or exc}.",
            hint="Name a file you may write.",
        ) from None
