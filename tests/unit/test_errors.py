from __future__ import annotations

import re
from pathlib import Path

import pytest

from kitchen import errors
from kitchen.errors import ExitCode

README = Path(__file__).parents[2] / "README.md"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.ConfigError, 2),
        (errors.InvalidName, 2),
        (errors.KitchenNotFound, 2),
        (errors.SecretsError, 2),
        (errors.GitError, 3),
        (errors.WarehouseError, 3),
        (errors.ArtifactsError, 3),
        (errors.PreconditionFailed, 3),
        (errors.NotAllowed, 4),
        (errors.WarehouseUnreachable, 5),
        (errors.Unreachable, 5),
        (errors.ChecksFailed, 1),
    ],
)
def test_each_error_maps_to_its_documented_code(
    error: type[errors.KitchenError], code: int
) -> None:
    assert error("x").exit_code == code


def test_unreachable_warehouse_is_still_a_warehouse_error() -> None:
    assert issubclass(errors.WarehouseUnreachable, errors.WarehouseError)


def test_readme_documents_every_exit_code() -> None:
    table = dict(re.findall(r"^\| `(\d+)` \| (.+?) \|$", README.read_text(), re.MULTILINE))
    assert {int(code) for code in table} == {int(code) for code in ExitCode}
