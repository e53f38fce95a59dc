"""The `kitchen` command. Each command parses, calls one workflow and renders the result.

Errors are mapped to exit codes here and nowhere else (see kitchen.errors.ExitCode).
Workflows and backends are imported inside the commands so `kitchen --help` stays cheap.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from kitchen import __version__, redaction
from kitchen.cli.console import Console
from kitchen.errors import BadInput, ExitCode, KitchenError

if TYPE_CHECKING:
    from kitchen.project import Project

app = typer.Typer(
    name="kitchen",
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

JsonOption = Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")]
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
    ctx.obj = State(directory=directory, verbose=verbose)


def _state(ctx: typer.Context, json_mode: bool = False) -> State:
    state: State = ctx.obj
    state.console = Console(json_mode=json_mode, verbose=state.verbose)
    return state


def _project(ctx: typer.Context) -> Project:
    from kitchen.project import Project

    project = Project.load(ctx.obj.directory)
    ctx.call_on_close(project.close)
    return project


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[Path | None, typer.Argument(help="Folder to set up (default: .)")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Also load the demo shop data.")] = False,
    json_mode: JsonOption = False,
) -> None:
    """Set up a kitchen project: git, kitchen.yaml and the root kitchens production and dev.

    Safe to run again: it only adds what is missing.

    Example: kitchen init --demo my-analytics
    """
    from kitchen.workflows.init import init as run_init

    state = _state(ctx, json_mode)
    report = run_init(state.directory / (directory or Path(".")), demo, state.console)
    if json_mode:
        state.console.json({"root": str(report.root), "changes": report.changes})
    elif report.changes:
        for change in report.changes:
            state.console.success(change)
        state.console.show(f"Kitchen project ready in {report.root}. Next: kitchen create NAME")
    else:
        state.console.success(f"Nothing to do: {report.root} is already initialised.")


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Kitchen name: lowercase letters, digits, - and _.")],
    parent: Annotated[
        str | None,
        typer.Option(help="Kitchen to branch from (default: the checked-out one, else dev)."),
    ] = None,
    data: Annotated[bool, typer.Option("--data/--no-data", help="Copy the parent's data.")] = True,
    staff: Annotated[
        str | None, typer.Option(help="Comma-separated emails or globs (default: you).")
    ] = None,
    ttl: Annotated[
        str | None, typer.Option(help="Temporary kitchen: expires after e.g. 7d.")
    ] = None,
    checkout: Annotated[
        bool, typer.Option("--checkout/--no-checkout", help="Check out its branch afterwards.")
    ] = True,
    sample: SampleOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Create a kitchen: a branch from its parent, its own schema, and a copy of the data.

    Example: kitchen create profitability --parent dev --ttl 7d --sample 10%
    """
    from kitchen.workflows.create import CreateRequest
    from kitchen.workflows.create import create as run_create

    state = _state(ctx, json_mode)
    people = tuple(who for who in (staff or "").split(",") if who.strip())
    request = CreateRequest(name, parent, data, people, ttl, checkout, sample)
    kitchen = run_create(_project(ctx), request, state.console)
    if json_mode:
        state.console.json(kitchen.to_json())
    else:
        state.console.success(
            f"Kitchen {kitchen.name} is ready: branch {kitchen.branch}, schema {kitchen.schema}."
        )


