from __future__ import annotations

import stat
from pathlib import Path

from kitchen.cli.main import main
from tests.conftest import Cli, edit_config, snapshot
from tests.gitrepo import commit, git


def test_init_sets_up_git_config_and_both_root_kitchens(tmp_path: Path, capsys) -> None:
    project = tmp_path / "analytics"
    assert main(["init", str(project)]) == 0
    assert "wrote kitchen.yaml" in capsys.readouterr().out
    assert set(git(project, "branch", "--format=%(refname:short)").split()) == {"main", "develop"}
    assert git(project, "show", "main:kitchen.yaml").startswith("# kitchen.yaml")
    assert ".kitchen/" in (project / ".gitignore").read_text().splitlines()
    assert git(project, "status", "--porcelain") == ""  # local state is git-ignored
    for environment in ("production", "dev"):
        secrets = project / ".kitchen" / "secrets" / f"{environment}.yaml"
        assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    state = snapshot(project)
    assert ("production",) in state["production"]["schemas"]
    assert ("dev",) in state["dev"]["schemas"]
    assert ("dev",) not in state["production"]["schemas"]  # environments are separate files
    assert state["production"]["registry"] == [("production", "ready")]
    assert state["dev"]["registry"] == [("dev", "ready")]


def test_init_twice_changes_nothing_and_says_so(tmp_path: Path, capsys) -> None:
    project = tmp_path / "analytics"
    assert main(["init", str(project)]) == 0
    before = snapshot(project), (project / ".gitignore").read_text(), git(project, "log", "--all")
    capsys.readouterr()
    assert main(["init", str(project)]) == 0
    assert "Nothing to do" in capsys.readouterr().out
    after = snapshot(project), (project / ".gitignore").read_text(), git(project, "log", "--all")
    assert after == before


