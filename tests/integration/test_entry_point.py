"""The installed command itself: the demo story, start-up cost, version and help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kitchen import __version__
from tests.conftest import Cli, run_kitchen

# the drivers, git, the config and the registry: what a command that opens a project loads
LAYERS = tuple(  # no command module imports a workflow or a backend until it runs
    f"kitchen.{layer}"
    for layer in (
        "workflows",
        "backends",
        "pipelines",
        "data",
        "reports",
        "journal",
        "project",
        "environments",
    )
)
HEAVY = (
    *("duckdb", "psycopg", "hvac", "boto3", "botocore", "faker", "git", "yaml"),
    *("kitchen.project", "kitchen.config", "kitchen.backends.registry"),
)


def test_kitchen_demo_runs_the_story_and_exits_0_without_any_git_identity(
    tmp_path: Path, monkeypatch
) -> None:
    empty = tmp_path / "empty.gitconfig"  # a new machine: the demo gives its repository one
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    result = run_kitchen(tmp_path, "demo")
    assert result.code == 0, result.err
    for step in (
        "init --demo",
        "create profitability",
        "test profitability",
        "list --tree",
        "merge profitability --yes",
        "promote dev --to production --release v1.0.0",
        "delete profitability",
    ):
        assert f"$ kitchen {step}" in result.out
    assert "one-row-per-customer" in result.out  # the deliberate mistake was caught
    assert result.out.count("passed") >= 2  # and the pipeline passed before and after
    assert "Promoted v1.0.0 to production" in result.out  # the release, printed
    assert "promote  v1.0.0" in result.out  # and listed among the releases, with its approval
    assert "from dev, approved by lead@shop.example, tests passed" in result.out
    assert "The demo ran end to end" in result.out
    assert "Traceback" not in result.err


def test_help_and_version_open_no_project_and_import_no_driver() -> None:
    probe = (
        "import sys\n"
        "from kitchen.cli.main import main\n"
        "for args in (['--help'], ['--version'], ['create', '--help']):\n"
        "    assert main(args) == 0\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        f"print(sorted(m for m in sys.modules if m.startswith({LAYERS!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-2:] == ["[]", "[]"]


def test_version(tmp_path: Path) -> None:
    result = run_kitchen(tmp_path, "--version")
    assert (result.code, result.out.strip()) == (0, f"kitchen {__version__}")


COMMANDS = [
    "init",
    "create",
    "list",
    "show",
    "checkout",
    "delete",
    "demo",
    "run",
    "data scan",
    "data refresh",
    "secrets list",
    "secrets set",
]


def test_every_command_has_help_with_an_example(capsys, tmp_path: Path) -> None:
    """In-process (a process each took 11 s in all); the entry point is tested above."""
    cli = Cli(capsys, tmp_path)
    for command in COMMANDS:
        result = cli(*command.split(), "--help")
        assert result.code == 0, command
        example = result.out[result.out.index("Example:") :]
        assert f"kitchen {command}" in example.splitlines()[0], command


def test_internal_errors_say_they_are_bugs(monkeypatch, capsys) -> None:
    from kitchen.cli.main import main
    from kitchen.workflows import inspect

    def broken(*args: object) -> None:
        raise ValueError("an unexpected state")

    monkeypatch.setattr(inspect, "list_kitchens", broken)
    (Path.cwd() / "kitchen.yaml").write_text(
        (Path(__file__).parents[2] / "kitchen.example.yaml").read_text()
    )
    assert main(["list"]) == 70
    err = capsys.readouterr().err
    assert "This is a bug in kitchen" in err and "ValueError" in err and "Traceback" not in err


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    # kitchen.yaml as a folder: reading it is an OSError that kitchen reports as a config error
    (tmp_path / "kitchen.yaml").mkdir()
    result = run_kitchen(tmp_path, "list")
    assert result.code == 2 and "Traceback" not in result.err
    verbose = run_kitchen(tmp_path, "--verbose", "list")
    assert verbose.code == 2 and "Traceback" in verbose.err
