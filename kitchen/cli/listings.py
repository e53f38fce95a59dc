"""Lists for people: a kitchen's runs, the PII scan, secrets, a run's summary, the audit
trail and releases, as rich tables; and the plain dicts the scan and secrets give --json."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from kitchen.cli.render import UNBOUNDED
from kitchen.model import Event, Release, Run
from kitchen.text import moment

if TYPE_CHECKING:  # the workflows behind one command's output are imported by that command alone
    from kitchen.workflows.data import ScanResult
    from kitchen.workflows.secrets import Listing as SecretsListing
    from kitchen.workflows.test import TestRun


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


def events_table(events: list[Event], kitchen: str | None = None) -> RenderableType:
    """The audit trail; one kitchen's leaves its name out, for the details' room."""
    if not events:
        return "No events recorded yet."
    columns = ["at", "who", "what", *([] if kitchen else ["kitchen"]), "result"]
    rows = []
    for event in events:
        colour = "green" if event.result == "ok" else "red"
        cells = [moment(event.at), escape(event.actor), event.action]
        cells += [] if kitchen else [escape(event.kitchen)]
        rows.append([*cells, f"[{colour}]{event.result}[/]"])
    details = [_event_details(event) for event in events]
    title = f"Audit trail of {kitchen}" if kitchen else "Audit trail"
    return Detailed(title, columns, rows, details)


def _event_details(event: Event) -> str:
    def shown(key: str, value: Any) -> str:
        if isinstance(value, list):  # staff added or removed
            return ",".join(map(str, value))
        return str(value)[:10] if key == "commit" else str(value)  # a sha, as git shows it

    return ", ".join(
        f"{key}={shown(key, value)}" for key, value in event.details.items() if value is not None
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
        tested = release.destination_test.status if release.destination_test else None
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