@app.command(name="list")
def list_(
    ctx: typer.Context,
    tree: Annotated[bool, typer.Option("--tree", help="Show the kitchen tree.")] = False,
    json_mode: JsonOption = False,
) -> None:
    """List kitchens; * marks the checked-out one.

    Example: kitchen list --tree
    """
    from kitchen.cli import render
    from kitchen.workflows.inspect import list_kitchens

    state = _state(ctx, json_mode)
    listing = list_kitchens(_project(ctx))
    for problem in listing.problems:
        state.console.warn(problem.message)
    if json_mode:
        state.console.json(
            {
                "current": listing.current,
                "kitchens": [kitchen.to_json() for kitchen in listing.kitchens],
                "problems": [problem.message for problem in listing.problems],
            }
        )
    else:
        state.console.show(render.kitchen_tree(listing) if tree else render.kitchen_table(listing))


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Kitchen name.")],
    rows: Annotated[int, typer.Option(help="Also show the first N rows of each table.")] = 0,
    table: Annotated[str | None, typer.Option(help="Show rows of this table only.")] = None,
    json_mode: JsonOption = False,
) -> None:
    """Show a kitchen: branch, schema, data (and whether its masking was verified), staff
    and tables.

    Example: kitchen show dev --rows 3 --table customers
    """
    from kitchen.cli import render
    from kitchen.workflows.inspect import show as run_show

    state = _state(ctx, json_mode)
    details = run_show(_project(ctx), name, preview=max(rows, 0), only=table)
    if json_mode:
        state.console.json(render.details_json(details))
    else:
        state.console.show(render.details(details))
        data = details.kitchen.data
        if data is not None and data.source is not None and not data.masked:
            state.console.warn(f"The data in {name} is unmasked: handle it like its source.")


@app.command()
def checkout(
    ctx: typer.Context, name: Annotated[str, typer.Argument(help="Kitchen name.")]
) -> None:
    """Check out a kitchen's branch.

    Example: kitchen checkout profitability
    """
    from kitchen.workflows.inspect import checkout as run_checkout

    state = _state(ctx)
    kitchen = run_checkout(_project(ctx), name)
    state.console.success(f"Switched to kitchen {kitchen.name} (branch {kitchen.branch}).")


@app.command()
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Kitchen name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Delete even with commits not merged into the parent.")
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Delete a kitchen: its schema, its branch and its registry record.

    Also cleans up a kitchen whose create failed half-way.

    Example: kitchen delete profitability --yes
    """
    from kitchen.workflows import delete as workflow

    state = _state(ctx, json_mode)
    project = _project(ctx)
    kitchen = workflow.check(project, name, force)
    if not yes:
        if not sys.stdin.isatty():
            raise BadInput(f"Refusing to delete {name!r} without confirmation.", hint="Pass --yes.")
        question = f"Delete kitchen {name} (schema {kitchen.schema}, branch {kitchen.branch})?"
        if not typer.confirm(question):
            raise typer.Exit(int(ExitCode.PRECONDITION))
    workflow.delete(project, kitchen, state.console)
    if json_mode:
        state.console.json({"deleted": kitchen.to_json()})
    else:
        state.console.success(f"Deleted kitchen {name}.")


@data_app.command("scan")
def data_scan(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="Kitchen to scan (default: the checked-out one).")
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Find columns that look like PII (names and sampled values) and the rule masking each.

    Findings show evidence as counts, never values.

    Example: kitchen data scan production --json
    """
    from kitchen.cli import render
    from kitchen.workflows.data import scan

    state = _state(ctx, json_mode)
    result = scan(_project(ctx), name)
    if json_mode:
        state.console.json(render.scan_json(result))
    else:
        state.console.show(render.scan_table(result))


@data_app.command("refresh")
def data_refresh(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Kitchen whose data to rebuild.")],
    source: Annotated[
        str | None, typer.Option("--from", help="Kitchen to copy from (default: the parent).")
    ] = None,
    sample: SampleOption = None,
    json_mode: JsonOption = False,
) -> None:
    """Rebuild a kitchen's data from its parent (or --from), masked as on create.

    The new tables are built aside and swapped in at once; until then, and after any
    failure, the old data stays. Tables the kitchen made itself are left alone.

    Example: kitchen data refresh profitability --from dev
    """
    from kitchen.cli import render
    from kitchen.workflows.refresh import refresh

    state = _state(ctx, json_mode)
    kitchen = refresh(_project(ctx), name, source, state.console, sample)
    if json_mode:
        state.console.json(kitchen.to_json())
    else:
        state.console.success(f"Refreshed {name}: {render.describe_data(kitchen.data)}.")


