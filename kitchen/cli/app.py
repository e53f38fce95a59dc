"""The `kitchen` typer application and what its commands share: options, state, project.

Command modules (kitchens, data, secrets) register on these apps; they import workflows
inside each command so `kitchen --help` stays cheap.
"""

import logging
import sys
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core

from kitchen import __version__, redaction
from kitchen.cli.console import Console
from kitchen.errors import ExitCode

if TYPE_CHECKING:
    from kitchen.project import Project

# `kitchen --help` lists the commands in the order of a kitchen's life, whatever module
# registers them; a command left out of HELP_ORDER comes after these.
HELP_ORDER = [
    "init",
    "create",
    "list",
    "show",
    "staff",
    "checkout",
    "update",
    "test",
    "runs",
    "report",
    "dashboard",
    "lineage",
    "diff",
    "merge",
    "promote",
    "rollback",
    "releases",
    "delete",
    "gc",
    "log",
    "artifacts",
    "metrics",
    "run",
    "doctor",
    "demo",
]


class _Commands(typer.core.TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:  # typer's own click Context
        known = super().list_commands(ctx)
        place = {name: index for index, name in enumerate(HELP_ORDER)}
        return sorted(known, key=lambda name: place.get(name, len(place)))


app = typer.Typer(
    name="kitchen",
    cls=_Commands,
    help="Self-service DataOps kitchens: a git branch, a warehouse schema with test data, "
    "credentials and pipelines for every piece of work.\n\n"
    "Example: kitchen create profitability --ttl 7d",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

data_app = typer.Typer(
    help="The data in kitchens: PII scans and refreshes.\n\nExample: kitchen data scan production",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")
secrets_app = typer.Typer(
    help="Secrets as kitchens see them, from their release environment's vault.\n\n"
    "Example: kitchen secrets list profitability",
    no_args_is_help=True,
)
app.add_typer(secrets_app, name="secrets")
schedule_app = typer.Typer(
    help="Pipelines' schedules: declared with the code, enabled per kitchen, run when due by "
    "the scheduler you already have (docs/schedules.md).\n\n"
    "Example: kitchen schedule enable production shop.weekly",
    no_args_is_help=True,
)
app.add_typer(schedule_app, name="schedule")

JsonOption = Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
WaitOption = Annotated[
    float,
    typer.Option(
        help="Seconds to wait for another merge into the same kitchen to finish (0: refuse).",
        min=0,
        metavar="SECONDS",
    ),
]
LimitOption = Annotated[
    int,
    typer.Option("--limit", "-n", min=0, metavar="N", help="Show the newest N (0: all of them)."),
]
CurrentKitchen = Annotated[
    str | None, typer.Argument(metavar="NAME", help="Kitchen (default: the checked-out one).")
]
SampleOption = Annotated[
    str | None,
    typer.Option(
        help="Sample each table: '10%', a row count or 'all' (FK-consistent; default: "
        "data.sample where data leaves its environment, else all)."
    ),
]


@dataclass
class State:
    directory: Path
    verbose: bool
    console: Console = field(default_factory=Console)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kitchen {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    directory: Annotated[
        Path, typer.Option("-C", "--directory", help="Run as if started in this folder.")
    ] = Path("."),
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logs and tracebacks on stderr.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()
    if verbose:
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        for handler in logging.getLogger().handlers:
            handler.addFilter(redaction.Filter())
        for chatty in ("botocore", "boto3", "s3transfer"):  # each request's signing, hooks
            logging.getLogger(chatty).setLevel(logging.INFO)
    ctx.obj = State(directory=directory, verbose=verbose)


def state_for(ctx: typer.Context, json_mode: bool = False) -> State:
    state: State = ctx.obj
    state.console = Console(json_mode=json_mode, verbose=state.verbose)
    return state


def named_kitchen(project: "Project", name: str | None) -> str:
    """The kitchen named, or the one whose branch is checked out."""
    return name if name is not None else project.current_or_named(None).name


def confirm(yes: bool, question: str) -> None:
    """Ask on a terminal unless --yes; scripts and CI (no terminal) are never asked."""
    if not yes and sys.stdin.isatty() and not typer.confirm(question):
        raise typer.Exit(int(ExitCode.PRECONDITION))


def project_for(ctx: typer.Context) -> "Project":
    """The project, its files first moved from an earlier release's layout (said)."""
    from kitchen.project import Project
    from kitchen.workflows import layout

    project = Project.load(ctx.obj.directory)
    if moved := layout.upgrade(project):
        project = Project.load(ctx.obj.directory)
        for done in moved:
            ctx.obj.console.warn(f"{done}.")
    ctx.call_on_close(project.close)
    return project


RAW_ARGS: ContextVar[tuple[str, ...]] = ContextVar("kitchen_raw_args", default=())
# the entry point running the command line (kitchen.cli.main.main), for `kitchen demo` to run
# its steps through, handed down rather than imported (it imports every command module)
ENTRY: ContextVar[Callable[[Sequence[str]], int]] = ContextVar("kitchen_entry")
