"""kitchen lineage on the demo shop, and kitchen test's warning when lineage contradicts the
declared order of a pipeline's nodes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import Cli
from tests.integration.test_pipelines import write_pipeline


def tables(tree: dict[str, Any]) -> set[str]:
    """Every table named in an upstream or downstream tree."""
    found = {tree["table"]}
    for node in tree.get("nodes", []):
        for table in node["tables"]:
            found |= tables(table)
    return found


def test_the_demo_shops_lineage_from_sql_and_declarations(cli: Cli) -> None:
    assert cli("create", "feature").code == 0
    nodes = {n["node"]: n for n in cli("lineage", "--json").json()["nodes"]}
    assert (nodes["staging"]["how"], nodes["staging"]["reads"], nodes["staging"]["writes"]) == (
        "parsed",
        ["orders", "products"],
        ["stg_orders"],
    )
    assert nodes["staging"]["columns"]["stg_orders"]["cost"] == [
        "orders.quantity",
        "products.unit_cost",
    ]
    assert (nodes["enrich"]["how"], nodes["enrich"]["writes"]) == ("declared", ["enriched"])
    assert nodes["mart"]["writes"] == ["profitability"]  # with its template filled to parse

    upstream = cli("lineage", "profitability", "--json").json()["upstream"]
    assert tables(upstream) == {"profitability", "enriched", "stg_orders", "orders", "products"}
    downstream = cli("lineage", "feature.orders", "--downstream", "--json").json()["downstream"]
    assert tables(downstream) == {"orders", "stg_orders", "enriched", "profitability"}
    shown = cli("lineage", "orders", "--downstream").out
    assert "→ shop.staging" in shown and "profitability" in shown
    assert "orders, products → stg_orders" in cli("lineage").out


def test_lineage_refuses_what_it_cannot_follow(cli: Cli) -> None:
    unknown = cli("lineage", "profitabilty")
    assert unknown.code == 2 and "Did you mean 'profitability'?" in unknown.err
    both = cli("lineage", "orders", "--upstream", "--downstream")
    assert both.code == 2 and "not both" in both.err
    assert cli("lineage", "--downstream").code == 2  # follows nothing
    assert cli("lineage", "--pipeline", "shpo").code == 2


def test_a_node_that_declares_nothing_is_named(cli: Cli, shop: Path) -> None:
    write_pipeline(
        shop,
        "ops",
        "nodes:\n  - {name: load, type: shell, command: 'true'}\n",
    )
    result = cli("lineage", "--pipeline", "ops", "--json")
    assert result.code == 0
    assert "ops.load: declares no reads: or writes:" in result.err
    assert result.json()["nodes"][0]["how"] == "unknown"


def test_kitchen_test_warns_when_a_node_reads_what_another_writes_out_of_order(
    cli: Cli, shop: Path
) -> None:
    write_pipeline(
        shop,
        "racy",
        "nodes:\n"
        "  - {name: make, type: sql, file: make.sql}\n"
        "  - {name: use, type: sql, file: use.sql}\n",  # no depends_on: [make]
        {
            "make.sql": "create or replace table made as select 1 as id;",
            "use.sql": "create or replace table used as select * from {{ kitchen.schema }}.made;",
        },
    )
    assert cli("create", "feature").code == 0
    result = cli("test", "feature", "--pipeline", "racy")
    said = "racy.use reads made, which make writes, but does not depend on make"
    assert said in result.err and "add `depends_on: [make]`" in result.err
    (shop / "pipelines/racy/pipeline.yaml").write_text(
        "nodes:\n"
        "  - {name: make, type: sql, file: make.sql}\n"
        "  - {name: use, type: sql, file: use.sql, depends_on: [make]}\n"
    )
    assert "does not depend on" not in cli("test", "feature", "--pipeline", "racy").err
