"""Where things may be imported, read from the source: an engine is reached through its
port and its capabilities, git through kitchen's git adapter (whose errors say what failed)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "kitchen"
ENGINES = ("kitchen.backends.warehouse.duckdb", "kitchen.backends.warehouse.postgres")


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules(*skipped: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(PACKAGE.parent)): imports(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if not str(path.relative_to(PACKAGE.parent)).startswith(skipped)
    }


def test_only_the_git_adapter_uses_gitpython() -> None:
    users = [
        name
        for name, found in modules("kitchen/backends/git.py").items()
        if any(module == "git" or module.startswith("git.") for module in found)
    ]
    assert users == []


def test_no_workflow_data_or_command_module_names_an_engine() -> None:
    """A new engine is a settings class and an adapter: nothing above the port imports one."""
    users = [
        name
        for name, found in modules("kitchen/backends/", "kitchen/config.py").items()
        if any(module.startswith(ENGINES) for module in found)
    ]
    assert users == []


def test_the_rules_see_what_they_look_for(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n    from git.exc import GitCommandError\n"
        "    from kitchen.backends.warehouse import duckdb\n"
    )
    found = imports(probe)
    assert "git.exc" in found and "kitchen.backends.warehouse.duckdb" in found