def test_init_json_lists_changes(tmp_path: Path, capsys) -> None:
    import json

    assert main(["init", str(tmp_path / "p"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["root"] == str(tmp_path / "p")
    assert "wrote kitchen.yaml" in document["changes"]


def test_init_repairs_a_lost_schema(tmp_path: Path, capsys) -> None:
    import duckdb

    project = tmp_path / "p"
    assert main(["init", str(project)]) == 0
    connection = duckdb.connect(str(project / ".kitchen/warehouse/dev_warehouse.duckdb"))
    connection.execute("DROP SCHEMA dev")
    connection.close()
    capsys.readouterr()
    assert main(["init", str(project)]) == 0
    assert "created schema dev in the dev warehouse" in capsys.readouterr().out
    assert ("dev",) in snapshot(project)["dev"]["schemas"]


def test_init_in_an_existing_repository_keeps_its_branch_and_staging(
    tmp_path: Path, capsys
) -> None:
    project = tmp_path / "repo"
    project.mkdir()
    git(project, "init", "-b", "trunk")
    (project / "model.sql").write_text("select 1\n")
    git(project, "add", "model.sql")
    git(project, "commit", "-m", "first")
    (project / "staged.sql").write_text("select 2\n")
    git(project, "add", "staged.sql")
    assert main(["init", str(project)]) == 0
    assert "branch: trunk" in (project / "kitchen.yaml").read_text()
    assert git(project, "show", "--name-only", "--format=", "HEAD").split() == [
        ".gitignore",
        "kitchen.yaml",
    ]
    assert git(project, "diff", "--cached", "--name-only") == "staged.sql"


def test_init_in_a_colleagues_clone_takes_the_root_branches_from_the_remote(
    tmp_path: Path, capsys
) -> None:
    """The embedded default keeps each clone's warehouse to itself: a colleague runs init in
    a fresh clone, which holds only the branch it checked out."""
    project = tmp_path / "analytics"
    assert main(["init", str(project)]) == 0
    commit(project, "dev.sql", "select 1\n")  # on develop
    git(project, "checkout", "-q", "-b", "kitchen/work")
    commit(project, "work.sql", "select 2\n")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))  # on kitchen/work
    capsys.readouterr()
    assert main(["-C", str(clone), "init"]) == 0
    assert "created branch develop for kitchen dev from origin" in capsys.readouterr().out
    for branch in ("main", "develop"):  # not kitchen/work's tip, nor main's for develop
        assert git(clone, "rev-parse", branch) == git(project, "rev-parse", branch)


def test_init_beside_an_empty_pipelines_folder(tmp_path: Path, capsys) -> None:
    """git refused to commit the empty folder: init stopped with exit 3, half done."""
    project = tmp_path / "p"
    (project / "pipelines").mkdir(parents=True)
    assert main(["init", str(project)]) == 0, capsys.readouterr().err
    assert git(project, "show", "--name-only", "--format=", "main").split() == [
        ".gitignore",
        "kitchen.yaml",
    ]
    (project / "pipelines" / "orders.yaml").write_text("name: orders\n")
    git(project, "checkout", "-q", "main")
    assert main(["init", str(project)]) == 0  # a pipeline added later is committed
    assert "pipelines/orders.yaml" in git(project, "show", "--name-only", "--format=", "main")


def test_init_refuses_a_folder_inside_another_repository(tmp_path: Path, capsys) -> None:
    outer = tmp_path / "outer"
    assert main(["init", str(outer)]) == 0
    capsys.readouterr()
    assert main(["init", str(outer / "inner")]) == 3
    assert "inside the git repository" in capsys.readouterr().err
    assert not (outer / "inner" / "kitchen.yaml").exists()


def test_init_without_a_git_identity_makes_nothing(tmp_path: Path, capsys, monkeypatch) -> None:
    (tmp_path / "home" / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    project = tmp_path / "analytics"
    assert main(["init", str(project), "--demo"]) == 2
    assert "Cannot tell who you are" in capsys.readouterr().err
    assert not project.exists()  # no repository, no kitchen.yaml to trip over next time
    monkeypatch.setenv("KITCHEN_USER", "ann@acme.example")
    assert main(["init", str(project)]) == 0
    assert snapshot(project)["dev"]["registry"] == [("dev", "ready")]


def test_demo_data_is_in_production_and_masked_into_dev(cli: Cli) -> None:
    shown = cli("show", "dev", "--json")
    assert shown.code == 0
    dev = shown.json()
    tables = {table["name"]: table["rows"] for table in dev["tables"]}
    assert tables == {"customers": 1000, "orders": 4000, "products": 40}
    assert dev["data"]["masked"] is True and dev["data"]["source"] == "production"
    assert dev["data"]["rules"] == 5 and dev["data"]["problems"] == []
    production = cli("show", "production", "--json").json()
    assert {t["name"]: t["rows"] for t in production["tables"]} == tables
    assert production["data"]["source"] is None
    assert "masking verified" in cli("show", "dev").out


def test_a_failed_masking_check_fails_the_create_and_keeps_nothing(cli: Cli, shop: Path) -> None:
    edit_config(
        shop,
        "customers.phone: phone",
        'customers.phone: phone\n      customers.city: {sql: "{column}"}',
    )
    result = cli("create", "hotfix", "--parent", "production")
    assert result.code == 1
    assert "Masking check failed in hotfix: customers.city: 8 original values present" in result.err
    assert "nothing was left behind" in result.err
    assert cli("show", "hotfix").code == 2
    failed = cli("create", "hotfix", "--parent", "production", "--json")
    assert failed.code == 1 and "customers.city: 8 original values present" in failed.out


def test_sensitive_environment_without_a_salt_is_exit_2(cli: Cli, shop: Path) -> None:
    secrets = shop / ".kitchen" / "secrets" / "production.yaml"
    secrets.write_text("{}\n")
    result = cli("create", "hotfix", "--parent", "production")
    assert result.code == 2 and "masking#salt" in result.err


def test_a_salt_short_enough_to_guess_is_exit_2_without_showing_it(cli: Cli, shop: Path) -> None:
    """A salt of a few characters is all but a default: one known original and its masked
    form let anyone try every salt that short, then unmask every other value."""
    secrets = shop / ".kitchen" / "secrets" / "production.yaml"
    secrets.write_text("masking#salt: Zq9x\n")
    before = snapshot(shop)
    result = cli("create", "hotfix", "--parent", "production")
    assert result.code == 2, result.err
    assert "production salt (masking#salt) has 4 characters" in " ".join(result.err.split())
    assert "Zq9x" not in result.err + result.out and snapshot(shop) == before


def test_missing_config_is_exit_2_with_a_hint(tmp_path: Path, capsys) -> None:
    assert main(["-C", str(tmp_path), "list"]) == 2
    err = capsys.readouterr().err
    assert "No kitchen.yaml" in err and "kitchen init" in err and "Traceback" not in err


def test_broken_config_names_file_key_and_line(cli: Cli, shop: Path) -> None:
    edit_config(shop, "protected: true", "protected: true\n    colour: red")
    result = cli("list")
    assert result.code == 2
    assert "kitchen.yaml:" in result.err and "kitchens.production.colour: unknown key" in result.err
    assert "Traceback" not in result.err


def test_the_team_example_resolves_its_password_from_vault(tmp_path: Path, capsys) -> None:
    example = Path(__file__).parents[2] / "kitchen.example.yaml"
    (tmp_path / "kitchen.yaml").write_text(example.read_text())
    assert main(["-C", str(tmp_path), "show", "dev"]) == 2  # its CA bundle is not here
    err = capsys.readouterr().err
    assert "environments.dev.secrets.ca_cert: no file /etc/ssl/certs/acme-ca.pem" in err
    edit_config(tmp_path, "      ca_cert: /etc/ssl/certs/acme-ca.pem\n", "")
    assert main(["-C", str(tmp_path), "show", "dev"]) == 4  # no Vault login yet
    err = capsys.readouterr().err
    assert "No Vault token for the dev environment" in err and "bao login" in err


def test_invalid_postgres_dsn_is_a_config_error(tmp_path: Path, capsys) -> None:
    example = (Path(__file__).parents[2] / "kitchen.example.yaml").read_text()
    broken = example.replace("postgresql://kitchen@dev-db.internal:5432/analytics", "host=a = b")
    # no secret to resolve first: dev's password as text
    broken = broken.replace("password: \"{{ secret('warehouse#password') }}\"  #", "password: x  #")
    (tmp_path / "kitchen.yaml").write_text(broken)
    assert main(["-C", str(tmp_path), "show", "dev"]) == 2
    assert "environments.dev.warehouse.dsn: not a valid" in capsys.readouterr().err
