"""kitchen test: pipelines run in a kitchen, checks pass and fail, reports parse back."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from tests.conftest import Cli, Result


@pytest.fixture
def kitchen(cli: Cli, shop: Path) -> Path:
    """A feature kitchen of the demo shop, whose pipeline `init --demo` installed."""
    assert cli("create", "feature").code == 0
    return shop


def write_pipeline(
    shop: Path, name: str, yaml_text: str, files: dict[str, str] | None = None
) -> None:
    folder = shop / "pipelines" / name
    folder.mkdir(parents=True)
    (folder / "pipeline.yaml").write_text(yaml_text)
    for file, text in (files or {}).items():
        (folder / file).write_text(text)


def test_the_shop_pipeline_passes_and_is_recorded(cli: Cli, kitchen: Path, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    result = cli("test", "feature", "--json", "--junit", str(report))
    assert result.code == 0, result.err
    run = result.json()
    assert run["status"] == "passed" and run["kitchen"] == "feature"
    assert [n["node"] for n in run["nodes"]] == ["staging", "enrich", "mart"]
    statuses = {c["name"]: c["status"] for c in run["checks"]}
    assert len(statuses) == 10
    assert statuses.pop("customer-count-in-control") == "insufficient"  # no history yet
    assert set(statuses.values()) == {"pass"}
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("13", "0")
    connection = duckdb.connect(
        str(kitchen / ".kitchen/warehouse/dev_warehouse.duckdb"), read_only=True
    )
    runs = connection.execute("SELECT id, kitchen, status FROM kitchen_meta.runs").fetchall()
    connection.close()
    assert runs == [(run["run_id"], "feature", "passed")]


def test_a_broken_node_fails_the_run_and_skips_what_depends_on_it(
    cli: Cli, kitchen: Path, tmp_path: Path
) -> None:
    (kitchen / "pipelines/shop/staging.sql").write_text("select * from no_such_table;")
    report = tmp_path / "reports" / "junit.xml"  # its folder is made, as CI configs expect
    result = cli("test", "feature", "--json", "--junit", str(report))
    assert result.code == 1
    status = {n["node"]: n["status"] for n in result.json()["nodes"]}
    assert status == {"staging": "failed", "enrich": "skipped", "mart": "skipped"}
    failure = ET.parse(report).getroot().find(".//testcase[@name='staging']/failure")
    assert failure is not None and "no_such_table" in (failure.get("message") or "")


def test_a_junit_file_that_cannot_be_written_is_refused_before_the_run(
    cli: Cli, kitchen: Path, tmp_path: Path
) -> None:
    result = cli("test", "feature", "--junit", str(tmp_path))
    assert result.code == 2 and f"Cannot write the JUnit report to {tmp_path}" in result.err
    assert "Traceback" not in result.err and cli("runs", "feature", "--json").json()["runs"] == []


def test_a_warning_is_reported_but_does_not_fail(cli: Cli, shop: Path) -> None:
    write_pipeline(
        shop,
        "warned",
        """
vars: {limit: 10}
nodes:
  - name: build
    type: sql
    file: build.sql
    tests:
      - {name: small, severity: warn, check: {type: row_count, table: t, max: "{{ vars.limit }}"}}
""".replace('"{{ vars.limit }}"', "2"),
        {"build.sql": BUILD},
    )
    assert cli("create", "feature").code == 0
    result = cli("test", "feature", "--pipeline", "warned", "--json")
    check = result.json()["checks"][0]
    assert result.code == 0 and (check["severity"], check["status"]) == ("warn", "fail")
    assert cli("test", "feature", "--var", "limit").code == 2  # not k=v


CHECKS = """
nodes:
  - name: build
    type: sql
    file: build.sql
    tests:
      - {name: rows, check: {type: row_count, table: t, %s}}
