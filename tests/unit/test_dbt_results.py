"""How dbt's run_results.json and manifest.json become a node's parts and checks."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from kitchen.pipelines import dbt


def write(target: Path, results: list[dict[str, object]], nodes: dict[str, object]) -> Path:
    target.mkdir()
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    return target


def test_models_seeds_and_tests_of_every_status(tmp_path: Path) -> None:
    nodes = {
        "model.shop.stg": {"resource_type": "model", "name": "stg"},
        "model.shop.mart": {"resource_type": "model", "name": "mart"},
        "seed.shop.channels": {"resource_type": "seed", "name": "channels"},
        "test.shop.unique_stg_id.1a": {
            "resource_type": "test",
            "name": "unique_stg_id",
            "config": {"severity": "ERROR"},
        },
        "test.shop.few_rows.2b": {
            "resource_type": "test",
            "name": "few_rows",
            "config": {"severity": "warn"},
        },
        "test.shop.not_null_mart_id.3c": {"resource_type": "test", "name": "not_null_mart_id"},
    }
    results = [
        {"unique_id": "seed.shop.channels", "status": "success", "execution_time": 0.1},
        {"unique_id": "model.shop.stg", "status": "success", "execution_time": 0.2},
        {"unique_id": "model.shop.mart", "status": "error", "message": "relation x\nmore"},
        {"unique_id": "test.shop.unique_stg_id.1a", "status": "fail", "failures": 1},
        {"unique_id": "test.shop.few_rows.2b", "status": "warn", "failures": 12},
        {"unique_id": "test.shop.not_null_mart_id.3c", "status": "skipped"},
    ]
    outcome = dbt.results(write(tmp_path / "target", results, nodes), "shop", "build")
    parts = {(p.node, p.type, p.status, p.message) for p in outcome.parts}
    assert parts == {
        ("build.channels", "dbt seed", "passed", ""),
        ("build.stg", "dbt model", "passed", ""),
        ("build.mart", "dbt model", "failed", "relation x\nmore"),
    }
    checks = {(c.name, c.severity, c.status, c.metric, c.message) for c in outcome.checks}
    assert checks == {
        ("unique_stg_id", "error", "fail", 1, "1 failing row"),
        ("few_rows", "warn", "fail", 12, "12 failing rows"),
        ("not_null_mart_id", "error", "skipped", None, "skipped: what it tests was not built"),
    }
    assert [c.blocking for c in outcome.checks if c.name != "unique_stg_id"] == [False, False]
    assert dbt._failures(outcome) == "dbt: mart (relation x), unique_stg_id (1 failing row) failed"


def test_no_results_when_dbt_stopped_first_and_its_words_instead(tmp_path: Path) -> None:
    outcome = dbt.results(tmp_path / "missing", "shop", "build")
    assert (outcome.parts, outcome.checks) == ([], [])
    said = (
        "12:01:02  Running with dbt=1.11.0\n"
        "12:01:03  Encountered an error:\n"
        "Parsing Error\n"
        "  Invalid test config given in models/schema.yml\n"
        "12:01:04  Done.\n"
    )
    assert dbt._said(said) == (
        "dbt: Encountered an error: Parsing Error Invalid test config given in models/schema.yml"
    )
    assert dbt._said("all is well\n") == ""


def test_the_profile_names_no_value_and_goes_after_the_run() -> None:
    output = {"type": "postgres", "password": "{{ env_var('PGPASSWORD', '') }}"}
    with dbt.workspace(output, own_profile=False) as env:
        folder = Path(env["DBT_PROFILES_DIR"])
        profile = yaml.safe_load((folder / "profiles.yml").read_text())
        assert profile == {"kitchen": {"target": "kitchen", "outputs": {"kitchen": output}}}
        assert (env["DBT_PROFILE"], env["DBT_TARGET"]) == ("kitchen", "kitchen")
        assert Path(env["DBT_TARGET_PATH"]).parent == folder
    assert not folder.exists()
    with dbt.workspace(output, own_profile=True) as env:
        assert "DBT_PROFILES_DIR" not in env and "DBT_TARGET_PATH" in env


def test_building_on_a_state_moves_its_relations_and_chooses_what_changed(tmp_path: Path) -> None:
    """Sources in the base's schema are the kitchen's own copies (not "changed" for being
    elsewhere); models the kitchen lacks are read where its parent has them."""
    manifest = {
        "sources": {
            "source.shop.raw.orders": {"schema": "dev", "relation_name": '"w"."dev"."orders"'},
            "source.shop.ext.rates": {"schema": "fx", "relation_name": '"w"."fx"."rates"'},
        },
        "nodes": {"model.shop.stg": {"schema": "feature", "relation_name": '"w"."feature"."stg"'}},
    }
    text = json.dumps(manifest).encode()
    parents = dbt.State("dev", "dev", "r0", text, b"", ("mart",))
    chosen = dbt.building_on(parents, tmp_path / "parents", {"KITCHEN_SCHEMA": "feature"})
    state = ["--defer", "--state", str(tmp_path / "parents")]
    assert chosen == ["--select", "state:modified+", "resource_type:test", "mart+", *state]
    own = dbt.State("feature", "feature", "r1", text, b"{}", (), own=True, defers_to="dev")
    assert dbt.building_on(own, tmp_path / "state", {"KITCHEN_SCHEMA": "feature"})[1:5] == [
        "state:modified+",
        "result:fail",
        "result:warn",
        "result:error",
    ]
    written = json.loads((tmp_path / "state" / "manifest.json").read_text())
    assert written["nodes"]["model.shop.stg"] == {
        "schema": "dev",
        "relation_name": '"w"."dev"."stg"',
    }
    assert written["sources"] == manifest["sources"]  # its own schema: nothing to move
    # a parent's state: its data is new to the tests, which all run; its sources are ours
    moved = json.loads((tmp_path / "parents" / "manifest.json").read_text())["sources"]
    assert moved["source.shop.raw.orders"] == {
        "schema": "feature",
        "relation_name": '"w"."feature"."orders"',
    }
    assert moved["source.shop.ext.rates"]["schema"] == "fx"  # another schema stays where it is


def test_a_node_that_chooses_its_own_models_is_run_as_written() -> None:
    assert dbt._chooses(["build", "--select", "tag:nightly"])
    assert dbt._chooses(["run", "-s", "mart"])
    assert dbt._chooses(["build", "--selector=nightly"])
    assert not dbt._chooses(["build", "--exclude", "big", "--full-refresh"])
