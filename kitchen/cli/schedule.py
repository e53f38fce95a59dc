"""kitchen schedule list/enable/disable/run-due/export."""

import sys
from typing import Annotated, Literal

import typer
from rich.markup import escape

from kitchen.cli.app import CurrentKitchen, JsonOption, project_for, schedule_app, state_for
from kitchen.errors import ExitCode

ScheduleArgument = Annotated[
    str,
    typer.Argument(metavar="SCHEDULE", help="pipeline.schedule, or a schedule's name alone."),
]


@schedule_app.command("list")
def schedule_list(
    ctx: typer.Context, name: CurrentKitchen = None, json_mode: JsonOption = False
) -> None:
    """The schedules the tip of each kitchen's branch declares (or one kitchen's): where each
    is enabled, its next slot, and its last run.

    Example: kitchen schedule list production
    """
    from kitchen.workflows.schedule import listing

    state = state_for(ctx, json_mode)
    rows, unreadable = listing(project_for(ctx), name)
    for environment in unreadable:
        state.console.warn(
            f"The {environment} registry could not be read: its kitchens are left out."
        )
    if json_mode:
        state.console.json({"schedules": [row.to_json() for row in rows], "unreadable": unreadable})
        return
    if not rows:
        state.console.show("No schedules declared (see docs/schedules.md).")
        return
    from rich.table import Table  # on use: --help need not load it

    table = Table(title="Schedules", title_justify="left")
    for column in ("kitchen", "schedule", "when", "enabled", "next", "last run"):
        table.add_column(column, overflow="fold")
    for row in rows:
        last = f"{row.last_run} {row.last_status}" if row.last_run else ""
        table.add_row(
            row.kitchen,
            escape(row.schedule),
            escape(f"{row.cron} {row.timezone}"),
            "[green]yes[/]" if row.enabled else "no",
            (row.next or "")[:16].replace("T", " ") + (" UTC" if row.next else ""),
            last,
        )
    state.console.show(table)


def _switch(ctx: typer.Context, name: str | None, schedule: str, on: bool) -> None:
    from kitchen.workflows.schedule import switch

    state = state_for(ctx)
    done = switch(project_for(ctx), name, schedule, on)
    said = "enabled" if on else "disabled"
    if done.changed:
        state.console.success(f"Schedule {done.schedule} is {said} in {done.kitchen}.")
    else:
        state.console.show(f"Schedule {done.schedule} was already {said} in {done.kitchen}.")


@schedule_app.command("enable")
def schedule_enable(ctx: typer.Context, name: CurrentKitchen, schedule: ScheduleArgument) -> None:
    """Switch a schedule on in a kitchen: from its next slot, `run-due` runs it there.
    In a protected kitchen only its approvers may.

    Example: kitchen schedule enable production shop.weekly
    """
    _switch(ctx, name, schedule, True)


@schedule_app.command("disable")
def schedule_disable(ctx: typer.Context, name: CurrentKitchen, schedule: ScheduleArgument) -> None:
    """Switch a schedule off in a kitchen.

    Example: kitchen schedule disable production shop.weekly
    """
    _switch(ctx, name, schedule, False)


@schedule_app.command("run-due")
def schedule_run_due(
    ctx: typer.Context,
    env: Annotated[
        str | None, typer.Option(metavar="ENV", help="Only this environment's kitchens.")
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Run every enabled schedule whose time has come, once per slot, at the tip of its
    kitchen's branch. Meant to be called every minute by cron, a systemd timer, a Kubernetes
    CronJob or a CI schedule. Exit 1 when a run failed or could not run.

    Example: kitchen schedule run-due --env production
    """
    from kitchen.workflows.schedule import run_due

    state = state_for(ctx, json_mode)
    done = run_due(project_for(ctx), env, state.console)
    if json_mode:
        state.console.json({"runs": [entry.to_json() for entry in done]})
    elif not done:
        state.console.show("Nothing is due.")
    for entry in done if not json_mode else []:
        what = f"{entry.kitchen}: {entry.schedule}" + (f" ({entry.slot})" if entry.slot else "")
        run = f", run {entry.run_id}" if entry.run_id else ""
        reason = f": {entry.reason}" if entry.reason else ""
        state.console.show(f"{escape(what)}: {entry.status}{run}{escape(reason)}")
    if any(entry.failed for entry in done):
        raise typer.Exit(int(ExitCode.CHECKS_FAILED))


@schedule_app.command("export")
def schedule_export(
    ctx: typer.Context,
    format_: Annotated[
        Literal["crontab"], typer.Option("--format", help="What to print the lines for.")
    ] = "crontab",
) -> None:
    """Print the crontab line that calls `kitchen schedule run-due` every minute here.

    Example: kitchen schedule export --format crontab | crontab -
    """
    from kitchen.workflows.schedule import crontab

    state_for(ctx)
    sys.stdout.write(crontab(project_for(ctx)))
