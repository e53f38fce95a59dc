"""`kitchen diff`: what a kitchen's pipelines did to its tables, against its parent's."""

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Group, RenderableType
from rich.markup import escape

from kitchen.cli.app import CurrentKitchen, JsonOption, app, project_for, state_for
from kitchen.text import counted, number

if TYPE_CHECKING:
    from rich.table import Table

    from kitchen.data.diff import Numbers, TableDiff
    from kitchen.workflows.diff import Comparison


@app.command("diff")
def diff_command(
    ctx: typer.Context,
    name: CurrentKitchen = None,
    against: Annotated[
        str | None,
        typer.Option(metavar="KITCHEN", help="Compare with this kitchen (default: the parent)."),
    ] = None,
    table: Annotated[
        list[str] | None,
        typer.Option(metavar="TABLE", help="Only this table, written or not (repeat for more)."),
    ] = None,
    key: Annotated[
        str | None,
        typer.Option(metavar="COLS", help="Compare rows by these columns: order_id,line."),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option(min=0, metavar="PCT", help="Flag numbers that moved more (percent)."),
    ] = 1.0,
    json_mode: JsonOption = False,
) -> None:
    """Compare a kitchen's tables with its parent's, inside the warehouse: columns added,
    removed or retyped; row counts; with a key (--key, the node's key:, or the primary key)
    rows only on one side and rows changed, column by column, with example keys; without
    one, whole rows as a multiset; numeric columns' sum, mean, min, max and NULLs side by
    side. The tables the kitchen's pipelines write, unless --table names others.

    Example: kitchen diff profitability --table stg_orders --key order_id
    """
    from kitchen.workflows.diff import compare

    state = state_for(ctx, json_mode)
    keys = [column.strip().lower() for column in key.split(",")] if key else None
    found = compare(
        project_for(ctx),
        name,
        other_name=against,
        tables=table,
        key=keys,
        threshold=threshold / 100,
    )
    if json_mode:
        state.console.json(
            {
                "kitchen": found.kitchen.name,
                "against": found.other.name,
                "tables": [t.to_json() for t in found.tables],
                "untouched": found.untouched,
            }
        )
        return
    state.console.show(_shown(found))


def _shown(found: "Comparison") -> RenderableType:
    mine, theirs = found.kitchen.name, found.other.name
    parts: list[RenderableType] = [f"[bold]{escape(mine)}[/] against [bold]{escape(theirs)}[/]"]
    if not found.tables:
        parts.append("No table written by its pipelines to compare: name one with --table.")
    for compared in found.tables:
        parts.append(_table(compared, mine, theirs))
    if found.untouched:
        parts.append(
            f"[dim]Not compared: {counted(len(found.untouched), 'table')} no pipeline writes "
            f"({escape(', '.join(found.untouched[:5]))}{', ...' if found.untouched[5:] else ''}); "
            "--table compares one.[/]"
        )
    return Group(*parts)


def _table(found: "TableDiff", mine: str, theirs: str) -> RenderableType:
    head = f"\n[bold]{escape(found.table)}[/]"
    if found.rows[0] is None or found.rows[1] is None:
        where = theirs if found.rows[0] is None else mine
        rows = found.rows[0] if found.rows[0] is not None else found.rows[1] or 0
        return f"{head}: only in {escape(where)} ({counted(rows, 'row')})"
    if found.same:
        return f"{head}: the same ({counted(found.rows[0], 'row')})"
    lines = [f"{head} [dim]({escape(_how(found, mine, theirs))})[/]"]
    counts = f"{number(found.rows[0])} in {mine}, {number(found.rows[1])} in {theirs}"
    lines.append(f"  rows: {escape(counts)}")
    for sign, columns in (("+", found.added), ("-", found.removed)):
        if columns:
            lines.append(f"  columns {sign} {escape(', '.join(columns))}")
    for column, was, now in found.retyped:
        lines.append(f"  column {escape(column)}: {escape(was)} → {escape(now)}")
    for label, count, kind in (
        (f"only in {mine}", found.only_kitchen, "only_in_kitchen"),
        (f"only in {theirs}", found.only_other, "only_in_other"),
        ("changed", found.changed or 0, "changed"),
    ):
        if count:
            examples = found.examples.get(kind, [])
            shown = f" (e.g. {escape(', '.join(examples))})" if examples else ""
            lines.append(f"  rows {escape(label)}: [yellow]{number(count)}[/]{shown}")
    if found.changed_columns:
        listed = ", ".join(f"{c} {number(n)}" for c, n in found.changed_columns.items())
        lines.append(f"  changed values: {escape(listed)}")
    moved = [n for n in found.numbers if n.flagged]
    return Group("\n".join(lines), *([_numbers(moved, mine, theirs)] if moved else []))


def _how(found: "TableDiff", mine: str, theirs: str) -> str:
    """How the rows were compared: by which key, or as whole rows and why."""
    if found.duplicates:
        on = ", ".join(
            f"{n:,} in {mine if side == 'kitchen' else theirs}"
            for side, n in found.duplicates.items()
        )
        return f"its key is on more than one row ({on} keys): whole rows"
    return "key " + ", ".join(found.key) if found.key else "no key: whole rows"


def _numbers(moved: "list[Numbers]", mine: str, theirs: str) -> "Table":
    """The figures that moved past the threshold, the kitchen's highlighted."""
    from rich.table import Table  # on use: --help need not load it

    numbers = Table(box=None, padding=(0, 2, 0, 2), header_style="dim")
    for title in ("column", "", mine, theirs):
        numbers.add_column(escape(title), justify="left" if title in ("", "column") else "right")
    for entry in moved:
        for stat in entry.flagged:
            numbers.add_row(
                escape(entry.column),
                stat,
                f"[yellow]{_value(entry.kitchen[stat])}[/]",
                _value(entry.other[stat]),
            )
    return numbers


def _value(value: float | None) -> str:
    return "NULL" if value is None else number(value)
