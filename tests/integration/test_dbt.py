"""dbt projects as kitchen pipelines: real dbt (dbt-duckdb, dbt-postgres) on the demo shop,
with tests/fixtures/dbt_shop, a dbt project written for them (a seed, a staging view, a mart
table, tests of error severity and one that warns). No profiles.yml anywhere: kitchen writes
it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest

from tests.conftest import CONFIG_DEV, Cli, edit_config
from tests.gitrepo import git
from tests.integration.test_kitchen_roles import login
from tests.integration.test_notifications import configure
from tests.servers import PostgresServer

FIXTURE = Path(__file__).parents[1] / "fixtures" / "dbt_shop"
BUILT = {
    "build": ("dbt", "passed"),
    "build.channels": ("dbt seed", "passed"),
    "build.stg_orders": ("dbt model", "passed"),
    "build.customer_revenue": ("dbt model", "passed"),
}
TESTS = {
    "not_null_stg_orders_order_id": ("error", "pass"),
    "unique_stg_orders_order_id": ("error", "pass"),
    "not_null_customer_revenue_customer_id": ("error", "pass"),
    "unique_customer_revenue_customer_id": ("error", "pass"),
    "bulk_orders": ("warn", "fail"),  # rows found, and dbt only warns
}


def add_dbt(project: Path) -> Path:
    """The fixture's dbt project as the pipeline dbt_shop, committed."""
    folder = project / "pipelines" / "dbt_shop"
    shutil.copytree(FIXTURE, folder)
    (folder / "pipeline.yaml").write_text("nodes:\n  - {name: build, type: dbt}\n")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "a dbt project")
    return folder


