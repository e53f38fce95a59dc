"""kitchen secrets list/set and kitchen run, on the embedded default, PostgreSQL and OpenBao."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import hvac
import pytest

from tests.conftest import USER, Cli, edit_config, run_kitchen
from tests.gitrepo import commit
from tests.servers import OpenBaoServer

PRINT_ENV = (
    "import json, os; print(json.dumps({k: v for k, v in os.environ.items()"
    " if k.startswith(('KITCHEN_', 'PG', 'DBT_'))}))"
)


def set_secret(cli: Cli, monkeypatch: pytest.MonkeyPatch, *args: str, value: str):
    monkeypatch.setattr(sys, "stdin", io.StringIO(value + "\n"))
    return cli("secrets", "set", *args)


def test_set_writes_the_kitchens_own_path_and_list_says_where_from(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("create", "feature").code == 0
    assert set_secret(cli, monkeypatch, "feature", "dbt#token", value="tok-canary-7").code == 0
    listing = cli("secrets", "list", "feature", "--json")
    assert listing.json()["secrets"] == [
        {"key": "dbt#token", "from": "kitchen"},
        {"key": "masking#salt", "from": "environment"},
    ]
    assert "tok-canary-7" not in listing.out + cli("secrets", "list", "feature").out
    assert "kitchens/feature/dbt#token" in (shop / ".kitchen/secrets/dev.yaml").read_text()
    assert cli("secrets", "list", "dev", "--json").json()["secrets"] == [
        {"key": "masking#salt", "from": "environment"}  # another kitchen's secrets stay its own
    ]


def test_set_refusals(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("create", "mine", "--staff", USER).code == 0
    assert set_secret(cli, monkeypatch, "mine", "../escape#x", value="v").code == 2
    assert set_secret(cli, monkeypatch, "mine", "a#b", value="").code == 2
    short = set_secret(cli, monkeypatch, "mine", "a#b", value="7-chars")
    assert short.code == 2 and "fewer than 8 characters" in short.err
    assert cli("secrets", "list", "mine", "--json").json()["secrets"] == [
        {"key": "masking#salt", "from": "environment"}  # nothing was stored
    ]
    monkeypatch.setenv("KITCHEN_USER", "intruder@elsewhere.io")
    assert set_secret(cli, monkeypatch, "mine", "a#b", value="v-canary-long").code == 4


def test_run_injects_the_kitchen_and_passes_the_exit_code_through(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit_config(
        shop,
        "    sensitive: false\n",
        "    sensitive: false\n    env: {DBT_TOKEN: \"{{ secret('dbt#token') }}\"}\n",
    )
    assert cli("create", "feature").code == 0
    assert set_secret(cli, monkeypatch, "feature", "dbt#token", value="tok-canary-8").code == 0
    result = run_kitchen(
        shop, "run", "feature", "--", sys.executable, "-c", PRINT_ENV, tool_output=True
    )
    assert result.code == 0, result.err
    seen = json.loads(result.out)
    assert seen["KITCHEN_NAME"] == "feature" and seen["KITCHEN_SCHEMA"] == "feature"
    assert seen["KITCHEN_ENV"] == "dev" and seen["KITCHEN_BRANCH"] == "kitchen/feature"
    assert seen["KITCHEN_DUCKDB"].endswith(".kitchen/warehouse/dev_warehouse.duckdb")
    assert seen["DBT_TOKEN"] == "tok-canary-8"  # the kitchen's own value before the env's
    exit_seven = run_kitchen(shop, "run", "--", sys.executable, "-c", "raise SystemExit(7)")
    assert exit_seven.code == 7  # and the checked-out kitchen is the default
    query = "import duckdb, os; c = duckdb.connect(os.environ['KITCHEN_DUCKDB']); "
    query += "print(c.execute('select count(*) from feature.orders').fetchone()[0])"
    assert run_kitchen(shop, "run", "--", sys.executable, "-c", query).out.strip() == "4000"


HANDLES_CTRL_C = """
import signal, sys, time
cancelled = []
signal.signal(signal.SIGINT, lambda *_: cancelled.append(1))
print("ready", flush=True)
while not cancelled:  # not signal.pause(): Ctrl-C between the test and the pause is lost
    time.sleep(0.05)