"""
BUILD = (
    "create or replace table t as select * from (values (1, 'a', 10, current_timestamp),"
    " (2, null, 10, current_timestamp), (2, 'c', 99, current_timestamp)) v(id, label, parent, ts);"
    "create or replace table p as select 10 as id;"
)


@pytest.mark.parametrize(
    ("check", "passes"),
    [
        ("min: 3", True),
        ("max: 2", False),
        ("equals: 3", True),
        ("type: not_null, column: id", True),
        ("type: not_null, column: label", False),
        ("type: unique, columns: [label]", True),
        ("type: unique, columns: [id]", False),
        ("type: accepted_values, column: label, values: [a, c]", True),
        ("type: accepted_values, column: label, values: [a]", False),
        ("type: relationships, column: parent, to: p.id", False),
        ("type: freshness, column: ts, max_age_hours: 1", True),
        ("type: schema, columns: {id: number, label: text}", True),
        ("type: schema, columns: {id: text}", False),
        ("type: schema, columns: {id: int, label: varchar}", True),  # aliases: INTEGER, VARCHAR
        ("type: schema, columns: {missing: text}", False),
    ],
)
def test_each_check_type_passes_and_fails(cli: Cli, shop: Path, check: str, passes: bool) -> None:
    text = CHECKS % check
    if not check.startswith(("min", "max", "equals")):
        text = text.replace("type: row_count, table: t, ", "table: t, ")
    write_pipeline(shop, "checks", text, {"build.sql": BUILD})
    assert cli("create", "feature").code == 0
    result = cli("test", "feature", "--pipeline", "checks", "--json")
    assert (result.code == 0) is passes, result.out + result.err
    assert result.json()["checks"][0]["status"] == ("pass" if passes else "fail")


def test_a_scalar_sql_check(cli: Cli, shop: Path) -> None:
    write_pipeline(
        shop,
        "scalar",
        """
nodes:
  - name: build
    type: sql
    file: build.sql
    tests:
      - name: total
        check: {type: sql, query: "select sum(parent) from {{ kitchen.schema }}.t", expect: 119}
      - {name: too-high, severity: log, check: {type: sql, query: "select 5", max: 4}}
""",
        {"build.sql": BUILD},
    )
    assert cli("create", "feature").code == 0
    checks = {
        c["name"]: c
        for c in cli("test", "feature", "--pipeline", "scalar", "--json").json()["checks"]
    }
    assert checks["total"]["status"] == "pass" and checks["total"]["metric"] == 119
    assert checks["too-high"]["status"] == "fail"


ODD_CHECKS = """
nodes:
  - name: build
    type: sql
    file: build.sql
    tests:
      - {name: unqualified, check: {type: sql, query: "select count(*) from t", expect: 3}}
      - {name: nothing, check: {type: sql, query: "select max(id) from t where false", min: 0}}
      - {name: words, check: {type: sql, query: "select 'abc'", min: 0}}
      - {name: table, check: {type: sql, query: "select * from t", min: 0}}
      - {name: none, check: {type: sql, query: "select 1 where false", min: 0}}
      - {name: nulls-differ, check: {type: unique, table: n, columns: [x]}}
      - {name: pairs-with-nulls-differ, check: {type: unique, table: n, columns: [x, y]}}
      - {name: shared, check: {type: unique, table: n, columns: [y]}}
      - {name: stale-words, check: {type: freshness, table: t, column: label, max_age_hours: 1}}
