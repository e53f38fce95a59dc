"""A team on one PostgreSQL warehouse and one git remote: two clones merging at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import hvac

from tests.conftest import LOGINS, Cli, Result, edit_config, record, run_kitchen
from tests.gitrepo import git
from tests.servers import OpenBaoServer, PostgresServer


def share(project: Path, tmp_path: Path) -> Path:
    """Give ``project`` a bare remote and return a colleague's clone of it."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(project, "remote", "add", "origin", str(bare))
    edit_config(project, "project: shop\n", "project: shop\ngit: {remote: origin}\n")
    git(project, "commit", "-qam", "share the project")
    git(project, "push", "-q", "origin", "main", "develop")
    clone = tmp_path / "colleague"
    git(tmp_path, "clone", "-q", "--branch", "develop", str(bare), str(clone))
    shutil.copytree(project / ".kitchen/secrets", clone / ".kitchen/secrets")  # their Vault
    return clone


def test_two_merges_into_one_parent_at_once_both_end_merged(
    capsys, pg_project: Path, tmp_path: Path
) -> None:
    assert Cli(capsys, pg_project)("init", "--demo").code == 0
    colleague = share(pg_project, tmp_path)
    work = {"alpha": pg_project, "beta": colleague}
    for name, repo in work.items():
        assert run_kitchen(repo, "create", name).code == 0
        (repo / f"{name}.md").write_text(f"{name}'s change\n")
        git(repo, "add", f"{name}.md")
        git(repo, "commit", "-qm", f"{name}'s change")
        assert run_kitchen(repo, "test", name).code == 0

    merging = {
        name: subprocess.Popen(
            [sys.executable, "-m", "kitchen", "-C", str(repo), "merge", name, "--yes"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, repo in work.items()
    }
    done = {}
    for name, process in merging.items():
        out, err = process.communicate(timeout=120)
        done[name] = record(("merge", name), Result(process.returncode, out, err))
    assert sorted(result.code for result in done.values()) == [0, 3], done
    (late,) = (name for name, result in done.items() if result.code == 3)
    assert f"kitchen update {late}" in done[late].err  # the parent moved: the gate said so

    repo = work[late]
    assert run_kitchen(repo, "update", late).code == 0
    assert run_kitchen(repo, "test", late).code == 0
    assert run_kitchen(repo, "merge", late, "--yes").code == 0
    remote = tmp_path / "remote.git"
    for name in work:
        assert git(remote, "show", f"develop:{name}.md") == f"{name}'s change"
    merges = git(remote, "log", "--format=%s", "--merges", "develop").splitlines()
    assert sorted(m for m in merges if m.startswith("Merge kitchen")) == [
        "Merge kitchen alpha into dev",
        "Merge kitchen beta into dev",
    ]


def test_a_developer_without_productions_secrets_works_in_dev(
    capsys, pg_project: Path, postgres: PostgresServer, openbao: OpenBaoServer, monkeypatch
) -> None:
    """Production stays closed to developers: their Vault token reads dev's secrets only,
    and creating, showing, testing and merging a dev kitchen never needs production's."""
    admin = hvac.Client(url=openbao.url, token=openbao.root_token)
    team = f"closed-{os.getpid()}-{id(pg_project) % 100000}"
    for environment in ("production", "dev"):
        admin.secrets.kv.v2.create_or_update_secret(
            path=f"{team}/{environment}/masking",
            secret={"salt": f"{environment}-salt-of-the-team"},
            mount_point="secret",
        )
    admin.secrets.kv.v2.create_or_update_secret(
        path=f"{team}/production/warehouse",
        secret={"password": LOGINS[pg_project][1]},
        mount_point="secret",
    )
    admin.sys.create_or_update_policy(
        team,
        f'path "secret/data/{team}/dev/*" {{ capabilities = ["create", "read", "update", '
        f'"delete"] }}\npath "secret/metadata/{team}/dev/*" {{ capabilities = ["list", "read", '
        '"delete"] }\n',
    )
    developer = admin.auth.token.create(policies=[team], ttl="1h")["auth"]["client_token"]
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    for environment in ("production", "dev"):
        edit_config(
            pg_project,
            f"secrets: {{type: file, path: .kitchen/secrets/{environment}.yaml}}",
            f"secrets: {{type: vault, url: '{openbao.url}', path: {team}/{environment}}}",
        )
    edit_config(  # production's password from production's vault, dev's still PGPASSWORD
        pg_project, 'dsn: "host=', 'password: "{{ secret(\'warehouse#password\') }}", dsn: "host='
    )
    git(pg_project, "commit", "-qam", "the team's secrets move to Vault")
    monkeypatch.setenv("VAULT_TOKEN", openbao.root_token)  # DataOps, who may read production
    assert cli("data", "refresh", "dev").code == 0

    monkeypatch.setenv("VAULT_TOKEN", developer)
    created = cli("create", "feature")
    assert created.code == 0, created.err
    assert "production Vault denied access" in created.err  # said, and not checked there
    assert cli("show", "feature").code == 0
    (pg_project / "notes.md").write_text("a developer's change\n")
    git(pg_project, "add", "notes.md")
    git(pg_project, "commit", "-qm", "a developer's change")
    assert cli("test", "feature").code == 0
    merged = cli("merge", "feature", "--yes")
    assert merged.code == 0, merged.err
    trail = cli("log")
    assert trail.code == 0 and "merge" in trail.out and "denied access" in trail.err
    assert cli("show", "production").code == 4  # and production stays closed
    assert cli("doctor").code == 4  # production's secrets are denied: so says doctor
    checked = cli("doctor", "--env", "dev", "--json")  # dev is all a developer has to check
    assert checked.code == 0, checked.out
    assert {backend["environment"] for backend in checked.json()["backends"]} == {"dev"}