def test_a_dbt_project_runs_with_kitchens_profile_and_every_model_and_test_is_seen(
    cli: Cli,
    shop: Path,
    tmp_path: Path,
    webhook: tuple[str, list[dict[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole `dbt build` was one opaque node: one JUnit case for 9 dbt nodes, no checks,
    a warn test that found rows passed silently (`on: [warned]` never fired), and dbt's
    files dirtied the worktree. The project is new in the kitchen, its seed too: the kitchen
    loads it."""
    url, received = webhook
    monkeypatch.setenv("KITCHEN_REPORT", "1")  # and the run's HTML report shows them all
    configure(shop, url, on=", on: [warned]")
    git(shop, "commit", "-qam", "announce warned runs")
    assert cli("create", "feature").code == 0
    folder = add_dbt(shop)
    junit = tmp_path / "junit.xml"
    run = cli("test", "feature", "--pipeline", "dbt_shop", "--json", "--junit", str(junit))
    assert run.code == 0, run.err
    document = run.json()
    assert {n["node"]: (n["type"], n["status"]) for n in document["nodes"]} == BUILT
    assert {c["name"]: (c["severity"], c["status"]) for c in document["checks"]} == TESTS
    assert said(document) == (
        "built everything (3 built, 5 tests run): no earlier build of dbt_shop.build in "
        "feature or its parents"
    )
    (bulk,) = (c for c in document["checks"] if c["name"] == "bulk_orders")
    assert bulk["metric"] > 0 and bulk["message"] == f"{bulk['metric']} failing rows"
    cases = {case.get("name") for case in ET.parse(junit).getroot().iter("testcase")}
    assert cases == set(BUILT) | set(TESTS)
    # dbt built in the kitchen's schema, and left nothing in the worktree
    warehouse = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    try:
        built = warehouse.execute("SELECT count(*) FROM feature.customer_revenue").fetchone()
    finally:
        warehouse.close()
    assert built is not None and built[0] > 0
    assert git(shop, "status", "--porcelain") == ""
    assert not {"target", "logs", ".user.yml", "profiles.yml"} & {p.name for p in folder.iterdir()}
    # dbt's own artifacts are kept with the run
    runs = shop / ".kitchen/artifacts/dev/kitchens/feature/runs" / document["run_id"]
    kept = runs / "dbt" / "dbt_shop.build"
    assert sorted(path.name for path in kept.iterdir()) == [
        "dbt.log",
        "manifest.json",
        "run_results.json",
    ]
    assert "\x1b[" not in (kept / "dbt.log").read_text()
    after = {node["node"]: node["depends_on"] for node in document["nodes"]}
    assert after["build.customer_revenue"] == ["build.stg_orders"]
    page = (runs / "report.html").read_text()
    parts = re.findall(r'<tr class="dbt-part" data-node="([^"]+)" data-status="(\w+)"', page)
    assert dict(parts) == {name: status for name, (_, status) in BUILT.items() if name != "build"}
    tests = re.findall(r'<tr class="dbt-test" data-status="(\w+)"><td>([^<]+)</td>', page)
    assert {name: status for status, name in tests} == {n: s for n, (_, s) in TESTS.items()}
    assert [message["text"].splitlines()[:2] for message in received] == [
        [
            f"kitchen test feature: warned (run {document['run_id']}, {document['commit'][:10]})",
            f"- build.bulk_orders: {bulk['message']}",
        ]
    ]


def test_a_kitchen_builds_what_changed_since_the_build_its_tables_hold(
    cli: Cli, shop: Path
) -> None:
    """Every `kitchen test` rebuilt every model, where dbt users build what changed and read
    the rest from the environment above (`state:modified+` with `--defer`)."""
    git(shop, "rm", "-rq", "pipelines/shop")  # a dbt team's project: dbt's pipeline alone
    folder = add_dbt(shop)
    dev = cli("test", "dev", "--pipeline", "dbt_shop", "--json").json()
    assert dev["status"] == "passed"
    assert said(dev).startswith("built everything (3 built, 5 tests run): no earlier build")
    assert cli("create", "feature").code == 0
    warehouse = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    try:  # what the kitchen lacks, dbt reads where its state says it is: in dev
        warehouse.execute("DROP VIEW feature.stg_orders")
    finally:
        warehouse.close()
    mart = folder / "models" / "marts" / "customer_revenue.sql"
    mart.write_text(mart.read_text().replace("select ", "select 'v2' as version, "))
    git(shop, "commit", "-qam", "customer_revenue says its version")
    first = cli("test", "feature", "--pipeline", "dbt_shop", "--json")
    assert first.code == 0, first.err
    document = first.json()
    assert built(document) == {"build", "build.customer_revenue"}
    assert (
        said(document)
        == f"built what changed since run {dev['run_id']} of dev (1 built, 5 tests run)"
    )
    assert {check["name"] for check in document["checks"]} == set(TESTS)  # its data is new to them
    mart.write_text(mart.read_text().replace("'v2'", "'v3'"))
    git(shop, "commit", "-qam", "customer_revenue's version 3")
    second = cli("test", "feature", "--pipeline", "dbt_shop", "--json").json()
    assert built(second) == {"build", "build.customer_revenue"}
    assert (
        said(second)
        == f"built what changed since run {document['run_id']} of feature (1 built, 3 tests run)"
    )
    assert {check["name"] for check in second["checks"]} == {  # its tests, and what warned
        "not_null_customer_revenue_customer_id",
        "unique_customer_revenue_customer_id",
        "bulk_orders",
    }
    merged = cli("merge", "feature", "--yes")  # the gate takes the slim run at HEAD
    assert merged.code == 0, merged.err
    after = cli("runs", "dev", "--json").json()["runs"][0]["results"]
    assert built(after) >= {"build", "build.customer_revenue"}
    assert not built(after) & {"build.stg_orders", "build.channels"}  # the merge changed neither
    full = cli("test", "dev", "--pipeline", "dbt_shop", "--full", "--json").json()
    assert built(full) == set(BUILT)
    assert said(full) == "built everything (3 built, 5 tests run): --full asked for it"


def built(document: dict[str, Any], pipeline: str = "dbt_shop") -> set[str]:
    """The dbt node and what it built, of a run's JSON."""
    return {n["node"] for n in document["nodes"] if n["pipeline"] == pipeline}


def said(document: dict[str, Any]) -> str:
    """What the dbt node said it built."""
    (node,) = (n for n in document["nodes"] if (n["pipeline"], n["node"]) == ("dbt_shop", "build"))
    return str(node["message"])


def test_a_failing_dbt_test_fails_the_run_and_the_merge_names_it(cli: Cli, shop: Path) -> None:
    """Its name was only in the tail of a log cut to 4,000 characters full of colour codes."""
    folder = add_dbt(shop)
    assert cli("create", "feature").code == 0
    with (folder / "models" / "schema.yml").open("a") as schema:
        schema.write("      - name: city\n        data_tests: [unique]\n")  # cities repeat
    git(shop, "commit", "-qam", "each customer's city is unique (it is not)")
    run = cli("test", "feature", "--pipeline", "dbt_shop", "--json")
    assert run.code == 1
    document = run.json()
    (node,) = (n for n in document["nodes"] if n["node"] == "build")
    assert node["status"] == "failed"
    assert node["message"].startswith("dbt: unique_customer_revenue_city (")
    assert node["message"].endswith(" failing rows) failed")
    refused = cli("merge", "feature", "--yes")
    assert refused.code == 3
    assert "build.unique_customer_revenue_city failed" in refused.err


def test_dbt_stopping_before_it_runs_says_why_in_one_line(cli: Cli, shop: Path) -> None:
    folder = add_dbt(shop)
    (folder / "models" / "marts" / "broken.sql").write_text("select * from {{ ref('nope') }}\n")
    git(shop, "add", "-A")
    git(shop, "commit", "-qm", "a model of a model that is not there")
    assert cli("create", "feature").code == 0
    run = cli("test", "feature", "--pipeline", "dbt_shop", "--json")
    assert run.code == 1
    (node,) = run.json()["nodes"]
    assert node["message"].startswith("dbt: Encountered an error: Compilation Error")
    assert "depends on a node named 'nope' which was not found" in node["message"]
    assert "\n" not in node["message"]


def test_dbt_on_postgres_builds_as_the_kitchens_login_over_a_tested_parent(
    capsys, pg_project: Path, postgres: PostgresServer
) -> None:
    """The parent's dbt tables came into the kitchen as kitchen's account's, and dbt, as the
    kitchen's login, could not replace them. It builds what changed on dev's build."""
    edit_config(pg_project, ", dbname:", ", kitchen_roles: true, read_parent: true, dbname:")
    cli = Cli(capsys, pg_project)
    assert cli("init", "--demo").code == 0
    folder = add_dbt(pg_project)
    dev = cli("test", "dev", "--pipeline", "dbt_shop", "--json")  # kitchen's own account
    assert dev.code == 0, dev.err
    assert cli("create", "feature").code == 0
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project]), autocommit=True) as admin:
        admin.execute("UPDATE feature.channels SET name = 'as copied'")  # as masking would
    staging = folder / "models" / "staging" / "stg_orders.sql"
    staging.write_text(staging.read_text().replace("select ", "select 2 as version, "))
    git(pg_project, "commit", "-qam", "stg_orders version 2")
    run = cli("test", "feature", "--pipeline", "dbt_shop", "--json")  # it and what is below
    assert run.code == 0, run.err
    done = {n["node"]: (n["type"], n["status"]) for n in run.json()["nodes"]}
    assert done == {k: v for k, v in BUILT.items() if k != "build.channels"}  # dev seeded it
    assert said(run.json()) == (
        f"built what changed since run {dev.json()['run_id']} of dev (2 built, 5 tests run)"
    )
    with psycopg.connect(postgres.dsn(CONFIG_DEV[pg_project])) as connection:
        names = connection.execute("SELECT DISTINCT name FROM feature.channels").fetchall()
        assert names == [("as copied",)]  # the kitchen's copy, not the file's rows again
        owners = connection.execute(
            "SELECT relname, pg_get_userbyid(relowner) FROM pg_class"
            " WHERE relnamespace = 'feature'::regnamespace"
            " AND relname IN ('stg_orders', 'customer_revenue', 'channels') ORDER BY 1"
        ).fetchall()
    mine = login(pg_project, "feature")
    assert owners == [("channels", mine), ("customer_revenue", mine), ("stg_orders", mine)]
    assert git(pg_project, "status", "--porcelain") == ""


def test_kitchen_run_gives_dbt_the_kitchens_profile_in_a_dbt_pipeline(cli: Cli, shop: Path) -> None:
    """`kitchen run -- dbt seed` ran from the repository's root and failed on its profile."""
    folder = add_dbt(shop)
    assert cli("create", "feature").code == 0
    inside = subprocess.run(
        [sys.executable, "-m", "kitchen", "run", "--", "dbt", "seed"],
        cwd=folder / "models",  # anywhere in the pipeline's folder
        capture_output=True,
        text=True,
        check=False,
    )
    assert inside.returncode == 0, inside.stdout + inside.stderr
    warehouse = duckdb.connect(str(shop / ".kitchen/warehouse/dev_warehouse.duckdb"))
    try:
        seeded = warehouse.execute("SELECT count(*) FROM feature.channels").fetchone()
    finally:
        warehouse.close()
    assert seeded == (2,)
    assert git(shop, "status", "--porcelain") == ""  # its target/ and logs/: in .gitignore
    named = cli("run", "--pipeline", "nope", "--", "dbt", "seed")
    assert named.code == 2 and "No pipeline named 'nope'" in named.err


def test_the_demo_in_its_dbt_flavour_builds_from_dev_to_a_merged_kitchen(
    capsys, tmp_path: Path
) -> None:
    """A dbt user sees the whole story on the embedded default: `kitchen init --demo dbt`."""
    folder = tmp_path / "shop"
    folder.mkdir()
    cli = Cli(capsys, folder)
    assert cli("init", "--demo", "dbt").code == 0
    assert (folder / "pipelines" / "shop" / "dbt_project.yml").is_file()
    dev = cli("test", "dev", "--json")
    assert dev.code == 0, dev.err
    assert built(dev.json(), "shop") == {
        "build",
        "build.segments",  # a root kitchen loads the seeds: its kitchens get them with the data
        "build.stg_orders",
        "build.stg_customers",
        "build.profitability",
    }
    tests = {check["name"]: check["status"] for check in dev.json()["checks"]}
    assert tests.pop("large_orders") == "fail"  # it warns: four items or more
    assert len(tests) == 8 and set(tests.values()) == {"pass"}
    (build,) = cli("lineage", "--kitchen", "dev", "--json").json()["nodes"]  # dbt's manifest
    assert build["how"] == "manifest" and build["reads"] == ["customers", "orders", "products"]
    assert build["writes"] == ["profitability", "segments", "stg_customers", "stg_orders"]
    assert git(folder, "status", "--porcelain") == ""