"""
NULLS = (
    "create table n as select * from (values (null, 1), (null, 1), (2, null), (3, null)) v(x, y);"
)


def check_outcomes(result: Result) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["status"], c["message"]) for c in result.json()["checks"]}


def test_odd_check_results_are_check_errors_and_nulls_are_distinct(cli: Cli, shop: Path) -> None:
    """A query's text, NULL, table or empty result was an internal error or counted as 0;
    a check query did not see the kitchen's tables unless it named the schema; and two
    NULLs were 'duplicates' to a unique check, which a UNIQUE constraint accepts."""
    write_pipeline(shop, "odd", ODD_CHECKS, {"build.sql": BUILD + NULLS})
    assert cli("create", "feature").code == 0
    result = cli("test", "feature", "--pipeline", "odd", "--json")
    assert result.code == 1
    assert check_outcomes(result) == {
        "unqualified": ("pass", "3"),
        "nothing": (
            "error",
            "The query returned NULL, not a number; use coalesce(..., 0) if no rows should "
            "count as 0.",
        ),
        "words": ("error", "The query returned 'abc', not a number."),
        "table": (
            "error",
            "The query returned 3 rows of 4 columns; a check needs one value (aggregate it, "
            "e.g. select count(*) ...).",
        ),
        "none": (
            "error",
            "The query returned no rows; a check needs one value (aggregate it, e.g. select "
            "count(*) ...).",
        ),
        "nulls-differ": ("pass", "no violations"),
        "pairs-with-nulls-differ": ("pass", "no violations"),
        "shared": ("fail", "2 violating rows"),
        "stale-words": (
            "error",
            "label holds 'c', not a date or a point in time; check a timestamp column (or a "
            "view that makes one).",
        ),
    }


TYPED = """
nodes:
  - name: build
    type: sql
    file: build.sql
    tests:
      - {name: flags, check: {type: accepted_values, table: v, column: b, values: [true, false]}}
      - {name: true-only, check: {type: accepted_values, table: v, column: b, values: [true]}}
      - {name: amounts, check: {type: accepted_values, table: v, column: d, values: [1.5, 2]}}
      - {name: days, check: {type: accepted_values, table: v, column: day, values: [2026-01-01]}}
      - {name: moments, check: {type: accepted_values, table: v, column: ts,
                                values: [2026-01-01 09:30:00, 2026-01-02 00:00:00]}}
      - {name: not-numbers, check: {type: accepted_values, table: v, column: d, values: [a]}}
