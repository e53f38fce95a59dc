"""`kitchen demo`: the kitchen story, told by running the real commands in a temporary folder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.markup import escape
from rich.rule import Rule

from kitchen.backends.git import Git
from kitchen.cli.console import Console

DEMO_USER = "demo@kitchen.example"

STORY: tuple[tuple[str, list[str]], ...] = (
    (
        "Set up a project: git, kitchen.yaml, and two root kitchens (production and dev), "
        "with a demo shop loaded into production and copied, masked, into dev.",
        ["init", "--demo"],
    ),
    (
        "Production's customers: real names, emails and phones (in a real team, only "
        "production engineers see these).",
        ["show", "production", "--rows", "3", "--table", "customers"],
    ),
    (
        "The same customers in dev: fake names, emails and phones, computed inside the "
        "warehouse, verified to contain no original value, and still joined to their orders.",
        ["show", "dev", "--rows", "3", "--table", "customers"],
    ),
    (
        "A data engineer starts work on customer profitability: a kitchen of their own, "
        "branched from dev with a copy of dev's (masked) data.",
        ["create", "profitability", "--parent", "dev", "--ttl", "7d"],
    ),
    ("Their kitchen, ready to work in.", ["show", "profitability"]),
    ("The kitchen tree mirrors the git branches.", ["list", "--tree"]),
    ("Done: delete the kitchen (schema, branch and record).", ["delete", "profitability", "--yes"]),
    ("Back to the two root kitchens.", ["list", "--tree"]),
)


def run_demo(console: Console, command: Callable[[Sequence[str]], int], keep: bool = False) -> int:
    folder = Path(tempfile.mkdtemp(prefix="kitchen-demo-"))
    console.show(f"[bold]kitchen demo[/] in {escape(str(folder))}")
    _prepare_repository(folder)
    try:
        for number, (story, args) in enumerate(STORY, start=1):
            console.show(Rule(f"step {number} of {len(STORY)}", align="left", style="dim"))
            console.show(escape(story))
            console.show(f"[bold cyan]$ kitchen {escape(' '.join(args))}[/]")
            code = command(["-C", str(folder), *args])
            if code:
                console.err.print(f"[red]The demo stopped: step {number} exited with {code}.[/]")
                return code
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
