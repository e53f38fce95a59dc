"""Commands on kitchens themselves: init, create, list, show, staff, checkout, delete, gc, demo."""

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kitchen.cli.app import (
    ENTRY,
    CurrentKitchen,
    JsonOption,
    SampleOption,
    YesOption,
    app,
    named_kitchen,
    project_for,
    state_for,
)
from kitchen.errors import BadInput, ExitCode
from kitchen.text import counted


def flavoured(args: list[str]) -> list[str]:
    """`kitchen init --demo dbt`: the dbt flavour of the demo (`--demo-flavour`, which the
    command reads); any other word after `--demo` is the folder, as ever (`--demo shop`)."""
    if "init" not in args or "--demo" not in args:
        return args
    at = args.index("--demo") + 1
    if args[at : at + 1] == ["dbt"]:
        return [*args[:at], "--demo-flavour=dbt", *args[at + 1 :]]
    return args


@app.command()
def init(
    ctx: typer.Context,
    directory: Annotated[
        Path | None, typer.Argument(metavar="DIRECTORY", help="Folder to set up (default: .)")
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Also load the demo shop, with its pipeline (`--demo dbt`: in dbt)."
        ),
    ] = False,
    flavour: Annotated[str, typer.Option("--demo-flavour", hidden=True)] = "shop",
    no_data: Annotated[
        bool,
        typer.Option("--no-data", help="Leave dev empty even where production already has tables."),
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Set up a kitchen project: git, kitchen.yaml and the root kitchens production and dev.

    Where production already has tables, dev is filled from them (masked, through the PII
    gate) unless --no-data. Safe to run again: it only adds what is missing. `--demo dbt`
    makes the demo shop's pipeline a dbt project (docs/dbt.md).

    Example: kitchen init --demo my-analytics
    """
    from kitchen.workflows.init import DEMOS
    from kitchen.workflows.init import init as run_init

    state = state_for(ctx, json_mode)
    if flavour not in DEMOS:
        raise BadInput(f"No demo flavour {flavour!r}.", hint=f"One of: {', '.join(DEMOS)}.")
    folder = state.directory / (directory or Path("."))
    report = run_init(folder, flavour if demo else None, state.console, with_data=not no_data)
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
    name: Annotated[
        str,
        typer.Argument(metavar="NAME", help="Kitchen name: lowercase letters, digits, - and _."),
    ],
    parent: Annotated[
        str | None,
        typer.Option(
            help="Kitchen to branch from (default: the checked-out one unless it is "
            "protected, else dev)."
        ),
    ] = None,
    data: Annotated[
        str | None,
        typer.Option(
            metavar="MODE",
            help="How the parent's data comes: copy (a masked, sampled snapshot), views "
            "(nothing copied: views onto the parent's tables) or clone (default: data.mode of "
            "kitchen.yaml, else copy).",
        ),
    ] = None,
    no_data: Annotated[bool, typer.Option("--no-data", help="Leave its schema empty.")] = False,
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
    ticket: Annotated[
        str | None, typer.Option(metavar="KEY", help="The ticket of the work (SHOP-42).")
    ] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(
            metavar="TARGET",
            help="Announce its runs here (a target of its environment; repeatable).",
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """Create a kitchen: a branch from its parent, its own schema, and a copy of the data.

    Example: kitchen create profitability --parent dev --ttl 7d --sample 10% --ticket SHOP-42

    Example (nothing copied, in seconds whatever the size): kitchen create quick --data views
    """
    from kitchen.workflows.create import CreateRequest
    from kitchen.workflows.create import create as run_create

    state = state_for(ctx, json_mode)
    people = tuple(_listed(staff))
    if no_data and data:
        raise BadInput("--no-data and --data contradict each other.", hint="Give one of them.")
    request = CreateRequest(
        name, parent, not no_data, people, ttl, checkout, sample, ticket, tuple(notify or ()), data
    )
    kitchen = run_create(project_for(ctx), request, state.console)
    if json_mode:
        state.console.json(kitchen.to_json())
    else:
        state.console.success(
            f"Kitchen {kitchen.name} is ready, from {kitchen.parent}: branch {kitchen.branch}, "
            f"schema {kitchen.schema}."
        )


@app.command(name="list")
def list_(
    ctx: typer.Context,
    tree: Annotated[
        bool, typer.Option("--tree", help="Show the kitchen tree (whole: not paged).")
    ] = False,
    limit: Annotated[
        int,
        typer.Option("--limit", "-n", min=0, metavar="N", help="Show N kitchens (0: all)."),
    ] = 100,
    after: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="Start after this kitchen (the next page; --json: `next`)."
        ),
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """List kitchens by name, a page at a time; * marks the checked-out one.

    Example: kitchen list --after feature-0100 --limit 50
    """
    from kitchen.cli import render
    from kitchen.workflows.inspect import list_kitchens

    state = state_for(ctx, json_mode)
    if tree and after is not None:
        raise BadInput("--tree shows the whole tree: --after pages the list.")
    listing = list_kitchens(project_for(ctx), after, 0 if tree else limit)
    for problem in listing.problems:
        state.console.warn(problem.message)
    if json_mode:
        state.console.json(
            {
                "current": listing.current,
                "kitchens": [kitchen.to_json() for kitchen in listing.kitchens],
                "problems": [problem.message for problem in listing.problems],
                "next": listing.after,
            }
        )
    elif tree:
        state.console.show(render.kitchen_tree(listing))
    else:
        state.console.show(render.kitchen_table(listing))
        if listing.after is not None:
            state.console.show(
                f"[dim]{counted(len(listing.kitchens), 'kitchen')} shown; the next: "
                f"`kitchen list --after {listing.after}`, all: `--limit 0`.[/]"
            )


@app.command()
def show(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    rows: Annotated[
        int | None,
        typer.Option(
            min=0, metavar="N", help="Also show the first N rows of each table (--table: 10)."
        ),
    ] = None,
    table: Annotated[str | None, typer.Option(help="Show rows of this table only.")] = None,
    json_mode: JsonOption = False,
) -> None:
    """Show a kitchen: branch, schema, data (and whether its masking was verified), staff
    and tables.

    Example: kitchen show dev --rows 3 --table customers
    """
    from kitchen.cli import render
    from kitchen.workflows.inspect import show as run_show

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
    name = named_kitchen(project, name)
    preview = rows if rows is not None else 10 if table else 0
    details = run_show(project, name, preview=preview, only=table)
    if json_mode:
        state.console.json(render.details_json(details))
    else:
        state.console.show(render.details(details))
        data = details.kitchen.data
        if data is not None and data.source is not None and not data.masked:
            state.console.warn(f"The data in {name} is unmasked: handle it like its source.")
        if broken := [info.name for info in details.tables if info.problem]:
            state.console.warn(
                f"Views of {name} no longer show their tables: {', '.join(broken)}. "
                f"`kitchen data refresh {name}` makes them again."
            )


@app.command("staff")
def staff_command(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    add: Annotated[str | None, typer.Option(help="Comma-separated emails or globs to add.")] = None,
    remove: Annotated[
        str | None, typer.Option(help="Comma-separated entries to remove, as listed.")
    ] = None,
    json_mode: JsonOption = False,
) -> None:
    """List a kitchen's staff, who may test, merge, refresh and delete it; its staff add and
    remove people. A root kitchen's staff is set in kitchen.yaml.

    Example: kitchen staff profitability --add bob@acme.io --remove carol@acme.io
    """
    from kitchen.workflows.staff import change_staff

    state = state_for(ctx, json_mode)
    change = change_staff(project_for(ctx), name, _listed(add), _listed(remove))
    kitchen = change.kitchen
    if json_mode:
        state.console.json(change.to_json())
        return
    said = [f"added {', '.join(change.added)}"] if change.added else []
    said += [f"removed {', '.join(change.removed)}"] if change.removed else []
    if said:
        state.console.success(f"Staff of {kitchen.name}: {'; '.join(said)}.")
    elif add or remove:
        state.console.success(f"The staff of {kitchen.name} has that already.")
    staff = ", ".join(kitchen.staff) or "anyone (no staff list)"
    state.console.show(escape(f"Staff of {kitchen.name}: {staff}"))


def _listed(value: str | None) -> list[str]:
    return [who for who in (value or "").split(",") if who.strip()]


@app.command()
def checkout(
    ctx: typer.Context, name: Annotated[str, typer.Argument(metavar="NAME", help="Kitchen name.")]
) -> None:
    """Check out a kitchen's branch.

    Example: kitchen checkout profitability
    """
    from kitchen.workflows.inspect import checkout as run_checkout

    state = state_for(ctx)
    kitchen = run_checkout(project_for(ctx), name)
    state.console.success(f"Switched to kitchen {kitchen.name} (branch {kitchen.branch}).")


@app.command()
def delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="Kitchen name.")],
    yes: YesOption = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Delete even with commits not merged into the parent, or with views "
            "outside it that read its tables (they go too).",
        ),
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Delete a kitchen: its schema, its branch and its registry record.

    Also cleans up a kitchen whose create failed half-way.

    Example: kitchen delete profitability --yes
    """
    from kitchen.workflows import delete as workflow

    state = state_for(ctx, json_mode)
    project = project_for(ctx)
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


@app.command("gc")
def gc_command(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Also delete expired kitchens with unmerged commits.")
    ] = False,
    json_mode: JsonOption = False,
) -> None:
    """Delete temporary kitchens past their TTL (create --ttl). Kitchens with commits not
    merged into their parent are kept unless --force; each kept one says why.

    Example: kitchen gc --dry-run
    """
    from kitchen.workflows.gc import collect

    state = state_for(ctx, json_mode)
    result = collect(project_for(ctx), dry_run, force, state.console)
    if json_mode:
        state.console.json(
            {"dry_run": dry_run, "removed": result.removed, "skipped": result.skipped}
        )
        return
    verb = "Would delete" if dry_run else "Deleted"
    removed = result.removed
    kept = f"{counted(len(result.skipped), 'expired kitchen')} kept" if result.skipped else ""
    if removed:
        state.console.success(
            f"{verb} {counted(len(removed), 'expired kitchen')}: {', '.join(removed)}."
        )
    else:
        state.console.success(f"Nothing to delete: {kept}." if kept else "No expired kitchen.")
    for name, why in result.skipped.items():
        state.console.warn(f"Kept {name}: {why}")


@app.command()
def demo(
    ctx: typer.Context,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo folder afterwards.")] = False,
) -> None:
    """Run the whole kitchen story in a temporary folder, on the embedded default.

    Example: kitchen demo --keep
    """
    from kitchen.cli.demo import run_demo

    state = state_for(ctx)
    code = run_demo(state.console, ENTRY.get(), keep=keep)
    if code:
        raise typer.Exit(code)
