"""kitchen doctor: each kind of inconsistency, made on purpose, found and then repaired."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import duckdb
import hvac
import pytest

from kitchen.faults import CRASH_EXIT
from tests.conftest import Cli, edit_config, run_kitchen, snapshot
from tests.gitrepo import git
from tests.servers import OpenBaoServer, S3Server


def dev_sql(shop: Path, statement: str, params: list[object] | None = None) -> None:
    """Change the dev warehouse behind kitchen's back, as a person or a crash would."""
    connection = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    try:
        connection.execute(statement, params or [])
    finally:
        connection.close()


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def kinds(cli: Cli) -> list[str]:
    return sorted(finding["kind"] for finding in cli("doctor", "--json").json()["findings"])


def crashed_create(cli: Cli, shop: Path) -> None:
    crashed = run_kitchen(shop, "create", "crashy", env={"KITCHEN_FAIL_AT": "create.schema:crash"})
    assert crashed.code == CRASH_EXIT


def stale_lock(cli: Cli, shop: Path) -> None:
    dev_sql(
        shop,
        "INSERT INTO kitchen_meta.locks VALUES ('dev', 'gone@acme.example', ?, ?, ?)",
        ["2026-01-01T00:00:00+00:00", socket.gethostname(), dead_pid()],
    )


def half_made(cli: Cli, shop: Path) -> None:
    dev_sql(shop, "UPDATE kitchen_meta.kitchens SET status = 'failed' WHERE name = 'feature'")


def lost_branch(cli: Cli, shop: Path) -> None:
    assert cli("checkout", "dev").code == 0
    git(shop, "branch", "-D", "kitchen/feature")


def lost_schema(cli: Cli, shop: Path) -> None:
    dev_sql(shop, "DROP SCHEMA feature CASCADE")


def lost_record(cli: Cli, shop: Path) -> None:
    """The registry row of a kitchen goes: its schema and branch are orphans."""
    assert cli("checkout", "dev").code == 0
    dev_sql(shop, "DELETE FROM kitchen_meta.kitchens WHERE name = 'feature'")


def dead_refresh(cli: Cli, shop: Path) -> None:
    crashed = run_kitchen(
        shop, "data", "refresh", "feature", env={"KITCHEN_FAIL_AT": "refresh.staging:crash"}
    )
    assert crashed.code == CRASH_EXIT
    dev_sql(shop, "DELETE FROM kitchen_meta.operations")  # and its journal lost too


def forgotten_secrets(cli: Cli, shop: Path) -> None:
    secrets = shop / ".kitchen/secrets/dev.yaml"
    secrets.write_text(secrets.read_text() + "kitchens/gone/token: not-a-canary\n")


def stray_branch(cli: Cli, shop: Path) -> None:
    git(shop, "branch", "kitchen/stray", "develop")


CASES: dict[str, tuple[Callable[[Cli, Path], None], list[str]]] = {
    "a create killed half-way": (crashed_create, ["interrupted"]),
    "a stale merge lock": (stale_lock, ["stale-lock"]),
    "a kitchen stuck half-made": (half_made, ["half-made"]),
    "a kitchen without its branch": (lost_branch, ["no-branch"]),
    "a kitchen without its schema": (lost_schema, ["no-schema"]),
    "a schema and branch whose kitchen record is gone": (lost_record, ["orphan", "stray-branch"]),
    "a staging schema of a dead refresh": (dead_refresh, ["orphan"]),
    "secrets of a kitchen that is gone": (forgotten_secrets, ["orphan"]),
    "a branch named like a kitchen that no kitchen has": (stray_branch, ["stray-branch"]),
}


@pytest.fixture
def feature(cli: Cli, shop: Path) -> str:
    assert cli("create", "feature").code == 0
    return "feature"


@pytest.mark.parametrize("case", CASES)
def test_doctor_finds_and_repairs(cli: Cli, shop: Path, feature: str, case: str) -> None:
    healthy = cli("doctor", "--json")
    assert healthy.code == 0 and healthy.json()["healthy"], healthy.out
    make, expected = CASES[case]
    make(cli, shop)
    found = cli("doctor", "--json")
    assert found.code == 3 and kinds(cli) == expected, found.out
    repaired = cli("doctor", "--repair", "--json")
    assert repaired.code == 0, repaired.out
    assert all(f["repaired"] for f in repaired.json()["findings"])
    assert cli("doctor", "--json").json() == healthy.json()
    assert cli("show", "dev", "--json").json()["tables"]  # dev's data was never touched


def test_repaired_kitchens_work_again(cli: Cli, shop: Path, feature: str) -> None:
    lost_branch(cli, shop)
    lost_schema(cli, shop)
    assert cli("doctor", "--repair").code == 0
    shown = cli("show", "feature", "--json").json()
    assert sum(table["rows"] for table in shown["tables"]) == 5040
    assert git(shop, "rev-parse", "kitchen/feature") == git(shop, "rev-parse", "develop")


def test_a_branch_with_work_found_nowhere_else_is_kept(cli: Cli, shop: Path) -> None:
    git(shop, "checkout", "-q", "-b", "kitchen/mine", "develop")
    (shop / "mine.md").write_text("work\n")
    git(shop, "add", "mine.md")
    git(shop, "commit", "-qm", "work only here")
    git(shop, "checkout", "-q", "develop")
    result = cli("doctor", "--repair", "--json")
    assert result.code == 3
    (finding,) = result.json()["findings"]
    assert finding["kind"] == "stray-branch" and "git branch -D kitchen/mine" in finding["error"]
    assert git(shop, "rev-parse", "--verify", "kitchen/mine")