"""
TYPED_BUILD = (
    "create table v as select * from (values"
    " (true, 1.50::decimal(5,2), date '2026-01-01', timestamp '2026-01-01 09:30:00'),"
    " (false, 2.00, date '2026-01-01', timestamp '2026-01-02 00:00:00')) v(b, d, day, ts);"
)


def typed_outcomes(decimal: str) -> dict[str, tuple[str, str]]:
    return {
        "flags": ("pass", "no violations"),
        "true-only": ("fail", "1 violating row"),
        "amounts": ("pass", "no violations"),
        "days": ("pass", "no violations"),
        "moments": ("pass", "no violations"),
        "not-numbers": ("error", f"'a' is not a number, and d is {decimal}."),
    }


def test_accepted_values_are_compared_as_the_columns_type(cli: Cli, shop: Path) -> None:
    """`values: [true, false]` failed every row of a boolean column (YAML's true became 1),
    1.5 failed a numeric(5,2) column's 1.50, and a date was not even a valid value."""
    write_pipeline(shop, "typed", TYPED, {"build.sql": TYPED_BUILD})
    assert cli("create", "feature").code == 0
    result = cli("test", "feature", "--pipeline", "typed", "--json")
    assert check_outcomes(result) == typed_outcomes("DECIMAL(5,2)")


def test_accepted_values_are_compared_as_the_columns_type_on_postgres(
    capsys, pg_project: Path
) -> None:
    write_pipeline(pg_project, "typed", TYPED, {"build.sql": TYPED_BUILD})
    cli = Cli(capsys, pg_project)
    assert cli("init").code == 0
    result = cli("test", "dev", "--pipeline", "typed", "--json")
    assert check_outcomes(result) == typed_outcomes("numeric")


def test_a_check_query_sees_the_kitchens_tables_on_postgres(capsys, pg_project: Path) -> None:
    write_pipeline(
        pg_project,
        "odd",
        ODD_CHECKS.partition("      - {name: nothing")[0],
        {"build.sql": "create table t as select * from generate_series(1, 3) id;"},
    )
    cli = Cli(capsys, pg_project)
    assert cli("init").code == 0
    result = cli("test", "dev", "--pipeline", "odd", "--json")
    assert (result.code, check_outcomes(result)) == (0, {"unqualified": ("pass", "3")})


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        (
            "nodes: [{name: a, type: sql, file: a.sql, depends_on: [b]},"
            " {name: b, type: sql, file: a.sql, depends_on: [a]}]",
            "dependency cycle a -> b -> a",
        ),
        ("nodes: [{name: a, type: sql, file: a.sql, depends_on: [ghost]}]", "unknown node 'ghost'"),
        ("nodes: [{name: a, type: sql, file: ../../etc/passwd}]", "must be a relative path"),
        (
            "nodes: [{name: a, type: sql, file: a.sql, tests: [{name: x, check: {type: magic}}]}]",
            "type must be one of",
        ),
        (
            "nodes:\n  - name: a\n    type: sql\n    file: a.sql\n    colour: red\n",
            "pipeline.yaml:5: nodes.0.colour: unknown key",
        ),
        ("nodes: [{name: a, type: sql}]", "a sql node needs a file"),
        ("nodes: [{name: a, type: sql, file: missing.sql}]", "no file missing.sql"),
        (
            "nodes: [{name: a, type: sql, file: a.sql}, {name: a, type: sql, file: a.sql}]",
            "declared twice",
        ),
        ("nodes: [ {name: a", "invalid YAML"),
        (  # one line for the key, not one per type a value may have
            "nodes: [{name: a, type: sql, file: a.sql, tests: [{name: x, check:"
            " {type: accepted_values, table: t, column: c, values: [[1]]}}]}]",
            "error: /pipelines/bad/pipeline.yaml:1: nodes.0.tests.0.check.values.0: Input"
            " should be a valid boolean or a valid integer or a valid number or a valid string"
            " or a valid datetime or a valid date (got a list)\n",
        ),
    ],
)
def test_bad_pipeline_files_are_exit_2(cli: Cli, shop: Path, pipeline: str, message: str) -> None:
    write_pipeline(shop, "bad", pipeline, {"a.sql": "select 1;"})
    result = cli("test", "dev", "--pipeline", "bad")
    assert result.code == 2 and message in result.err.replace(str(shop), ""), result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("select {{ vars.nothing }};", "a.sql:1: 'nothing' is not in vars or kitchen."),
        (
            "select 1;\nselect {{ kitchen.shema }};",
            "a.sql:2: 'shema' is not in vars or kitchen. Did you mean 'schema'?",
        ),
        ("select {{ nothing }};", "a.sql:1: 'nothing' is not defined; templates know vars,"),
        ("select {% if %};", "a.sql:1: template error"),
        ("select {{ ''.__class__.__mro__ }};", "template not allowed"),
    ],
)
def test_template_errors_name_the_file(cli: Cli, shop: Path, template: str, message: str) -> None:
    write_pipeline(shop, "tpl", "nodes: [{name: a, type: sql, file: a.sql}]", {"a.sql": template})
    result = cli("test", "dev", "--pipeline", "tpl")
    assert result.code == 2 and message in result.err, result.err


def test_python_and_shell_nodes_timeouts_and_exit_codes(cli: Cli, shop: Path) -> None:
    write_pipeline(
        shop,
        "procs",
        """
nodes:
  - {name: ok, type: shell, command: "test \\"$KITCHEN_NAME\\" = feature"}
  - {name: fails, type: shell, command: "echo broken >&2; exit 3"}
  - {name: slow, type: python, file: slow.py, timeout: 0.5}
""",
        {"slow.py": "import time; time.sleep(30)"},
    )
    assert cli("create", "feature").code == 0
    result = cli("test", "feature", "--pipeline", "procs", "--json")
    nodes = {n["node"]: n for n in result.json()["nodes"]}
    assert result.code == 1
    assert nodes["ok"]["status"] == "passed"
    assert (nodes["fails"]["message"], nodes["fails"]["output"].strip()) == (
        "exited with 3",
        "broken",
    )
    assert nodes["slow"]["message"] == "timed out after 0.5 s"


