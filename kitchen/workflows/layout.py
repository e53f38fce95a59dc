"""Moving a project's files from an earlier kitchen's layout to today's, on its next command.

Until this release `kitchen init` named each environment's DuckDB file after the
environment (`.kitchen/warehouse/dev.duckdb`), whose root kitchen has the same name: the
file's catalog and that kitchen's schema were both `dev`, and `select * from dev.customers`
failed in every tool but kitchen ("Ambiguous reference to catalog or schema"). The file is
now `<env>_warehouse.duckdb`; a kitchen's schema may not take that name.
"""

from __future__ import annotations

import os
from pathlib import Path

from kitchen import config
from kitchen.errors import ConfigError
from kitchen.project import Project

SUFFIX = "_warehouse"  # of an environment's DuckDB file: dev_warehouse.duckdb
WRITE_AHEAD = (".wal",)  # DuckDB's log beside the file, moved with it


def catalog_name(environment: str) -> str:
    """The DuckDB file's name (its catalog) that `kitchen init` gives an environment."""
    return f"{environment}{SUFFIX}"


def upgrade(project: Project) -> list[str]:
    """Move every DuckDB file of the old layout beside itself under its new name, and point
    kitchen.yaml at it: what was done, to be said. A file that was moved already (by a
    command on another branch, whose kitchen.yaml still names the old one) is only pointed
    at. Both files present is a conflict the user settles."""
    done = []
    for name, environment in project.config.environments.items():
        settings = environment.warehouse
        if not isinstance(settings, config.DuckDBWarehouse):
            continue
        old = Path(settings.path)
        if old.stem != name or old.suffix != ".duckdb":
            continue  # a path the team chose: kept (a kitchen may not take its name)
        new = old.with_name(f"{catalog_name(name)}{old.suffix}")
        here, there = project.local / old, project.local / new
        if here.exists() and there.exists():
            raise ConfigError(
                f"environments.{name}.warehouse: both {old} (the old layout) and {new} exist.",
                hint=f"Keep the one that holds the {name} kitchens' data and delete the other "
                f"(kitchen.yaml should name {new}).",
            )
        if here.exists():
            for extra in ("", *WRITE_AHEAD):
                source = here.with_name(here.name + extra)
                if source.exists():
                    os.replace(source, there.with_name(there.name + extra))
            done.append(f"Moved the {name} warehouse from {old} to {new}")
        _point_config(project, name, settings.path, new.as_posix())
        done.append(
            f"kitchen.yaml: environments.{name}.warehouse.path is now {new.as_posix()} "
            f"(commit it), so that `{name}.<table>` names the schema in the duckdb shell, "
            "notebooks and dbt"
        )
    return done


def _point_config(project: Project, environment: str, old: str, new: str) -> None:
    """Replace the path's one occurrence in kitchen.yaml, leaving the rest as written."""
    path = project.root / config.CONFIG_FILE
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise ConfigError(
            f"environments.{environment}.warehouse.path: kitchen moved the file to {new}, "
            f"but cannot find the one place kitchen.yaml says {old}.",
            hint=f"Set environments.{environment}.warehouse.path: {new} in kitchen.yaml.",
        )
    path.write_text(text.replace(old, new), encoding="utf-8")
