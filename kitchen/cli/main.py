"""The `kitchen` entry point: run one command, map its errors to exit codes.

Errors are mapped to exit codes here and nowhere else (see kitchen.errors.ExitCode).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

import typer
from rich.markup import escape

from kitchen.cli import (
    changes,
    data,
    diff,
    doctor,
    kitchens,
    lineage,
    metrics,
    pipelines,
    report,
    schedule,
    secrets,
)
from kitchen.cli.app import ENTRY, RAW_ARGS, app
from kitchen.cli.console import Console
from kitchen.errors import BadInput, ExitCode, KitchenError

COMMANDS = (
    kitchens,
    pipelines,
    changes,
    data,
    secrets,
    schedule,
    lineage,
    diff,
    metrics,
    report,
    doctor,
)  # importing them registers their commands on `app`


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code; errors are reported, not raised."""
    args = kitchens.flavoured(list(sys.argv[1:] if argv is None else argv))
    RAW_ARGS.set(tuple(args))  # `kitchen run` needs to see where `--` was
    ENTRY.set(main)
    verbose = "--verbose" in args or "-v" in args
    console = Console(json_mode="--json" in args, verbose=verbose)
    try:
        with _noting_interrupts() as interrupted:
            result = typer.main.get_command(app).main(args, "kitchen", standalone_mode=False)
        if interrupted and result == ExitCode.INTERRUPTED:  # typer made Ctrl-C a silent 130
            console.err.print("Interrupted.")
    except KitchenError as exc:
        if verbose:
            console.err.print_exception()
        console.error(exc)
        return int(exc.exit_code)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        console.err.print("Aborted.")
        return int(ExitCode.INTERRUPTED)
    except typer.TyperException as exc:  # a usage error found while parsing the command line
        context = getattr(exc, "ctx", None)
        command = context.command_path if context else "kitchen"
        formatter = getattr(exc, "format_message", None)
        message = formatter() if formatter else str(exc)
        console.error(BadInput(message, hint=f"See `{command} --help`."))
        return int(ExitCode.BAD_INPUT)
    except KeyboardInterrupt:
        console.err.print("Interrupted.")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:  # anything else is a bug in kitchen, and says so
        if verbose:
            console.err.print_exception()
        else:
            console.err.print(
                f"[red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
                "This is a bug in kitchen. Run again with --verbose for the traceback."
            )
        return int(ExitCode.INTERNAL)
    return result if isinstance(result, int) else 0


@contextmanager
def _noting_interrupts() -> Iterator[list[int]]:
    """Ctrl-C raises KeyboardInterrupt as ever, and is noted in the list yielded."""
    noted: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        noted.append(signum)
        signal.default_int_handler(signum, frame)

    try:
        previous = signal.signal(signal.SIGINT, note)
    except ValueError:  # not the main thread (kitchen called from a library): nothing to note
        yield noted
        return
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


def run(entry: Callable[[Sequence[str] | None], int] = main) -> None:
    sys.exit(entry(None))
