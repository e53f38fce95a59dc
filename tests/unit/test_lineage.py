"""Which tables a node reads and writes, read from its SQL, dbt's manifest or its declaration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlglot.errors import SqlglotError

from kitchen.pipelines import lineage, model


def test_a_script_reads_its_sources_and_writes_its_targets_in_the_kitchens_schema() -> None:
    script = """
        drop table if exists stg_orders;
        create table feature.stg_orders as
        with recent as (select * from orders where ordered_at > now() - interval '7 days')
        select r.order_id, r.amount * p.rate as amount
        from recent r join analytics.rates p on p.currency = r.currency;
        insert into "Audit".loads (loaded, source) select count(*), 'orders' from stg_orders;
    """
    reads, writes, columns = lineage.of_sql(script, "postgres", "feature")
    assert reads == ["analytics.rates", "orders"]  # the CTE is no table; stg_orders is its own
    assert writes == ["Audit.loads", "stg_orders"]  # a quoted schema keeps its case
    assert columns["stg_orders"] == {
        "order_id": ["orders.order_id"],
        "amount": ["analytics.rates.rate", "orders.amount"],
    }
    assert columns["Audit.loads"] == {"loaded": [], "source": []}  # no column behind either


def test_insert_columns_take_their_sources_by_position_and_a_star_says_nothing() -> None:
    _, _, columns = lineage.of_sql(
        "insert into t (a, b) select x, y from s; create table u as select * from s",
        "duckdb",
        "k",
    )
    assert columns == {"t": {"a": ["s.x"], "b": ["s.y"]}, "u": {}}


def test_sql_that_does_not_parse_is_an_error_the_node_reports() -> None:
    with pytest.raises(SqlglotError):
        lineage.of_sql("create table as select from", "duckdb", "k")


MANIFEST = {
    "nodes": {
        "model.shop.stg_orders": {
            "resource_type": "model",
            "name": "stg_orders",
            "alias": "stg_orders",
            "schema": "feature",
            "depends_on": {"nodes": ["source.shop.raw.orders"]},
        },
        "model.shop.mart": {
            "resource_type": "model",
            "name": "mart",
            "alias": "profitability",
            "schema": "feature",
            "depends_on": {"nodes": ["model.shop.stg_orders", "seed.shop.segments"]},
        },
        "seed.shop.segments": {
            "resource_type": "seed",
            "name": "segments",
            "schema": "feature",
            "depends_on": {"nodes": []},
        },
        "test.shop.unique_mart": {"resource_type": "test", "name": "unique_mart"},
    },
    "sources": {
        "source.shop.raw.orders": {"name": "orders", "identifier": "orders", "schema": "feature"},
    },
}


def test_a_manifest_says_what_each_model_reads_and_writes() -> None:
    found = lineage.of_manifest(json.dumps(MANIFEST).encode(), "feature")
    assert found == [
        ("mart", ["segments", "stg_orders"], ["profitability"]),  # its alias, not its name
        ("segments", [], ["segments"]),
        ("stg_orders", ["orders"], ["stg_orders"]),
    ]


PIPELINE = model.Pipeline.model_validate(
    {
        "name": "shop",
        "nodes": [
            {"name": "staging", "type": "sql", "file": "staging.sql"},
            {
                "name": "enrich",
                "type": "python",
                "file": "e.py",
                "reads": ["stg_orders"],
                "writes": ["k.enriched"],
                "depends_on": ["staging"],
            },
            {"name": "mart", "type": "sql", "file": "mart.sql", "depends_on": ["enrich"]},
            {"name": "report", "type": "shell", "command": "make report"},
            {"name": "build", "type": "dbt"},
        ],
    }
)


def reading(folder: Path, built: tuple[bytes, str] | None = None) -> lineage.Reading:
    return lineage.Reading(
        render=lambda text, _: text.replace("{{ kitchen.schema }}", "k"),
        dialect="duckdb",
        schema="k",
        manifest=lambda _: built,
    )


def test_each_node_says_how_its_lineage_is_known(tmp_path: Path) -> None:
    (tmp_path / "staging.sql").write_text("create table stg_orders as select * from orders")
    (tmp_path / "mart.sql").write_text("create table {{ kitchen.schema }}.mart as select * from")
    pipeline = PIPELINE.model_copy(update={"folder": tmp_path})
    found = {n.node: n for n in lineage.of_pipeline(pipeline, reading(tmp_path))}
    assert (found["staging"].how, found["staging"].reads, found["staging"].writes) == (
        "parsed",
        ["orders"],
        ["stg_orders"],
    )
    assert (found["enrich"].how, found["enrich"].writes) == ("declared", ["enriched"])
    assert found["mart"].how == "unknown" and "mart.sql could not be parsed" in str(
        found["mart"].problem
    )
    assert "declares no reads: or writes:" in str(found["report"].problem)
    assert "not built by dbt yet" in str(found["build"].problem)
    manifest = (json.dumps(MANIFEST).encode(), "feature")  # built in the parent's schema
    built = lineage.of_pipeline(pipeline, reading(tmp_path, manifest))[-1]
    assert built.how == "manifest" and built.writes == ["profitability", "segments", "stg_orders"]
    assert built.reads == ["orders"]  # the source; the models it builds are no input


def test_a_node_reading_what_another_writes_without_depending_on_it_is_named(
    tmp_path: Path,
) -> None:
    (tmp_path / "staging.sql").write_text("create table stg_orders as select * from orders")
    (tmp_path / "mart.sql").write_text("create table mart as select * from enriched")
    report = {"name": "report", "type": "shell", "command": "x", "reads": ["mart", "orders"]}
    pipeline = model.Pipeline.model_validate(
        {
            **PIPELINE.model_dump(exclude={"nodes", "folder"}),
            "folder": tmp_path,
            "nodes": [*PIPELINE.model_dump()["nodes"][:3], report],
        }
    )
    found = lineage.of_pipeline(pipeline, reading(tmp_path))
    assert lineage.contradictions(pipeline, found) == [
        "shop.report reads mart, which mart writes, but does not depend on mart: "
        "add `depends_on: [mart]`."
    ]  # mart reads enriched through enrich, which depends on staging: in order
    ordered = {**report, "depends_on": ["mart"]}
    pipeline.nodes[3] = model.Node.model_validate(ordered)
    assert lineage.contradictions(pipeline, found) == []


@pytest.mark.parametrize(
    ("dialect", "script", "reads", "writes"),
    [
        (
            "duckdb",
            "create or replace table t as select * from read_parquet('x.parquet') p "
            "join (select id, max(v) as v from s group by id) m using (id)",
            ["s"],  # a file read by a table function is no table of the warehouse
            ["t"],
        ),
        (
            "postgres",
            'create table "T" as select x::numeric(10,2) as x from s where id in '
            "(select id from u where ok) and exists (select 1 from w where w.id = s.id)",
            ["s", "u", "w"],  # subqueries anywhere
            ["T"],  # a quoted name keeps its case
        ),
        (
            "postgres",
            "update totals set n = c.n from counts c where totals.k = c.k; "
            "delete from stale where k not in (select k from totals)",
            ["counts"],  # totals and stale are written; totals read back is its own
            ["stale", "totals"],
        ),
    ],
)
def test_each_dialects_statements_read_and_write_what_they_name(
    dialect: str, script: str, reads: list[str], writes: list[str]
) -> None:
    found_reads, found_writes, _ = lineage.of_sql(script, dialect, "k")
    assert (found_reads, found_writes) == (reads, writes)


def test_a_star_over_tables_whose_columns_are_known_names_them() -> None:
    known = {"orders": {"order_id": "INTEGER", "amount": "DOUBLE"}}
    script = "create table t as with r as (select * from orders) select r.*, 1 as one from r"
    _, _, columns = lineage.of_sql(script, "duckdb", "k", known)
    assert columns["t"] == {"order_id": ["orders.order_id"], "amount": ["orders.amount"], "one": []}
    _, _, unknown = lineage.of_sql(script, "duckdb", "k")
    assert unknown["t"] == {}  # without the columns, a star says nothing
