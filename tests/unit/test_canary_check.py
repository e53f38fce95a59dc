from __future__ import annotations

import tempfile
from pathlib import Path

from tests.conftest import leaked, written


def test_the_suite_wide_canary_check_finds_a_leak() -> None:
    printed = [("show dev", "masked copy of production"), ("run x", "password=pw-canary-9 ok")]
    assert leaked(printed) == ["kitchen run x: ['pw-canary-9']"]
    assert leaked(printed[:1]) == []


def test_the_check_reads_what_kitchen_wrote_but_not_the_secrets_files() -> None:
    with tempfile.TemporaryDirectory() as folder:  # outside the suite's own folders
        base = Path(folder)
        report = base / "shop/.kitchen/artifacts/dev/feature/run1/report.json"
        secrets = base / "shop/.kitchen/secrets/dev.yaml"
        for path, text in ((report, '{"dsn": "pw-canary-3"}'), (secrets, "salt: s-canary-4\n")):
            path.parent.mkdir(parents=True)
            path.write_text(text)
        files = written(base)
    assert [name for name, _ in files] == ["shop/.kitchen/artifacts/dev/feature/run1/report.json"]
    assert leaked(files) == [
        "kitchen shop/.kitchen/artifacts/dev/feature/run1/report.json: ['pw-canary-3']"
    ]