def test_a_tools_colours_and_control_characters_leave_the_junit_file_readable(
    cli: Cli, shop: Path, tmp_path: Path
) -> None:
    """dbt colours its output; ElementTree wrote the escape codes as they were, and XML 1.0
    cannot hold them: CI could not read the JUnit file of exactly the runs that failed."""
    write_pipeline(
        shop,
        "colours",
        "nodes:\n  - {name: loud, type: python, file: loud.py}\n",
        {"loud.py": "print('\\x1b[31mCompilation Error\\x1b[0m in model\\x07\\x00'); exit(1)"},
    )
    assert cli("create", "feature").code == 0
    report = tmp_path / "junit.xml"
    assert cli("test", "feature", "--pipeline", "colours", "--junit", str(report)).code == 1
    failure = ET.parse(report).find(".//testcase[@name='loud']/failure")
    assert failure is not None and failure.text is not None
    assert failure.text.strip() == "Compilation Error in model\ufffd\ufffd"


def test_no_pipelines_is_a_clear_error(cli: Cli, shop: Path) -> None:
    shutil.rmtree(shop / "pipelines")
    result = cli("test", "dev")
    assert result.code == 2 and "No pipelines" in result.err
    assert cli("test", "dev", "--pipeline", "nope").code == 2


def test_a_broken_statement_is_named_by_its_line(cli: Cli, kitchen: Path) -> None:
    (kitchen / "pipelines/shop/staging.sql").write_text("select 1;\n\nselec * from orders;\n")
    failed = cli("test", "feature", "--json").json()["nodes"][0]
    assert failed["status"] == "failed"
    assert failed["message"].endswith("(line 3 of staging.sql, as rendered)")


def test_a_failed_statement_is_named_by_its_line_on_postgres(capsys, pg_project: Path) -> None:
    """PostgreSQL points at a character of the script: the node says which line it is on."""
    write_pipeline(
        pg_project,
        "lines",
        "nodes:\n  - {name: one, type: sql, file: one.sql}\n",
        {"one.sql": "select 1;\n-- a comment\nselect * from no_such_table;\n"},
    )
    cli = Cli(capsys, pg_project)
    assert cli("init").code == 0
    result = cli("test", "dev", "--pipeline", "lines", "--json")
    assert result.code == 1
    message = result.json()["nodes"][0]["message"]
    assert "no_such_table" in message and message.endswith("(line 3 of one.sql, as rendered)")


def test_independent_nodes_run_at_the_same_time_on_postgres(capsys, pg_project: Path) -> None:
    marks = (
        "import os, time\n"
        "open(os.environ['MARK'], 'w').write(f'{time.time()} ')\n"
        "time.sleep(1)\n"
        "open(os.environ['MARK'], 'a').write(f'{time.time()}')\n"
    )
    write_pipeline(
        pg_project,
        "wide",
        """
nodes:
  - {name: a, type: python, file: mark.py, env: {MARK: a.mark}}
  - {name: b, type: python, file: mark.py, env: {MARK: b.mark}}
""",
        {"mark.py": marks},
    )
    cli = Cli(capsys, pg_project)
    assert cli("init").code == 0
    assert cli("test", "dev", "--pipeline", "wide", "--parallel", "2").code == 0
    folder = pg_project / "pipelines" / "wide"
    (a_start, a_end), (b_start, b_end) = (
        map(float, (folder / f"{n}.mark").read_text().split()) for n in ("a", "b")
    )
    assert a_start < b_end and b_start < a_end  # the two runs overlapped