print("cancelled its query and went on", flush=True)
sys.exit(3)
"""


def test_run_leaves_ctrl_c_to_the_tool(shop: Path) -> None:
    """Ctrl-C reaches the whole foreground group: kitchen killed the tool (psql cancelling a
    query, a REPL its line) and exited 130 itself."""
    kitchen = [sys.executable, "-m", "kitchen", "-C", str(shop), "run", "--"]
    tool = subprocess.Popen(
        [*kitchen, sys.executable, "-c", HANDLES_CTRL_C],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal's foreground job
    )
    assert tool.stdout is not None and tool.stdout.readline() == "ready\n"
    os.killpg(tool.pid, signal.SIGINT)
    out, _ = tool.communicate(timeout=30)
    assert "cancelled its query and went on" in out
    assert tool.returncode == 3  # the tool's own exit code


def test_run_says_a_tool_killed_by_a_signal_as_shells_do(shop: Path) -> None:
    assert run_kitchen(shop, "run", "--", "sh", "-c", "kill -TERM $$").code == 128 + 15


def test_run_refusals(cli: Cli, tmp_path: Path) -> None:
    assert cli("run", "dev", "echo").code == 2  # no --
    assert cli("run", "dev", "--").code == 2  # no command
    assert cli("run", "a", "b", "--", "echo").code == 2
    assert cli("run", "nope", "--", "echo").code == 2
    missing = cli("run", "--", "no-such-tool-anywhere")  # as env(1) and shells say it
    assert missing.code == 127 and "Command not found: no-such-tool-anywhere." in missing.err
    script = tmp_path / "not-executable.sh"
    script.write_text("echo hi\n")
    assert cli("run", "--", str(script)).code == 126


def test_run_on_postgres_connects_as_kitchen_does(capsys, pg_project: Path) -> None:
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    assert cli("create", "feature").code == 0
    probe = (
        "import psycopg; c = psycopg.connect(''); "  # libpq reads the PG* variables
        "print(c.execute('select current_schema(), count(*) from orders').fetchone())"
    )
    result = run_kitchen(pg_project, "run", "feature", "--", sys.executable, "-c", probe)
    assert result.code == 0, result.err
    assert result.out.strip() == "('feature', 4000)"


def test_environments_backed_by_vault(
    capsys, tmp_path: Path, openbao: OpenBaoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = hvac.Client(url=openbao.url, token=openbao.root_token)
    for environment in ("production", "dev"):
        admin.secrets.kv.v2.create_or_update_secret(
            path=f"team/{environment}/masking",
            secret={"salt": f"{environment}-salt-canary"},
            mount_point="secret",
        )
    admin.sys.create_or_update_policy(
        "team-dev",
        'path "secret/data/team/dev/*" { capabilities = ["create", "read", "update"] }\n'
        'path "secret/metadata/team/dev/*" { capabilities = ["list", "read"] }\n',
    )
    project = tmp_path / "team"
    assert Cli(capsys, project)("init", "--demo").code == 0  # embedded first, then move to Vault
    for environment in ("production", "dev"):
        edit_config(
            project,
            f"secrets: {{type: file, path: .kitchen/secrets/{environment}.yaml}}",
            f"secrets: {{type: vault, url: '{openbao.url}', path: team/{environment}}}",
        )
    monkeypatch.setenv("VAULT_TOKEN", openbao.root_token)
    cli = Cli(capsys, project)
    assert cli("data", "refresh", "dev").code == 0  # production's salt now comes from Vault
    assert cli("create", "feature").code == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("kitchen-canary\n"))
    assert cli("secrets", "set", "feature", "api#key").code == 0
    assert admin.secrets.kv.v2.read_secret_version(
        path="team/dev/kitchens/feature/api", mount_point="secret", raise_on_deleted_version=True
    )["data"]["data"] == {"key": "kitchen-canary"}
    listed = cli("secrets", "list", "feature", "--json").json()["secrets"]
    assert {"key": "api#key", "from": "kitchen"} in listed
    monkeypatch.setenv(
        "VAULT_TOKEN", admin.auth.token.create(policies=["team-dev"])["auth"]["client_token"]
    )
    denied = cli("create", "hotfix", "--parent", "production")  # needs production's salt
    assert denied.code == 4 and "secret/team/production/masking" in denied.err
    assert cli("create", "feature-two").code == 0  # inside dev the developer is at home
    assert "canary" not in denied.out + denied.err


# quotes, XML's and the shell's specials, a backslash, a newline, non-ASCII letters
HOSTILE = "canary-q\"u'o&t<e>s\\ä€\n$(rm -rf /);`x`|{x}%s"


def test_a_secret_full_of_specials_leaves_no_trace(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node prints it and fails, a check's query returns it where a number belongs: the
    terminal, --json, the JUnit file, report.json and the node's log hold no trace of it
    (the canary check reads them all, escaped or not)."""
    assert cli("create", "feature").code == 0
    assert set_secret(cli, monkeypatch, "feature", "api#token", value=HOSTILE).code == 0
    (shop / "pipelines" / "api").mkdir()
    commit(
        shop,
        "pipelines/api/pipeline.yaml",
        'nodes:\n  - {name: call, type: shell, command: \'printf "%s" "$TOKEN"; exit 1\','
        " env: {TOKEN: \"{{ secret('api#token') }}\"}}\n"
        "  - name: look\n    type: shell\n    command: 'true'\n    tests:\n"
        "      - {name: token, check: {type: sql, expect: 1,"
        " query: \"SELECT $k${{ secret('api#token') }}$k$\"}}\n",
    )
    result = cli("test", "feature", "--json", "--junit", str(shop / "junit.xml"))
    assert result.code == 1
    (call,) = [node for node in result.json()["nodes"] if node["node"] == "call"]
    assert call["output"] == "***"
    (token,) = [check for check in result.json()["checks"] if check["name"] == "token"]
    assert token["status"] == "error" and "'***'" in token["message"]
    assert "***" in (shop / "junit.xml").read_text()
    written = [p for p in (shop / ".kitchen" / "artifacts").rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"report.json", "junit.xml", "api.call.log"}
