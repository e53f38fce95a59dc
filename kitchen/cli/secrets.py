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
    from kitchen.errors import BadInput
    from kitchen.workflows.run import run_tool

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
    code = run_tool(project_for(ctx), before[0] if before else None, command, pipeline, Path.cwd())
    raise typer.Exit(code)