def test_independent_sql_nodes_each_run_in_their_own_transaction_on_postgres(
    capsys, pg_project: Path
) -> None:
    """Parallel SQL nodes shared one connection and one transaction: b's error aborted a's
    transaction under it, and the first to finish committed the other's half-run script."""
    write_pipeline(
        pg_project,
        "wide",
        """
nodes:
  - {name: a, type: sql, file: a.sql, tests: [{name: both, check: {type: sql, query:
      "select count(*) from a1, a2", expect: 1}}]}
  - {name: b, type: sql, file: b.sql}
  - {name: c, type: sql, file: c.sql}
""",
        {
            "a.sql": "create table a1 as select 1 x;\nselect pg_sleep(1);\n"
            "create table a2 as select 2 y;\n",
            "b.sql": "select pg_sleep(0.3);\nselec broken;\n",
            "c.sql": "create table c1 as select 1 x;\nselect pg_sleep(0.6);\n"
            "create table c2 as select 1/0 z;\n",
        },
    )
    cli = Cli(capsys, pg_project)
    assert cli("init").code == 0
    result = cli("test", "dev", "--pipeline", "wide", "--parallel", "3", "--json")
    nodes = {node["node"]: node for node in result.json()["nodes"]}
    assert {name: node["status"] for name, node in nodes.items()} == {
        "a": "passed",
        "b": "failed",
        "c": "failed",
    }, nodes
    assert "syntax error" in nodes["b"]["message"] and "line 2 of b.sql" in nodes["b"]["message"]
    assert "division by zero" in nodes["c"]["message"]
    assert result.json()["checks"][0]["status"] == "pass"
    shown = {table["name"] for table in cli("show", "dev", "--json").json()["tables"]}
    assert {"a1", "a2"} <= shown and "c1" not in shown  # c's script ran whole, or not at all


def test_runs_are_listed_and_show_tells_whether_head_is_covered(cli: Cli, kitchen: Path) -> None:
    import subprocess

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=kitchen, check=True, capture_output=True)

    (kitchen / "pipelines/shop/NOTES").write_text("the first change\n")
    git("add", "pipelines")
    git("commit", "-m", "a first change on the kitchen's branch")
    assert cli("show", "feature", "--json").json()["tested"] is None
    run_id = cli("test", "feature", "--json").json()["run_id"]
    tested = cli("show", "feature", "--json").json()["tested"]
    assert (tested["run_id"], tested["covers_head"]) == (run_id, True)
    assert "(covers HEAD)" in cli("show", "feature").out
    (kitchen / "pipelines/shop/NOTES").write_text("a second change\n")
    git("add", "pipelines")
    git("commit", "-m", "a new commit nobody tested")
    assert cli("show", "feature", "--json").json()["tested"]["covers_head"] is False
    runs = cli("runs", "feature", "--json").json()
    assert [run["id"] for run in runs["runs"]] == [run_id] and runs["kitchen"] == "feature"
    assert cli("runs", "dev", "--json").json()["runs"] == []


SPC = """
nodes:
  - name: build
    type: sql
    file: build.sql
    tests:
      - name: volume
        check:
          type: spc
          metric: "select count(*) from {{ kitchen.schema }}.t"
          sigma: 3
          min_history: 5
"""


def seed_history(
    shop: Path, kitchen: str, values: list[float], shape: str | None = "all rows"
) -> None:
    """Runs of ``kitchen`` whose SPC check measured ``values`` on data of ``shape`` (None:
    recorded before kitchen recorded shapes)."""
    from kitchen.backends.registry import Registry
    from kitchen.backends.warehouse.duckdb import DuckDBWarehouse
    from kitchen.model import Run

    warehouse = DuckDBWarehouse(shop / ".kitchen/warehouse/dev_warehouse.duckdb", "dev")
    registry = Registry(warehouse)
    for index, value in enumerate(values):
        registry.add_run(
            Run(
                **{
                    "id": f"seed{kitchen}{index}",
                    "kitchen": kitchen,
                    "pipelines": "spc",
                    "commit_sha": "0" * 40,
                    "dirty": False,
                    "started_at": f"2026-01-01T00:00:{index:02d}",
                    "ended_at": "",
                    "status": "passed",
                    "results": {
                        "checks": [
                            {"node": "build", "name": "volume", "status": "pass", "metric": value}
                            | ({"shape": shape} if shape is not None else {})
                        ]
                    },
                }
            )
        )
    warehouse.close()


