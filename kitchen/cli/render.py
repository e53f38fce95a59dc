"""Turning results into rich tables and trees for people, and plain dicts for --json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markup import escape
from rich.measure import Measurement
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from kitchen import model
from kitchen.model import DataState, Kitchen, Release, Run, Status, TableInfo
from kitchen.text import counted, moment

if TYPE_CHECKING:  # the workflows behind one command's output are imported by that command alone
    from kitchen.workflows.data import ScanResult
    from kitchen.workflows.inspect import Details, Listing
    from kitchen.workflows.secrets import Listing as SecretsListing
    from kitchen.workflows.test import TestRun

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


def _tested(tested: dict[str, Any] | None) -> str:
    if tested is None:
        return "[yellow]no passing run[/]: run kitchen test"
    run = f"run {tested['run_id']} passed at {tested['commit'][:10]}"
    if tested["covers_head"]:
        return f"[green]{run}[/] (covers HEAD)"
    why = "with uncommitted changes" if tested["dirty"] else f"HEAD is {tested['head'][:10]}"
    return f"[yellow]{run}[/], {why}: run kitchen test again"


def runs_table(kitchen: str, runs: list[Run]) -> RenderableType:
    if not runs:
        return f"No runs recorded for {kitchen}: run kitchen test {kitchen}."
    table = Table(title=f"Runs of {kitchen}", title_justify="left")
    for column in ("run", "started", "status", "commit", "pipelines"):
        table.add_column(column, no_wrap=column != "pipelines")
    for run in runs:
        colour = "green" if run.status == "passed" else "red"
        commit = run.commit_sha[:10] + (" (dirty)" if run.dirty else "")
        table.add_row(
            run.id,
            moment(run.started_at),
            f"[{colour}]{run.status}[/]",
            commit,
            escape(run.pipelines),
        )
    return table


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
        "tested": result.tested,
        "ticket_url": result.ticket_url,
        "preview": {  # with --rows or --table: each table's first rows, as the table has them
            table: {"columns": columns, "rows": [list(row) for row in rows]}
            for table, (columns, rows) in result.preview.items()
        },
    }


def scan_table(result: ScanResult) -> RenderableType:
    from kitchen.data import pii

    if not result.findings:
        return f"No column of {result.kitchen.name} looks like PII."
    table = Table(
        title=f"Columns of {result.kitchen.name} that look like PII", title_justify="left"
    )
    for column in ("column", "kind", "evidence", "masking rule"):
        whole = column in ("column", "kind")  # never cut a name; fold the rest, never cut it
        table.add_column(column, no_wrap=whole, overflow="ellipsis" if whole else "fold")
    for finding, rule in result.findings:
        name = f"{finding.table}.{finding.column}"
        if rule is None:
            masked_by = f"[red]none[/] (suggested: {escape(pii.rule_text(finding))})"
        elif rule.pattern == name:
            masked_by = escape(rule.strategy)
        else:  # a glob: say which
            masked_by = escape(f"{rule.strategy} ({rule.pattern})")
        table.add_row(escape(name), finding.kind, finding.evidence, masked_by)
    return table


def scan_json(result: ScanResult) -> dict[str, Any]:
    return {
        "kitchen": result.kitchen.name,
        "unread": result.unread,
        "findings": [
            {
                "table": finding.table,
                "column": finding.column,
                "kind": finding.kind,
                "evidence": finding.evidence,
                "suggested_rule": finding.suggested_rule,
                "rule": {"pattern": rule.pattern, "strategy": rule.strategy, "option": rule.option}
                if rule
                else None,
            }
            for finding, rule in result.findings
        ],
    }


def secrets_table(listing: SecretsListing) -> RenderableType:
    if not listing.secrets:
        return f"Kitchen {listing.kitchen.name} sees no secrets in {escape(listing.location)}."
    table = Table()
    table.add_column("key")
    table.add_column("from")
    for key, source in listing.secrets:
        table.add_row(escape(key), source)
    # The store's address above the table, not as its title: a title wraps at the table's width.
    return Group(
        f"[italic]Secrets of {listing.kitchen.name} ({escape(listing.location)})[/]", table
    )


def secrets_json(listing: SecretsListing) -> dict[str, Any]:
    return {
        "kitchen": listing.kitchen.name,
        "environment": listing.kitchen.environment,
        "location": listing.location,
        "secrets": [{"key": key, "from": source} for key, source in listing.secrets],
    }


def test_summary(run: TestRun) -> RenderableType:
    nodes = Table(
        title=f"Run {run.id} in {run.kitchen.name} at {run.commit[:10]}", title_justify="left"
    )
    for column in ("pipeline", "node", "type", "status", "seconds", "checks"):
        nodes.add_column(column, justify="right" if column in ("seconds", "checks") else "left")
    colours = {"passed": "green", "failed": "red", "skipped": "yellow"}
    for node in run.nodes:
        mine = [c for c in run.checks if c.node == node.node]
        passed = sum(c.status == "pass" for c in mine)
        nodes.add_row(
            escape(node.pipeline),
            node.node,
            node.type,
            f"[{colours[node.status]}]{node.status}[/]",
            f"{node.seconds:.2f}",
            f"{passed}/{len(mine)}" if mine else "",
        )
    parts: list[RenderableType] = [nodes]
    parts += [  # why, under the table that says only "failed"; what a dbt node built
        f"[red]✗[/] {escape(f'{node.pipeline}.{node.node}: {node.message}')}"
        if node.status == "failed"
        else f"[dim]○ {escape(f'{node.pipeline}.{node.node}: {node.message}')}[/]"
        for node in run.nodes
        if node.status == "failed" or (node.status == "passed" and node.message)
    ]
    problems = [c for c in run.checks if c.status not in ("pass", "insufficient")]
    parts += [  # a new SPC check is no problem: it is building the history its limits need
        f"[dim]○ {escape(f'{check.node}.{check.name}')} (spc) builds its history: "
        f"{escape(check.message)}[/]"
        for check in run.checks
        if check.status == "insufficient"
    ]
    if problems:
        table = Table(title="Checks that did not pass", title_justify="left")
        for column in ("check", "severity", "status", "message"):  # a check's name stays whole
            table.add_column(column, no_wrap=column != "message", overflow="fold")
        for check in problems:
            table.add_row(
                f"{check.node}.{check.name}", check.severity, check.status, escape(check.message)
            )
        parts.append(table)
    verdict = "[green]passed[/]" if run.passed else "[red]failed[/]"
    parts.append(f"Run {run.id}: {verdict}")
    return Group(*parts)


def events_table(events: list[dict[str, Any]], kitchen: str | None = None) -> RenderableType:
    """The audit trail; one kitchen's leaves its name out, for the details' room."""
    if not events:
        return "No events recorded yet."
    columns = ["at", "who", "what", *([] if kitchen else ["kitchen"]), "result"]
    rows = []
    for event in events:
        colour = "green" if event["result"] == "ok" else "red"
        cells = [moment(event["at"]), escape(event["actor"]), event["action"]]
        cells += [] if kitchen else [escape(event["kitchen"])]
        rows.append([*cells, f"[{colour}]{event['result']}[/]"])
    details = [_event_details(event) for event in events]
    title = f"Audit trail of {kitchen}" if kitchen else "Audit trail"
    return Detailed(title, columns, rows, details)


def _event_details(event: dict[str, Any]) -> str:
    def shown(key: str, value: Any) -> str:
        if isinstance(value, list):  # staff added or removed
            return ",".join(map(str, value))
        return str(value)[:10] if key == "commit" else str(value)  # a sha, as git shows it

    return ", ".join(
        f"{key}={shown(key, value)}" for key, value in event["details"].items() if value is not None
    )


def releases_table(kitchen: str, releases: list[Release]) -> RenderableType:
    if not releases:
        return f"No releases of {kitchen} yet."
    rows, details = [], []
    for release in releases:
        row = [moment(release.at), release.kind, escape(release.tag)]
        rows.append([*row, release.commit_sha[:10], escape(release.actor)])
        source = [f"from {release.source}"] if release.source else []
        approved = [f"approved by {release.approved_by}"] if release.approved_by else []
        tested = (release.destination_test or {}).get("status")
        outcome = [f"tests {tested}"] if tested else []
        details.append(", ".join(source + approved + outcome))
    columns = ["at", "what", "tag", "commit", "by"]
    return Detailed(f"Releases of {kitchen}", columns, rows, details)


@dataclass(frozen=True)
class Detailed:
    """Rows a line each, their details in a last column where that fits the terminal, else
    on a line of their own under each row, so that no sha, name or time is broken."""

    title: str
    columns: list[str]
    rows: list[list[str]]  # markup
    details: list[str]  # plain text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = Table(  # borderless, as kitchen list
            title=self.title,
            title_justify="left",
            box=None,
            header_style="bold",
            padding=(0, 2, 0, 0),
        )
        for column in [*self.columns, "details"]:
            table.add_column(column, no_wrap=True)
        for cells, said in zip(self.rows, self.details, strict=True):
            table.add_row(*cells, escape(said))
        natural = Measurement.get(console, options.update_width(UNBOUNDED), table).maximum
        if natural <= options.max_width:
            yield table
            return
        lines = [[Text.from_markup(cell_) for cell_ in row] for row in [self.columns, *self.rows]]
        for place in range(len(self.columns)):
            width = max(len(row[place]) for row in lines)
            for row in lines:
                row[place].align("left", width)
        yield Text(self.title, style="italic")
        header, *rows = (Text("  ").join(row) for row in lines)
        header.rstrip()
        header.stylize("bold")
        yield header
        for line, said in zip(rows, self.details, strict=True):
            line.rstrip()
            yield line
            if said:
                yield Text("    " + said, style="dim")


def _table_json(info: TableInfo) -> dict[str, Any]:
    shown: dict[str, Any] = {"name": info.name, "rows": info.rows}
    if info.view_of is not None:  # views mode: whose table it shows, and whether it still does
        shown |= {"view_of": info.view_of, "problem": info.problem}
    return shown
