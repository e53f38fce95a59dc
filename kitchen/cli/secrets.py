"""kitchen secrets list/set, and kitchen run with a kitchen's credentials."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from kitchen.cli.app import (
    RAW_ARGS,
    CurrentKitchen,
    JsonOption,
    app,
    project_for,
    secrets_app,
    state_for,
)


@secrets_app.command("list")
def secrets_list(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    json_mode: JsonOption = False,
) -> None:
    """List the secrets a kitchen sees and where each resolves from; never their values.

    A kitchen's own secrets come first; the rest are its environment's.

    Example: kitchen secrets list profitability
    """
    from kitchen.cli import listings
    from kitchen.workflows.secrets import list_secrets

    state = state_for(ctx, json_mode)
    listing = list_secrets(project_for(ctx), name)
    if json_mode:
        state.console.json(listings.secrets_json(listing))
    else:
        state.console.show(listings.secrets_table(listing))


@secrets_app.command("set")
def secrets_set(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Kitchen whose own secret to set.")],
    key: Annotated[str, typer.Argument(metavar="KEY", help="path#field, e.g. warehouse#password.")],
) -> None:
    """Set a secret on the kitchen's own path (staff only). The value is read from standard
    input or a hidden prompt, never from an argument, so it stays out of shell history.

    Example: printf %s "$TOKEN" | kitchen secrets set profitability dbt#token
    """
    from kitchen.workflows.secrets import set_secret, settable

    state = state_for(ctx)
    project = project_for(ctx)
    kitchen = settable(project, name, key)  # refused before any value is asked for
    if sys.stdin.isatty():
        value = typer.prompt(f"Value of {key}", hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.read().removesuffix("\n")
    set_secret(project, kitchen, key, value)
    state.console.success(f"Set {key} for kitchen {kitchen.name}.")


@app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run_tool(
    ctx: typer.Context,
    words: Annotated[
        list[str] | None,
        typer.Argument(
            help="[NAME] -- COMMAND [ARGS...]: the kitchen (default: the checked-out one), "
            "then the tool and its arguments.",
            show_default=False,
        ),
    ] = None,
    pipeline: Annotated[
        str | None,
        typer.Option(help="Run in this pipeline's dbt project, with kitchen's dbt profile."),
    ] = None,
) -> None:
    """Run a tool with a kitchen's context: KITCHEN_* variables, its warehouse connection
    (libpq PG* variables with search_path set to its schema, or its DuckDB file) and the
    secrets mapped in environments.<env>.env. The tool's exit code is passed through. In a
    dbt pipeline's folder, or with --pipeline, dbt gets the profile `kitchen test` gives it
    and runs in the dbt project.

    Example: kitchen run profitability --pipeline shop -- dbt seed
    """
    import signal
    import subprocess

    from kitchen.errors import BadInput, CannotRun, ToolNotFound
    from kitchen.pipelines import dbt
    from kitchen.workflows.run import dbt_project, environment

    raw = RAW_ARGS.get()
    if "--" not in raw:
        raise BadInput("Put the command after --.", hint="kitchen run [NAME] -- COMMAND ARGS...")
    command = list(raw[raw.index("--") + 1 :])
    before = (words or [])[: len(words or []) - len(command)]
    usage = "kitchen run [NAME] -- COMMAND ARGS..."
    if not command:
        raise BadInput("Put the command after --.", hint=usage)
    if len(before) > 1:
        raise BadInput(f"Give at most one kitchen before --, not {' '.join(before)}.", hint=usage)
    project = project_for(ctx)
    kitchen, variables = environment(project, before[0] if before else None)
    found = dbt_project(project, pipeline, Path.cwd())
    output = project.warehouse(kitchen.environment).dbt_output() if found else {}
    project.close()  # a DuckDB file can be opened by one process at a time: let the tool have it
    # Ctrl-C reaches the tool too, and is the tool's to handle (psql cancels its query, a
    # REPL its line): kitchen waits on. A handler, not SIG_IGN, which the tool would inherit.
    previous = signal.signal(signal.SIGINT, lambda *_: None)
    try:
        if found is None:
            code = subprocess.call(command, env=variables)
        else:
            folder, node = found
            with dbt.workspace(output, node.profile == "project", files_out=False) as more:
                code = subprocess.call(command, env={**variables, **more}, cwd=folder)
    except FileNotFoundError:
        raise ToolNotFound(
            f"Command not found: {command[0]}.", hint="Check its name and PATH."
        ) from None
    except PermissionError:
        raise CannotRun(
            f"Command {command[0]} cannot be run: permission denied.",
            hint="Check that it is a program and executable (chmod +x).",
        ) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    raise typer.Exit(128 - code if code < 0 else code)  # killed by signal N: 128 + N, as shells say
