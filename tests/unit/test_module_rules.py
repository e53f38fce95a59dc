"""Where things may be imported, read from the source: an engine is reached through its
port and its capabilities, git through kitchen's git adapter (whose errors say what failed)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).parents[2] / "kitchen"
ENGINES = tuple(f"kitchen.backends.warehouse.{name}" for name in ("duckdb", "postgres", "spark"))


def imports(path: Path, *, typing: bool = True) -> set[str]:
    """Every module ``path`` imports, at its top or inside a function; ``typing``: those
    under ``if TYPE_CHECKING:`` too (read by mypy only)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if not typing:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
                node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules(*skipped: str, typing: bool = True) -> dict[str, set[str]]:
    return {
        str(path.relative_to(PACKAGE.parent)): imports(path, typing=typing)
        for path in sorted(PACKAGE.rglob("*.py"))
        if not str(path.relative_to(PACKAGE.parent)).startswith(skipped)
    }


def dotted(name: str) -> str:
    """kitchen/workflows/merge.py as Python names it: kitchen.workflows.merge."""
    return name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def cycles(found: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another, each sorted. A module's own packages
    do not count: Python runs them before it, whatever it imports."""
    graph = nx.DiGraph()
    known = {dotted(name) for name in found}
    for name, imported in found.items():
        module = dotted(name)
        graph.add_node(module)
        for other in imported & known:
            if not module.startswith(f"{other}."):
                graph.add_edge(module, other)
    groups = nx.strongly_connected_components(graph)
    return sorted(sorted(group) for group in groups if len(group) > 1)


def test_only_the_git_adapter_uses_gitpython() -> None:
    users = [
        name
        for name, found in modules("kitchen/backends/git/").items()
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


def test_no_modules_import_one_another_even_inside_functions() -> None:
    """Each multi-step command owns its steps and their repair; recovery only dispatches,
    so no command needs recovery to import it back. What mypy alone reads does not count."""
    assert cycles(modules(typing=False)) == []


def test_the_rules_see_what_they_look_for(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "def f():\n    from git.exc import GitCommandError\n"
        "    from kitchen.backends.warehouse import duckdb\n"
    )
    found = imports(probe)
    assert "git.exc" in found and "kitchen.backends.warehouse.duckdb" in found


def test_a_cycle_through_a_function_is_one_and_a_type_only_import_is_not(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    import kitchen.b\n")
    (tmp_path / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import kitchen.c\n"
        "import kitchen.a\n"
    )
    (tmp_path / "c.py").write_text("import kitchen.b\n")
    found = {
        f"kitchen/{name}.py": imports(tmp_path / f"{name}.py", typing=False)
        for name in ("a", "b", "c")
    }
    assert cycles(found) == [["kitchen.a", "kitchen.b"]]
