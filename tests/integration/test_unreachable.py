"""A warehouse that cannot be reached: exit 5 for what needs it, a warning for listings."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kitchen import config
from kitchen.backends.factory import Backends
from kitchen.backends.warehouse.base import Warehouse
from kitchen.errors import WarehouseUnreachable
from kitchen.model import Status
from kitchen.project import Project
from tests.conftest import Cli


@pytest.fixture
def dev_locked(shop: Path) -> Iterator[None]:
    with holding_dev(shop):
        yield


@contextlib.contextmanager
def holding_dev(shop: Path) -> Iterator[int]:
    """Another process holds the dev warehouse file, as a second kitchen command would."""
    path = shop / ".kitchen" / "warehouse" / "dev_warehouse.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('open', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    yield holder.pid
    holder.kill()
    holder.wait()


def test_create_in_an_unreachable_environment_is_exit_5(cli: Cli, shop: Path) -> None:
    with holding_dev(shop) as pid:
        result = cli("create", "blocked")
    assert result.code == 5
    assert f"dev warehouse (DuckDB file {shop}" in result.err and "Traceback" not in result.err
    assert "is open in another program: python" in result.err and f"(PID {pid})" in result.err
    assert "close that one" in result.err


def test_list_reports_the_unreachable_environment_and_shows_the_rest(
    cli: Cli, dev_locked: None
) -> None:
    result = cli("list", "--json")
    assert result.code == 0
    listing = result.json()
    status = {kitchen["name"]: kitchen["status"] for kitchen in listing["kitchens"]}
    assert status == {"dev": "unreachable", "production": "ready"}
    assert any("dev warehouse" in problem for problem in listing["problems"])
    assert "warning:" in result.err


def test_a_kitchen_in_an_unreachable_environment_is_exit_5_not_unknown(
    cli: Cli, shop: Path
) -> None:
    assert cli("create", "feature").code == 0
    with holding_dev(shop):
        result = cli("show", "feature")
    assert result.code == 5 and "dev warehouse" in result.err  # down, not "no kitchen named"


def test_the_checked_out_kitchen_in_an_unreachable_environment_is_exit_5(
    cli: Cli, shop: Path
) -> None:
    assert cli("create", "feature").code == 0  # and checked out
    with holding_dev(shop):
        result = cli("test")
    assert result.code == 5 and "dev warehouse" in result.err
    assert "No kitchen's branch is checked out" not in result.err


class DownInProduction(Backends):
    """The project's own factory, but production's warehouse cannot be reached; counts
    what it opens."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, str]] = []

    def warehouse(
        self, settings: config.Warehouse, local: Path, environment: str, part: str
    ) -> Warehouse:
        self.opened.append((environment, part))
        if environment == "production":
            raise WarehouseUnreachable("The production warehouse is down for this test.")
        return super().warehouse(settings, local, environment, part)


def test_a_project_opens_its_backends_through_the_factory_handed_in(shop: Path) -> None:
    backends = DownInProduction()
    project = Project.load(shop, backends)
    try:
        kitchens, problems = project.kitchens()
        project.kitchens()
        trail = project.events()
    finally:
        project.close()
    assert list(problems) == ["production"]
    assert problems["production"].message == "The production warehouse is down for this test."
    statuses = {kitchen.name: kitchen.status for kitchen in kitchens}
    assert statuses == {"production": Status.UNREACHABLE, "dev": Status.READY}
    assert backends.opened.count(("dev", "warehouse")) == 1  # kept for the command's life
    assert list(trail.problems) == ["production"]  # dev's trail read, production's said
