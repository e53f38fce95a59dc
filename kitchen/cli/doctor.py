"""`kitchen doctor`: what is unreachable or inconsistent, and with --repair, what was fixed."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from kitchen.cli.app import JsonOption, app, project_for, state_for
from kitchen.cli.console import Console
from kitchen.errors import ExitCode
from kitchen.text import counted

if TYPE_CHECKING:
    from kitchen.workflows.doctor import Examination


@app.command()
def doctor(
    ctx: typer.Context,
    repair: Annotated[
        bool, typer.Option("--repair", help="Finish or undo each inconsistency found.")
    ] = False,
    environments: Annotated[
        list[str] | None,
        typer.Option(
            "--env",
            metavar="<env>",
            help="Only this environment (repeat for more): a developer checks dev without "
            "production's secrets.",
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Reach every backend of every environment (git remote, warehouse, secrets, artifacts)
    and check the registry against git and the warehouse: commands a crash cut short, stale
    merge locks, kitchens stuck half-made or missing their branch or schema, and what kitchen
    made for kitchens that are gone (schemas, branches, login roles, secrets).

    Exit 0 when all is well (or repaired), 3 when a problem remains, 5 when a backend is
    unreachable (or the backend's own code, e.g. 4 when access is denied).

    Example: kitchen doctor --repair --env dev
    """
    state = state_for(ctx, json_mode)
    from kitchen.workflows import doctor as doctor_workflow

    found = doctor_workflow.examine(project_for(ctx), repair, state.console, environments)
    console = state.console
    if json_mode:
        console.json(
            {
                "healthy": found.exit_code == ExitCode.OK,
                "backends": [backend.to_json() for backend in found.backends],
                "findings": [finding.to_json() for finding in found.findings],
            }
        )
    else:
        _show(console, found, repair)
    if found.exit_code:
        raise typer.Exit(int(found.exit_code))


def _show(console: Console, found: "Examination", repair: bool) -> None:
    for backend in found.backends:
        where = " ".join(filter(None, (backend.environment, backend.backend)))
        if backend.status == "ok":
            console.show(f"[green]✓[/] {escape(where)}")
        else:
            console.show(f"[red]✗[/] {escape(where)}: {escape(backend.detail)}")
    for finding in found.findings:
        console.show(f"[yellow]•[/] {escape(finding.problem)}")
        if finding.repaired:
            console.show(f"  [green]repaired:[/] {escape(finding.repaired)}")
        elif finding.error:
            console.show(f"  [red]not repaired:[/] {escape(finding.error)}")
        else:
            console.show(f"  [dim]--repair would {escape(finding.repair)}[/]")
    if not found.findings:
        console.success("No inconsistency found.")
    elif not found.unresolved:
        console.success(f"Repaired {counted(len(found.findings), 'problem')}.")
    elif not repair:
        console.show("Run `kitchen doctor --repair` to fix what can be fixed.")