@pytest.mark.parametrize(
    ("history", "status", "code"),
    [
        ([3, 4, 2, 3, 3, 4, 2], "pass", 0),  # 3 rows: within the limits
        ([100, 101, 99, 100, 102, 98], "fail", 1),  # 3 rows: far below
        ([3, 3], "insufficient", 0),  # too little history: said so, not a pass
    ],
)
def test_spc_limits_from_history(
    cli: Cli, shop: Path, history: list[float], status: str, code: int
) -> None:
    write_pipeline(shop, "spc", SPC, {"build.sql": BUILD})
    assert cli("create", "feature").code == 0
    seed_history(shop, "feature", history)
    result = cli("test", "feature", "--pipeline", "spc", "--json")
    check = result.json()["checks"][0]
    assert (result.code, check["status"], check["metric"]) == (code, status, 3)
    if status == "insufficient":
        assert check["message"] == "3; control limits after 5 past values on all rows, 2 so far"


def test_spc_uses_the_parents_history_when_the_kitchen_has_none(cli: Cli, shop: Path) -> None:
    write_pipeline(shop, "spc", SPC, {"build.sql": BUILD})
    assert cli("create", "feature").code == 0
    seed_history(shop, "dev", [100, 101, 99, 100, 102, 98])
    check = cli("test", "feature", "--pipeline", "spc", "--json").json()["checks"][0]
    assert check["status"] == "fail" and "6 runs, 6 the parent's on all rows" in check["message"]
    assert check["shape"] == "all rows"


def test_spc_never_mixes_a_sampled_kitchen_with_its_whole_parent(cli: Cli, shop: Path) -> None:
    """A kitchen whose customers were cut from 326 to 169 passed, with limits of [-431,
    1316]: its sampled values and its whole parent's made one history."""
    write_pipeline(shop, "spc", SPC, {"build.sql": BUILD})
    seed_history(shop, "dev", [100, 101, 99, 100, 102, 98])  # whole: 100 rows or so
    assert cli("create", "feature", "--sample", "10%").code == 0
    check = cli("test", "feature", "--pipeline", "spc", "--json").json()["checks"][0]
    assert check["status"] == "insufficient"  # not "fail" against the whole parent's limits
    assert "past values on 10% of each table" in check["message"] and "0 so far" in check["message"]
    assert check["shape"].startswith("10% of each table")
    seed_history(shop, "feature", [3, 4, 2, 3, 3], check["shape"])  # its own, on its sample
    again = cli("test", "feature", "--pipeline", "spc", "--json").json()["checks"][0]
    assert again["status"] == "pass" and "the parent's" not in again["message"]


def test_a_refresh_that_changes_the_sample_starts_a_new_series(cli: Cli, shop: Path) -> None:
    write_pipeline(shop, "spc", SPC, {"build.sql": BUILD})
    assert cli("create", "feature", "--sample", "10%").code == 0
    for _ in range(5):
        assert cli("test", "feature", "--pipeline", "spc").code == 0
    kept = cli("test", "feature", "--pipeline", "spc", "--json").json()["checks"][0]
    assert kept["status"] == "pass"  # five values on this sample: in control
    assert cli("data", "refresh", "feature", "--sample", "20%").code == 0
    renewed = cli("test", "feature", "--pipeline", "spc", "--json").json()["checks"][0]
    assert renewed["status"] == "insufficient" and "20% of each table" in renewed["message"]
    assert cli("data", "refresh", "feature", "--sample", "10%").code == 0  # back: same rows
    back = cli("test", "feature", "--pipeline", "spc", "--json").json()["checks"][0]
    assert back["status"] == "pass" and "6 runs" in back["message"]


