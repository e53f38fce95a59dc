"""All human output: rich on stderr for progress and messages, stdout for results and JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console as RichConsole
from rich.console import RenderableType
from rich.markup import escape

from kitchen import redaction
from kitchen.errors import KitchenError
from kitchen.reporting import Advance


class Scrubbed:
    """A text stream that passes everything written through ``redaction.scrub``."""

    def __init__(self, stream: Callable[[], TextIO]) -> None:
        self._stream = stream  # looked up on each write, so test capture still sees it

    def write(self, text: str) -> int:
        return self._stream().write(redaction.scrub(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream(), name)


class Console:
    """The one place that prints. With ``json_mode`` stdout carries JSON and nothing else.
    Every secret value this process resolved is scrubbed from what it prints."""

    def __init__(self, json_mode: bool = False, verbose: bool = False) -> None:
        self.json_mode = json_mode
        self.verbose = verbose
        stdout, stderr = Scrubbed(lambda: sys.stdout), Scrubbed(lambda: sys.stderr)
        self.out = RichConsole(file=stdout, highlight=False, soft_wrap=False)  # type: ignore[arg-type]
        self.err = RichConsole(file=stderr, highlight=False, soft_wrap=True)  # type: ignore[arg-type]

    # Reporter protocol (used by workflows)

    def step(self, message: str) -> None:
        self.err.print(f"[dim]•[/] {escape(message)}")

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/] {escape(message)}")

    @contextmanager
    def progress(self, description: str, total: int) -> Iterator[Advance]:
        if not self.err.is_terminal:  # logs and CI: no bar, not even its closing newline
            yield lambda amount: None
            return
        from rich.progress import (  # only where a bar is drawn: not for --help
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
        )
        with bar:
            task = bar.add_task(escape(description), total=total)
            yield lambda amount: bar.advance(task, amount)

    # results

    def show(self, renderable: RenderableType) -> None:
        if not self.json_mode:
            self.out.print(renderable)

    def success(self, message: str) -> None:
        if not self.json_mode:
            self.out.print(f"[green]✓[/] {escape(message)}")

    def json(self, document: Any) -> None:
        text = json.dumps(redaction.cleaned(document), indent=2, default=str)
        sys.stdout.write(redaction.scrub(text) + "\n")
        sys.stdout.flush()

    def error(self, exc: KitchenError) -> None:
        self.err.print(f"[red]error:[/] {escape(exc.message)}")
        if exc.hint:
            self.err.print(f"[dim]hint:[/] {escape(exc.hint)}")
        if self.json_mode:
            kind = type(exc).__name__
            self.json(
                {
                    "error": {
                        "type": kind,
                        "message": exc.message,
                        "hint": exc.hint,
                        "exit_code": int(exc.exit_code),
                    }
                }
            )
