"""PostgreSQL runs a copy's tables (and its verification's columns) side by side."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import pytest

from kitchen import config
from kitchen.backends.warehouse.base import Reference, Warehouse
from kitchen.backends.warehouse.postgres import PostgresWarehouse
from kitchen.backends.warehouse.rowsql import compile_plan
from kitchen.backends.warehouse.sql import Query, sql
from kitchen.data import masking, projection, sampling
from kitchen.errors import WarehouseError


def open_postgres(dsn: str, threads: int) -> PostgresWarehouse:
    settings = config.PostgresWarehouse(type="postgres", dsn=dsn, threads=threads)
    return PostgresWarehouse(settings, "dev")


def sessions(dsn: str, pids: set[int]) -> set[int]:
    with psycopg.connect(dsn) as connection:
        rows = connection.execute("SELECT pid FROM pg_stat_activity").fetchall()
    return {row[0] for row in rows} & pids


def test_items_run_at_once_each_on_a_salted_session_of_its_own(
    postgres_database: Callable[[str], str],
) -> None:
    dsn = postgres_database("side")
    warehouse = open_postgres(dsn, threads=3)
    warehouse.set_salt("side-salt")
    own = warehouse.execute(sql("SELECT pg_backend_pid()"))[0][0]

    def work(into: Warehouse, origin: Warehouse, item: str) -> tuple[Any, ...]:
        assert origin is into  # a copy inside one warehouse reads and writes on one session
        query = "SELECT pg_backend_pid(), clock_timestamp(), pg_sleep(1), clock_timestamp()"
        pid, start, _, end = into.execute(Query((query,)))[0]
        return pid, start, end, into.execute(sql("SELECT current_setting('kitchen.salt')"))[0][0]

    results = dict(warehouse.concurrently(warehouse, work, ["a", "b", "c"]))
    assert sorted(results) == ["a", "b", "c"]
    pids = {pid for pid, _, _, _ in results.values()}
    assert len(pids) == 3 and own not in pids
    assert max(start for _, start, _, _ in results.values()) < min(
        end for _, _, end, _ in results.values()
    )  # every one started before any ended
    assert {salt for _, _, _, salt in results.values()} == {"side-salt"}
    assert not sessions(dsn, pids)  # closed afterwards
    warehouse.close()


def with_marks(dsn: str) -> PostgresWarehouse:
    warehouse = open_postgres(dsn, threads=2)
    warehouse.execute(sql("CREATE TABLE marks (item TEXT)"))
    return warehouse


def sleep_then_mark(into: Warehouse) -> None:
    """60 s, then a mark: not cancelled, the statement would leave its mark."""
    into.execute(sql("SELECT pg_sleep(60)"))
    into.execute(sql("INSERT INTO marks VALUES ('slow finished')"))


def marks(warehouse: Warehouse) -> int:
    return int(warehouse.execute(sql("SELECT count(*) FROM marks"))[0][0])


def test_one_failure_cancels_the_rest_and_is_the_error_reported(
    postgres_database: Callable[[str], str],
) -> None:
    dsn = postgres_database("cancel")
    warehouse = with_marks(dsn)

    def work(into: Warehouse, origin: Warehouse, item: str) -> None:
        if item == "slow":
            sleep_then_mark(into)
            return
        time.sleep(0.3)  # let the slow one start its statement
        into.execute(sql("SELECT * FROM no_such_table"))

    with pytest.raises(WarehouseError, match="no_such_table"):
        list(warehouse.concurrently(warehouse, work, ["slow", "bad"]))
    assert marks(warehouse) == 0
    with psycopg.connect(dsn) as connection:
        asleep = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%'"
            " AND pid <> pg_backend_pid()"
        ).fetchone()
    assert asleep == (0,)
    warehouse.close()


def test_a_caller_that_stops_early_cancels_what_still_runs(
    postgres_database: Callable[[str], str],
) -> None:
    warehouse = with_marks(postgres_database("stop"))

    def work(into: Warehouse, origin: Warehouse, item: str) -> str:
        if item == "slow":
            sleep_then_mark(into)
        return item

    results = warehouse.concurrently(warehouse, work, ["slow", "quick"])
    assert next(results) == ("quick", "quick")
    results.close()  # as a failing caller's `closing` does
    assert marks(warehouse) == 0
    warehouse.close()


def test_one_thread_runs_in_turn_on_the_warehouse_itself(
    postgres_database: Callable[[str], str],
) -> None:
    warehouse = open_postgres(postgres_database("serial"), threads=1)
    own = warehouse.execute(sql("SELECT pg_backend_pid()"))[0][0]

    def work(into: Warehouse, origin: Warehouse, item: int) -> int:
        assert into is warehouse
        return int(into.execute(sql("SELECT pg_backend_pid()"))[0][0])

    assert list(warehouse.concurrently(warehouse, work, [1, 2])) == [(1, own), (2, own)]
    warehouse.close()


def plan_nodes(node: dict[str, Any], above: tuple[str, ...] = ()) -> list[tuple[dict, tuple]]:
    """Every node of an EXPLAIN (FORMAT JSON) plan, with the node types above it."""
    found = [(node, above)]
    for child in node.get("Plans", []):
        found += plan_nodes(child, (*above, node["Node Type"]))
    return found


PEOPLE_RULES: dict[str, Any] = {
    "people.name": "name",
    "people.email": "email",
    "people.phone": "phone",
    "people.born": {"shift": 30},
}


def create_people(warehouse: PostgresWarehouse) -> None:
    warehouse.execute(
        sql(
            "CREATE TABLE people AS SELECT g AS id, 'Person ' || g AS name,"
            " 'p' || g || '@x.test' AS email, '555-' || g AS phone,"
            " date '1980-01-01' + g AS born FROM generate_series(1, 20000) g"
        )
    )
    warehouse.execute(sql("ANALYZE people"))


def explain_masked_copy(
    warehouse: PostgresWarehouse, where: Sequence[Query] = ()
) -> list[tuple[str, tuple[str, ...]]]:
    """Each node's output columns in the plan of the masked copy of ``people``, with the
    node types above it."""
    types = warehouse.column_types("public", "people")
    columns = masking.plan(masking.parse_rules(PEOPLE_RULES), "people", types)
    projected = projection.select_list(warehouse, columns)
    query = warehouse._copy_query("public", "people", projected.columns, where, projected.derived)
    with warehouse._parallel():
        plan = warehouse.execute(sql("EXPLAIN (VERBOSE, FORMAT JSON) {}", query))[0][0][0]["Plan"]
    return [(" ".join(node.get("Output", [])), above) for node, above in plan_nodes(plan)]


def test_masking_runs_in_parallel_workers_with_one_md5_per_value(
    postgres_database: Callable[[str], str],
) -> None:
    warehouse = open_postgres(postgres_database("plan"), threads=1)
    create_people(warehouse)
    outputs = explain_masked_copy(warehouse)
    assert sum(text.count("md5(") for text, _ in outputs) == 4  # one per masked column
    # The phone mask is computed by the workers, below the Gather (which shows it too).
    assert any("-555-01" in text and "Gather" in above for text, above in outputs), outputs
    warehouse.close()


def test_a_sampled_parent_is_masked_in_parallel_workers_too(
    postgres_database: Callable[[str], str],
) -> None:
    """The parent keeps its own sample and what its child's sample references: as one
    predicate (a semi-join on a union) the server would mask the rows in the leader alone."""
    warehouse = open_postgres(postgres_database("sampled_plan"), threads=1)
    create_people(warehouse)
    warehouse.execute(
        sql(
            "CREATE TABLE visits AS SELECT g AS id, 1 + g % 20000 AS person"
            " FROM generate_series(1, 60000) g"
        )
    )
    warehouse.execute(sql("ANALYZE visits"))
    visits = Reference("visits", ("person",), "people", ("id",), nullable=False)
    tables = {"people": ["id", "name", "email", "phone", "born"], "visits": ["id", "person"]}
    keys = {"people": ["id"], "visits": ["id"]}
    plans = sampling.plan(config.Sample(default="10%"), tables, [visits], keys=keys)
    outputs = explain_masked_copy(warehouse, compile_plan(warehouse, plans["people"]).where)
    assert sum(text.count("md5(") for text, _ in outputs) == 4
    assert any("-555-01" in text and "Gather" in above for text, above in outputs), outputs
    warehouse.close()