@secrets_app.command("list")
def secrets_list(
    ctx: typer.Context,
    name: Annotated[
        str | None, typer.Argument(help="Kitchen (default: the checked-out one).")
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """List the secrets a kitchen sees and where each resolves from; never their values.

    A kitchen's own secrets come first; the rest are its environment's.

    Example: kitchen secrets list profitability
    """
    from kitchen.cli import render
    from kitchen.workflows.secrets import list_secrets

    state = _state(ctx, json_mode)
    listing = list_secrets(_project(ctx), name)
    if json_mode:
        state.console.json(render.secrets_json(listing))
    else:
        state.console.show(render.secrets_table(listing))


@secrets_app.command("set")
def secrets_set(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Kitchen whose own secret to set.")],
    key: Annotated[str, typer.Argument(help="path#field, e.g. warehouse#password.")],
) -> None:
    """Set a secret on the kitchen's own path (staff only). The value is read from standard
    input or a hidden prompt, never from an argument, so it stays out of shell history.

    Example: printf %s "$TOKEN" | kitchen secrets set profitability dbt#token
    """
    from kitchen.workflows.secrets import set_secret

    state = _state(ctx)
    if sys.stdin.isatty():
        value = typer.prompt(f"Value of {key}", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read().removesuffix("\n")
    kitchen = set_secret(_project(ctx), name, key, value)
    state.console.success(f"Set {key} for kitchen {kitchen.name}.")


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run_tool(
    ctx: typer.Context,
    words: Annotated[
        list[str] | None, typer.Argument(help="[NAME] -- COMMAND [ARGS...]", show_default=False)
    ] = None,
) -> None:
    """Run a tool with a kitchen's context: KITCHEN_* variables, its warehouse connection
    (libpq PG* variables with search_path set to its schema, or its DuckDB file) and the
    secrets mapped in environments.<env>.env. The tool's exit code is passed through.

    Example: kitchen run profitability -- psql -c "select count(*) from orders"
    """
    import subprocess

    from kitchen.errors import BadInput
    from kitchen.workflows.run import environment

    raw = RAW_ARGS.get()
    if "--" not in raw:
        raise BadInput("Put the command after --.", hint="kitchen run [NAME] -- COMMAND ARGS...")
    command = list(raw[raw.index("--") + 1 :])
    before = (words or [])[: len(words or []) - len(command)]
    if len(before) > 1 or not command:
        raise BadInput(
            "Give at most one kitchen before -- and a command after it.",
            hint="kitchen run [NAME] -- COMMAND ARGS...",
        )
    project = _project(ctx)
    _, variables = environment(project, before[0] if before else None)
    project.close()  # a DuckDB file can be opened by one process at a time: let the tool have it
    try:
        code = subprocess.call(command, env=variables)
    except FileNotFoundError:
        raise BadInput(
            f"Command not found: {command[0]}.", hint="Check its name and PATH."
        ) from None
    raise typer.Exit(code)


@app.command()
def demo(
    ctx: typer.Context,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo folder afterwards.")] = False,
) -> None:
    """Run the whole kitchen story in a temporary folder, on the embedded default.

    Example: kitchen demo --keep
    """
    from kitchen.cli.demo import run_demo

    state = _state(ctx)
    code = run_demo(state.console, main, keep=keep)
    if code:
        raise typer.Exit(code)


RAW_ARGS: ContextVar[tuple[str, ...]] = ContextVar("kitchen_raw_args", default=())


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code; errors are reported, not raised."""
    args = list(sys.argv[1:] if argv is None else argv)
    RAW_ARGS.set(tuple(args))  # `kitchen run` needs to see where `--` was
    verbose = "--verbose" in args or "-v" in args
    console = Console(json_mode="--json" in args, verbose=verbose)
    try:
        result = typer.main.get_command(app).main(args, "kitchen", standalone_mode=False)
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


def run(entry: Callable[[Sequence[str] | None], int] = main) -> None:
    sys.exit(entry(None))