def test_spc_runs_recorded_before_shapes_count_only_on_the_data_they_measured(
    cli: Cli, shop: Path
) -> None:
    """An earlier kitchen recorded no shape: its own runs since its data was copied count,
    its parent's do not (which rows they measured is not known)."""
    write_pipeline(shop, "spc", SPC, {"build.sql": BUILD})
    seed_history(shop, "dev", [100, 101, 99, 100, 102, 98], shape=None)
    assert cli("create", "feature").code == 0
    seed_history(shop, "feature", [3, 4, 2, 3, 3], shape=None)  # dated before its copy
    check = cli("test", "feature", "--pipeline", "spc", "--json").json()["checks"][0]
    assert check["status"] == "insufficient" and "0 so far" in check["message"]
    for _ in range(5):
        assert cli("test", "feature", "--pipeline", "spc").code == 0
    assert (
        cli("test", "feature", "--pipeline", "spc", "--json").json()["checks"][0]["status"]
        == "pass"
    )


def test_spc_history_builds_up_from_the_kitchens_own_runs(cli: Cli, shop: Path) -> None:
    write_pipeline(shop, "spc", SPC, {"build.sql": BUILD})
    assert cli("create", "feature").code == 0
    statuses = [
        cli("test", "feature", "--pipeline", "spc", "--json").json()["checks"][0]["status"]
        for _ in range(6)
    ]
    assert statuses == ["insufficient"] * 5 + ["pass"]  # five values, then control limits


def test_a_dbt_node_says_clearly_when_dbt_is_missing(
    cli: Cli, shop: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dbt is installed with the test extra: here it is not found, as where it is not."""
    from kitchen.pipelines import dbt

    monkeypatch.setattr(dbt, "executable", lambda env: None)
    write_pipeline(shop, "transform", "nodes: [{name: models, type: dbt, command: build}]")
    result = cli("test", "dev", "--pipeline", "transform", "--json")
    node = result.json()["nodes"][0]
    assert result.code == 1 and node["status"] == "failed"
    assert node["message"] == "dbt is not installed (pip install 'dataops-kitchen[dbt]')"


def test_each_node_is_reported_as_it_finishes(cli: Cli, kitchen: Path) -> None:
    result = cli("test", "feature", "--json")
    lines = [line for line in result.err.splitlines() if line.startswith("• shop.")]
    assert [line.split(":")[0] for line in lines] == [
        "• shop.staging",
        "• shop.enrich",
        "• shop.mart",
    ]
    assert "checks 4/4" in lines[0] and " s" in lines[1]
    result.json()  # stdout stays JSON alone


def test_a_single_node_can_be_run_on_its_own(cli: Cli, kitchen: Path) -> None:
    assert cli("test", "feature").code == 0  # builds what mart depends on
    result = cli("test", "feature", "--node", "mart", "--json")
    assert result.code == 0
    assert [n["node"] for n in result.json()["nodes"]] == ["mart"]


@pytest.mark.parametrize(
    ("selection", "said"),
    [
        (
            ["--node", "stagin"],
            "error: No node named 'stagin'. Did you mean 'staging'?\n"
            "hint: The nodes: staging, enrich, mart.\n",
        ),
        (
            ["--node", "nope", "--pipeline", "shop"],
            "error: No node named 'nope' in pipeline shop.\n"
            "hint: The nodes: staging, enrich, mart.\n",
        ),
        (
            ["--pipeline", "shp"],
            "error: No pipeline named 'shp'. Did you mean 'shop'?\nhint: The pipelines: shop.\n",
        ),
    ],
)
def test_an_unknown_node_or_pipeline_is_named_with_those_there_are(
    cli: Cli, kitchen: Path, selection: list[str], said: str
) -> None:
    result = cli("test", "feature", *selection)
    assert (result.code, result.err) == (2, said)
