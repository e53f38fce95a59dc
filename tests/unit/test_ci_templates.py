"""The CI templates: valid YAML whose kitchen commands exist (tests, merges, schedules),
with options kitchen knows, non-interactive (--yes where a command asks) and printing JSON."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.main import get_command

from kitchen.cli.main import app

TEMPLATES = Path(__file__).parents[2] / "templates" / "ci"
FILES = sorted(p for p in TEMPLATES.rglob("*") if p.is_file())
ASKING = {"merge", "promote", "rollback", "delete"}  # commands that confirm on a terminal


def scripts(node: object) -> list[str]:
    """Every shell line in a workflow: `run:` steps (GitHub) and `script:` and `after_script:`
    lists (GitLab)."""
    if isinstance(node, dict):
        found = [node["run"]] if isinstance(node.get("run"), str) else []
        for key in ("script", "after_script"):
            if isinstance(node.get(key), list):
                found += node[key]
        return found + [line for value in node.values() for line in scripts(value)]
    if isinstance(node, list):
        return [line for item in node for line in scripts(item)]
    return []


def kitchen_commands(path: Path) -> list[list[str]]:
    lines = "\n".join(scripts(yaml.safe_load(path.read_text()))).splitlines()
    found = []
    for line in lines:
        if re.match(r"\s*kitchen ", line):
            words = shlex.split(line.split(">")[0])
            found.append(words[1:])
    return found


def test_there_is_a_github_and_a_gitlab_template() -> None:
    assert {p.parent.name for p in FILES} == {"github", "gitlab"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_each_template_tests_and_merges_non_interactively_with_json(path: Path) -> None:
    commands = kitchen_commands(path)
    used_commands = {words[0] for words in commands}
    allowed = {"test", "merge", "schedule", "runs", "report", "dashboard"}
    assert {"test", "merge", "schedule", "report", "dashboard"} <= used_commands <= allowed
    group = get_command(app)
    for words in commands:
        command = group.commands[words[0]]  # type: ignore[attr-defined]
        if words[0] == "schedule":  # a group: its subcommand's options
            command = command.commands[words[1]]
        known = {option for param in command.params for option in param.opts}
        used = {word for word in words if word.startswith("--")}
        assert used <= known, f"{path}: unknown options {used - known}"
        assert "--json" in used or "--out" in used  # what it says, or the file it writes
        if words[0] in ASKING and "--preview" not in used:  # a preview asks nothing
            assert "--yes" in used


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_each_template_posts_the_review_on_the_kitchens_request(path: Path) -> None:
    """The preview and the checks, as one comment updated on each push (docs/ci.md)."""
    lines = "\n".join(scripts(yaml.safe_load(path.read_text())))
    assert re.search(r"kitchen merge \S+ --preview --json > preview\.json \|\| true", lines)
    assert "python -m kitchen.review preview.json" in lines
