"""Turning results into rich tables and trees for people, and plain dicts for --json."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markup import escape
from rich.measure import Measurement
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from kitchen import model
from kitchen.model import DataState, Kitchen, Status, TableInfo
from kitchen.text import counted, moment

if TYPE_CHECKING:  # the workflows behind one command's output are imported by that command alone
    from kitchen.workflows.inspect import Details, Listing, Tested

STATUS_STYLE = {
    Status.READY: "green",
    Status.PROVISIONING: "yellow",
    Status.DELETING: "yellow",
    Status.FAILED: "red",
    Status.MISSING: "red",
    Status.UNREACHABLE: "red",
}


def status(value: Status) -> str:
    return f"[{STATUS_STYLE[value]}]{value.value}[/]"


def kitchen_table(listing: Listing) -> KitchenTable:
    return KitchenTable(listing)


@dataclass
class KitchenTable:
    """One line per kitchen, borderless to fit the terminal: where it does not, parents and
    branches are shortened, never names, statuses or notes. Schemas: kitchen show.

    Laid out once for all rows (each cell's width is its length: no markup to parse), not
    measured cell by cell as a rich Table does: a thousand kitchens print in milliseconds."""

    listing: Listing
    HEADER = ("  name", "parent", "environment", "branch", "status", "notes")
    SHORTENED = (1, 3)  # parent, branch
    NARROWEST = 4  # a shortened column keeps this many characters, ellipsis included
    GAP = "  "

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        now = datetime.now(UTC)
        header = [Text(name, style="bold") for name in self.HEADER]
        rows = [header, *(self._cells(kitchen, now) for kitchen in self.listing.kitchens)]
        widths = [max(len(cell.plain) for cell in column) for column in zip(*rows, strict=True)]
        over = sum(widths) + len(self.GAP) * (len(widths) - 1) - options.max_width
        while over > 0:  # the wider of parent and branch gives way, down to NARROWEST
            widest = max(self.SHORTENED, key=lambda at: widths[at])
            if widths[widest] <= self.NARROWEST:
                break
            widths[widest] -= 1
            over -= 1
        lines = Text("Kitchens", style="italic")  # a line still too wide wraps: nothing is cut
        for cells in rows:
            lines.append("\n")
            for at, (cell, width) in enumerate(zip(cells, widths, strict=True)):
                if at < len(cells) - 1:  # the last is not padded: no trailing spaces
                    cell.truncate(width, overflow="ellipsis", pad=True)
                    cell.append(self.GAP)
                lines.append_text(cell)
        yield lines

    def _cells(self, kitchen: Kitchen, now: datetime) -> list[Text]:
        notes = [Text("protected", style="magenta")] if kitchen.protected else []
        if kitchen.expires_at:
            notes.append(_expiry(datetime.fromisoformat(kitchen.expires_at) - now))
        marker = "* " if kitchen.name == self.listing.current else "  "
        return [
            Text.assemble(marker, (kitchen.name, "bold")),
            Text(kitchen.parent or ""),
            Text(kitchen.environment),
            Text(kitchen.branch),
            Text(kitchen.status.value, style=STATUS_STYLE[kitchen.status]),
            Text(", ").join(notes),
        ]


def _expiry(left: timedelta) -> Text:
    """``expires in 6d``, ``in 47h``, ``in 90m`` (whole units, rounded down, at least two of
    them), ``in <1m``; ``expired`` in red once it has (when ``kitchen gc`` would take it)."""
    if left <= timedelta(0):
        return Text("expired", style="red")
    minutes = int(left.total_seconds() // 60)
    if minutes == 0:
        return Text("expires in <1m")
    if minutes >= 2 * 1440:
        return Text(f"expires in {minutes // 1440}d")
    return Text(f"expires in {minutes // 60}h" if minutes >= 120 else f"expires in {minutes}m")


def kitchen_tree(listing: Listing) -> Text:
    """The kitchen tree, which mirrors the git branch tree: one text, its guides drawn as it
    is walked (a rich Tree lays out each node on its own: seconds for a thousand)."""
    tree = Text("kitchens", style="bold")
    for kitchen, path in model.tree(listing.kitchens):
        indent = "".join("    " if last else "│   " for last in path[:-1])
        tree.append(f"\n{indent}{'└── ' if path[-1] else '├── '}", style="dim")
        if kitchen.name == listing.current:
            tree.append("* ", style="bold cyan")
        tree.append(kitchen.name, style="bold")
        if kitchen.protected:
            tree.append(" (protected)", style="magenta")
        tree.append(f"  {kitchen.environment} · {kitchen.branch}", style="dim")
        if kitchen.status != Status.READY:
            tree.append(f"  {kitchen.status.value}", style=STATUS_STYLE[kitchen.status])
    return tree


def _label(kitchen: Kitchen) -> str:
    flags = " [magenta](protected)[/]" if kitchen.protected else ""
    return f"[bold]{kitchen.name}[/]{flags}"


def details(result: Details) -> RenderableType:
    kitchen = result.kitchen
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    rows: list[tuple[str, str]] = [
        ("kitchen", _label(kitchen) + (" [cyan](checked out)[/]" if result.current else "")),
        (
            "status",
            status(kitchen.status) + (f"  {escape(kitchen.error)}" if kitchen.error else ""),
        ),
        ("parent", kitchen.parent or "(none)"),
        ("environment", kitchen.environment),
        ("branch", escape(kitchen.branch) + _divergence(result)),
        ("schema", kitchen.schema),
        ("data", escape(_data_of(result))),
        ("staff", escape(", ".join(kitchen.staff)) or "anyone"),
    ]
    if kitchen.approvers:
        rows.append(("approvers", escape(", ".join(kitchen.approvers))))
    if kitchen.ticket:
        link = result.ticket_url
        rows.append(("ticket", escape(kitchen.ticket + (f" ({link})" if link else ""))))
    rows.append(("tests", _tested(result.tested)))
    rows.append(("created", moment(kitchen.created_at)))
    rows.append(("created by", escape(kitchen.created_by or "?")))
    if kitchen.expires_at:
        rows.append(("expires", moment(kitchen.expires_at)))
    for label, value in rows:
        facts.add_row(label, value)
    parts: list[RenderableType] = [facts]
    if result.tables:
        tables = Table(title="Tables", title_justify="left")
        tables.add_column("table")
        tables.add_column("rows", justify="right")
        viewing = any(info.view_of for info in result.tables)
        if viewing:
            tables.add_column("data")
        for info in result.tables:
            shown = "" if info.problem else f"{info.rows:,}"
            tables.add_row(escape(info.name), shown, *([_table_data(info)] if viewing else []))
        parts.append(tables)
    for name, (columns, rows_) in result.preview.items():
        parts.append(Preview(name, columns, rows_))
    return Group(*parts)


@dataclass
class Preview:
    """A table's first rows: side by side where they fit the terminal, else each row as its
    columns and values, one a line (psql's expanded display), so that no name or value is
    broken over lines and columns."""

    name: str
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        shown = f"first {len(self.rows)} rows" if len(self.rows) != 1 else "first row"
        title = f"{escape(self.name)} ({shown})"
        wide = Table(title=title, title_justify="left")
        for column in self.columns:
            wide.add_column(escape(column), overflow="fold")
        for row in self.rows:
            wide.add_row(*(cell(value) for value in row))
        natural = Measurement.get(console, options.update_width(UNBOUNDED), wide).maximum
        if natural <= options.max_width:
            yield wide
            return
        yield Text.from_markup(title, style="italic")
        for number, row in enumerate(self.rows, 1):
            yield Rule(f"row {number}", align="left", style="dim")
            record = Table.grid(padding=(0, 2))
            record.add_column(style="bold")
            record.add_column(overflow="fold")
            for column, value in zip(self.columns, row, strict=True):
                record.add_row(escape(column), cell(value))
            yield record


UNBOUNDED = 1_000_000  # columns, to measure what a table needs rather than what it gets
CELL_WIDTH = 200  # characters of a previewed value; a document or a blob is cut short


def cell(value: Any) -> str:
    """A previewed value as SQL users read it: null, true or false, bytes as hex, a JSON
    document or an array as JSON (not Python's ``{'k': 1}``); a long one cut at
    ``CELL_WIDTH`` with the length it has (``--json`` keeps it whole)."""
    if value is None:
        return "[dim]null[/]"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, bytes | memoryview):
        data = bytes(value)
        text, size = "\\x" + data.hex(), f"{len(data):,} bytes"
    else:
        structured = isinstance(value, dict | list | tuple)
        text = json.dumps(value, default=str, ensure_ascii=False) if structured else str(value)
        size = f"{len(text):,} characters"
    return escape(text[:CELL_WIDTH]) + (f"[dim]… ({size})[/]" if len(text) > CELL_WIDTH else "")


def _tested(tested: Tested | None) -> str:
    if tested is None:
        return "[yellow]no passing run[/]: run kitchen test"
    run = f"run {tested.run_id} passed at {tested.commit[:10]}"
    if tested.covers_head:
        return f"[green]{run}[/] (covers HEAD)"
    why = "with uncommitted changes" if tested.dirty else f"HEAD is {tested.head[:10]}"
    return f"[yellow]{run}[/], {why}: run kitchen test again"


def _divergence(result: Details) -> str:
    if result.commits_ahead is None or result.commits_behind is None:
        return ""
    return f" [dim]({result.commits_ahead} ahead, {result.commits_behind} behind its parent)[/]"


def _table_data(info: TableInfo) -> str:
    """Whose data a table of a views kitchen is: ``view of dev``, or ``own``."""
    if info.view_of is None:
        return "own"
    shown = f"view of {escape(info.view_of)}"
    return f"[red]{shown}: BROKEN, {escape(info.problem)}[/]" if info.problem else shown


def _data_of(result: Details) -> str:
    """Its data; a root's tables that kitchen did not load (a warehouse the team already had)
    are existing tables, not no data."""
    if result.kitchen.data is None and result.tables:
        rows = sum(table.rows for table in result.tables)
        amount = f"{counted(len(result.tables), 'table')}, {counted(rows, 'row')}"
        return f"existing tables ({amount}), not loaded by kitchen"
    return describe_data(result.kitchen.data, folded=True)


def describe_data(data: DataState | None, folded: bool = False) -> str:
    """What a kitchen's data is, in clauses; ``folded``: a clause a line (for a table's cell,
    which would otherwise break a time in two)."""
    if data is None:
        return "no data"
    if data.mode == "views":
        masked = "masked upstream" if data.masked else "unmasked"
        made = f"made {moment(data.copied_at)}"
        return ("\n" if folded else "; ").join(
            [f"views of {data.source}'s tables ({counted(data.tables, 'table')})", masked, made]
        )
    amount = f"{counted(data.tables, 'table')}, {counted(data.rows, 'row')}"
    if data.sample:
        amount += f"; sampled {data.sample}"
    copied = f"copied {moment(data.copied_at)}"
    if data.source is None:
        clauses = [f"original data ({amount})", f"loaded {moment(data.copied_at)}"]
    elif not data.masked:
        clauses = [f"UNMASKED copy of {data.source} ({amount})", copied, "no masking applied"]
    elif not data.rules and data.verified_at is None:  # copied as it was, masked before
        clauses = [f"copy of {data.source}, masked upstream ({amount})", copied]
    elif not data.rules:  # masked here, by no rule: the gate's scan is all that stood guard
        clauses = [f"copy of {data.source} ({amount})", copied, "no masking rule matched"]
    elif data.problems:
        failed = f"masking check FAILED: {'; '.join(data.problems)}"
        clauses = [f"masked copy of {data.source} ({amount})", copied, failed]
    else:
        verified = f"masking verified {moment(data.verified_at)} ({counted(data.rules, 'rule')})"
        clauses = [f"masked copy of {data.source} ({amount})", copied, verified]
    if data.left_out:
        clauses.append(f"left out: {'; '.join(data.left_out)}")
    return ("\n" if folded else "; ").join(clauses)


def details_json(result: Details) -> dict[str, Any]:
    return {
        **result.kitchen.to_json(),
        "checked_out": result.current,
        "commits_ahead": result.commits_ahead,
        "commits_behind": result.commits_behind,
        "tables": [_table_json(info) for info in result.tables],
        "tested": asdict(result.tested) if result.tested else None,
        "ticket_url": result.ticket_url,
        "preview": {  # with --rows or --table: each table's first rows, as the table has them
            table: {"columns": columns, "rows": [list(row) for row in rows]}
            for table, (columns, rows) in result.preview.items()
        },
    }


def _table_json(info: TableInfo) -> dict[str, Any]:
    shown: dict[str, Any] = {"name": info.name, "rows": info.rows}
    if info.view_of is not None:  # views mode: whose table it shows, and whether it still does
        shown |= {"view_of": info.view_of, "problem": info.problem}
    return shown
