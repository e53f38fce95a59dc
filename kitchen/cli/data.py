"""kitchen data: PII scans and refreshes."""

from typing import Annotated

import typer

from kitchen.cli.app import (
    CurrentKitchen,
    JsonOption,
    data_app,
    project_for,
    state_for,
)


@data_app.command("scan")
def data_scan(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    json_mode: JsonOption = False,
) -> None:
    """Find columns that look like PII (names and sampled values) and the rule masking each.

    Findings show evidence as counts, never values.

    Example: kitchen data scan production --json
    """
    from kitchen.cli import listings
    from kitchen.workflows.data import describe_unread, scan

    state = state_for(ctx, json_mode)
    result = scan(project_for(ctx), name)
    if result.unread:
        unread = describe_unread(result.unread)
        state.console.warn(f"Not scanned, as this login may not read them: {unread}.")
    if json_mode:
        state.console.json(listings.scan_json(result))
    else:
        state.console.show(listings.scan_table(result))


@data_app.command("refresh")
def data_refresh(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Kitchen whose data to rebuild.")],
    source: Annotated[
        str | None, typer.Option("--from", help="Kitchen to copy from (default: the parent).")
    ] = None,
    sample: Annotated[
        str | None,
        typer.Option(
            help="Sample each table: '10%', a row count or 'all' (FK-consistent; default: "
            "the --sample the kitchen was made with, else as on create)."
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            metavar="MODE",
            help="copy or views (default: as the kitchen has it): a views kitchen's views "
            "are made again onto its parent's tables as they are now.",
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Rebuild a kitchen's data from its parent (or --from), masked as on create.

    The new tables are built aside and swapped in at once; until then, and after any
    failure, the old data stays. Tables the kitchen made itself are left alone. A kitchen
    made with --sample keeps that sample until another --sample is given. A kitchen of
    views gets its views made again (mending those whose table was dropped or changed).

    Example: kitchen data refresh profitability --from dev

    Example (a snapshot instead of views): kitchen data refresh quick --data copy
    """
    from kitchen.cli import render
    from kitchen.workflows.refresh import refresh

    state = state_for(ctx, json_mode)
    kitchen = refresh(project_for(ctx), name, source, state.console, sample, mode=data)
    if json_mode:
        state.console.json(kitchen.to_json())
    else:
        state.console.success(f"Refreshed {name}: {render.describe_data(kitchen.data)}.")
