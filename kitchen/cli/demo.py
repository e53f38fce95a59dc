"""`kitchen demo`: the kitchen story, told by running the real commands in a temporary folder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.markup import escape
from rich.rule import Rule

from kitchen.backends.git import Git
from kitchen.cli.console import Console

DEMO_USER = "demo@kitchen.example"

MART = Path("pipelines/shop/mart.sql")
CORRECT, MISTAKE = "group by e.customer_id;", "group by e.customer_id, e.order_id;"
REVENUE = "sum(e.amount) as revenue,"
IMPROVED = f"{REVENUE}\n       round(avg(e.amount), 2) as average_order,"
APPROVAL = ["--approved-by", "lead@shop.example"]  # production's approver in the demo config


@dataclass(frozen=True)
class Step:
    story: str
    args: list[str]
    expect: int = 0  # the exit code this step should end with
    edit: tuple[str, str] | None = None  # (old, new) in the mart's SQL before the step
    commit: str | None = None  # commit the edited mart with this message before the step


STORY: tuple[Step, ...] = (
    Step(
        "Set up a project: git, kitchen.yaml, two root kitchens (production and dev), a "
        "demo shop loaded into production and copied, masked, into dev, and a pipeline.",
        ["init", "--demo"],
    ),
    Step(
        "Production's customers: real names, emails and phones (in a real team, only "
        "production engineers see these).",
        ["show", "production", "--rows", "3", "--table", "customers"],
    ),
    Step(
        "The same customers in dev: fake names, emails and phones, computed inside the "
        "warehouse, verified to contain no original value, and still joined to their orders.",
        ["show", "dev", "--rows", "3", "--table", "customers"],
    ),
    Step(
        "A data engineer starts work on customer profitability: a kitchen of their own, "
        "branched from dev with a copy of dev's (masked) data.",
        ["create", "profitability", "--parent", "dev", "--ttl", "7d"],
    ),
    Step(
        "They run the pipeline (staging SQL, Python enrichment, a mart) and its ten checks "
        "in their kitchen. The SPC check has no history yet, and says so.",
        ["test", "profitability"],
    ),
    Step(
        "A deliberate mistake: the mart groups by order as well as customer. A check catches "
        "it, and kitchen test exits 1.",
        ["test", "profitability"],
        expect=1,
        edit=(CORRECT, MISTAKE),
    ),
    Step(
        "Fixed, and improved: the mart now also reports each customer's average order. The "
        "change is committed on the kitchen's branch and the checks pass again.",
        ["test", "profitability"],
        edit=(MISTAKE, CORRECT),
        commit="Profitability: average order per customer",
    ),
    Step(
        "Their kitchen: data, branch, and a passing run that covers its HEAD.",
        ["show", "profitability"],
    ),
    Step(
        "What merging into dev would bring, computed without touching the worktree.",
        ["merge", "profitability", "--preview"],
    ),
    Step(
        "Merged into dev through the gates (up to date with dev, tested at HEAD, staff): a "
        "--no-ff commit with trailers naming the kitchen and the run; then dev's tests run.",
        ["merge", "profitability", "--yes"],
    ),
    Step(
        "A release: production is protected, so one of its approvers who did not write the "
        "change approves. Tagged, recorded, and tested with production's credentials.",
        ["promote", "dev", "--to", "production", "--release", "v1.0.0", "--yes", *APPROVAL],
    ),
    Step("Production's releases.", ["releases", "production"]),
    Step("The audit trail of the kitchen's life.", ["log", "profitability"]),
    Step(
        "Merged, so deleting it loses nothing: its schema, branch and record go.",
        ["delete", "profitability", "--yes"],
    ),
    Step("Back to the two root kitchens, with the change released.", ["list", "--tree"]),
)


def run_demo(console: Console, command: Callable[[Sequence[str]], int], keep: bool = False) -> int:
    folder = Path(tempfile.mkdtemp(prefix="kitchen-demo-"))
    console.show(f"[bold]kitchen demo[/] in {escape(str(folder))}")
    _prepare_repository(folder)
    try:
        for number, step in enumerate(STORY, start=1):
            console.show(Rule(f"step {number} of {len(STORY)}", align="left", style="dim"))
            console.show(escape(step.story))
            if step.edit:
                mart = folder / MART
                mart.write_text(mart.read_text().replace(*step.edit))
                console.show(f"[dim]edited {MART}: {escape(step.edit[1])}[/]")
            if step.commit:
                mart = folder / MART
                mart.write_text(mart.read_text().replace(REVENUE, IMPROVED))
                Git.open(folder).commit_paths([str(MART)], step.commit)
                console.show(f"[dim]$ git commit -m {escape(repr(step.commit))}[/]")
            console.show(f"[bold cyan]$ kitchen {escape(' '.join(step.args))}[/]")
            code = command(["-C", str(folder), *step.args])
            if code != step.expect:
                console.err.print(
                    f"[red]The demo stopped: step {number} exited with {code}, "
                    f"not {step.expect}.[/]"
                )
                return code or 1
        console.show(Rule(style="dim"))
        console.success("The demo ran end to end. Start your own with: kitchen init --demo DIR")
    finally:
        if keep:
            console.show(f"The demo project is kept in {escape(str(folder))}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def _prepare_repository(folder: Path) -> None:
    """A repository with a local identity, so the demo runs on a machine without git config."""
    repo = Git.init(folder, initial_branch="main").repo
    with repo.config_writer() as writer:
        writer.set_value("user", "name", "Kitchen Demo")
        writer.set_value("user", "email", DEMO_USER)