def test_a_stale_lock_expires_by_itself(cli: Cli, shop: Path, feature: str) -> None:
    (shop / "notes.md").write_text("notes\n")
    git(shop, "add", "notes.md")
    git(shop, "commit", "-qm", "notes")
    assert cli("test", "feature").code == 0
    stale_lock(cli, shop)
    merged = cli("merge", "feature", "--yes", "--wait", "0", "--no-post-test")
    assert merged.code == 0, merged.err  # the dead holder's lock was taken over


def test_an_unreachable_backend_is_exit_5_and_named(cli: Cli, shop: Path) -> None:
    edit_config(
        shop,
        "warehouse: {type: duckdb, path: .kitchen/warehouse/production_warehouse.duckdb}",
        "warehouse: {type: postgres, host: 127.0.0.1, port: 9, dbname: x, user: x}",
    )
    result = cli("doctor")
    assert result.code == 5
    assert "✗ production warehouse (postgres): " in result.out and "127.0.0.1:9" in result.out
    assert "✓ dev warehouse (duckdb)" in result.out  # the others are still examined
    assert cli("doctor", "--env", "dev").code == 0  # or examined alone
    unknown = cli("doctor", "--env", "prod")
    assert (unknown.code, unknown.err) == (
        2,
        "error: No environment named 'prod'. Did you mean 'production'?\n"
        "hint: kitchen.yaml declares production, dev.\n",
    )


def test_doctor_changes_nothing_without_repair(cli: Cli, shop: Path, feature: str) -> None:
    lost_record(cli, shop)
    before = snapshot(shop)
    assert cli("doctor").code == 3
    assert snapshot(shop) == before


def test_doctor_reaches_vault_and_s3_and_cleans_vault_secrets_of_gone_kitchens(
    cli: Cli,
    shop: Path,
    openbao: OpenBaoServer,
    s3: S3Server,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = hvac.Client(url=openbao.url, token=openbao.root_token)
    leftover = {"path": "doctor/dev/kitchens/gone/api", "mount_point": "secret"}
    admin.secrets.kv.v2.create_or_update_secret(secret={"key": "gone-canary"}, **leftover)
    edit_config(
        shop,
        "secrets: {type: file, path: .kitchen/secrets/dev.yaml}",
        f"secrets: {{type: vault, url: '{openbao.url}', path: doctor/dev}}",
    )
    edit_config(
        shop,
        "artifacts: {type: local, path: .kitchen/artifacts/dev}",
        f"artifacts: {{type: s3, bucket: {s3_bucket}, endpoint_url: '{s3.url}'}}",
    )
    monkeypatch.setenv("VAULT_TOKEN", openbao.root_token)
    found = cli("doctor")
    assert found.code == 3, found.out
    assert "✓ dev secrets (vault)" in found.out and "✓ dev artifacts (s3)" in found.out
    assert "1 secret of kitchen gone" in found.out
    assert cli("doctor", "--repair").code == 0
    with pytest.raises(hvac.exceptions.InvalidPath):
        admin.secrets.kv.v2.read_secret_version(raise_on_deleted_version=True, **leftover)
    monkeypatch.setenv("VAULT_TOKEN", "not-a-token")
    denied = cli("doctor")
    assert denied.code == 4 and "✗ dev secrets (vault)" in denied.out


def test_a_registry_of_an_earlier_version_gets_the_new_locks_table(cli: Cli, shop: Path) -> None:
    dev_sql(shop, "DROP TABLE kitchen_meta.locks")
    dev_sql(
        shop, "CREATE TABLE kitchen_meta.locks (target TEXT PRIMARY KEY, holder TEXT, since TEXT)"
    )
    dev_sql(shop, "DROP TABLE kitchen_meta.migrations")  # that version recorded none
    assert cli("create", "feature").code == 0  # the registry is brought up to date on write
    (shop / "notes.md").write_text("notes\n")
    git(shop, "add", "notes.md")
    git(shop, "commit", "-qm", "notes")
    assert cli("test", "feature").code == 0
    assert cli("merge", "feature", "--yes", "--no-post-test").code == 0


def test_a_root_kitchen_added_to_kitchen_yaml_later_is_set_up_by_repair(
    cli: Cli, shop: Path
) -> None:
    """doctor said "No inconsistency found" while `kitchen list` showed the new root missing."""
    edit_config(
        shop,
        "  dev:\n    warehouse:",
        "  qa:\n    warehouse: {type: duckdb, path: .kitchen/warehouse/qa.duckdb}\n"
        "    secrets: {type: file, path: .kitchen/secrets/qa.yaml}\n"
        "    artifacts: {type: local, path: .kitchen/artifacts/qa}\n"
        "    sensitive: true\n  dev:\n    warehouse:",
    )
    edit_config(
        shop,
        "  dev:\n    environment: dev\n    parent: production",
        "  qa:\n    environment: qa\n    parent: production\n    branch: qa\n"
        "  dev:\n    environment: dev\n    parent: qa",
    )
    found = cli("doctor", "--json")
    assert found.code == 3, found.out
    [finding] = found.json()["findings"]
    assert (finding["kind"], finding["subject"]) == ("root-not-set-up", "qa")
    assert "not set up" in finding["problem"]
    assert cli("doctor", "--repair").code == 0
    assert cli("doctor").code == 0
    assert git(shop, "rev-parse", "qa") == git(shop, "rev-parse", "main")
    assert cli("show", "qa", "--json").json()["status"] == "ready"
    refreshed = cli("data", "refresh", "qa")  # the salt the repair generated masks its copy
    assert refreshed.code == 0 and "masked copy of production" in refreshed.out
