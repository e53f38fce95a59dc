"""A dbt node that builds what changed against one that builds everything, in one kitchen.

    python benchmarks/dbt_slim.py                     # DuckDB and PostgreSQL, 100,000 rows
    python benchmarks/dbt_slim.py --engine duckdb     # one engine
    python benchmarks/dbt_slim.py --rows 1000 --rounds 1

Generates a dbt project of 60 table models in 6 layers of 10 with 120 tests (unique and
not_null on each model's key): the first layer makes ``--rows`` rows each, every later model
joins two models of the layer above. It is the only pipeline of a project made with
`kitchen init --demo` (on the embedded DuckDB, or on a PostgreSQL this script starts on
loopback, logged in as a login that is no superuser, with a login per kitchen that may read
its parent). dev is tested (everything is built there), then a kitchen is created under it.

Then, per round, one mid-layer model (layer 3) is changed and committed, and the kitchen is
tested twice: `kitchen test --full` (dbt builds all 60 models and runs 120 tests), and,
after another change of the same model, `kitchen test` (dbt builds the changed model and
the 9 below it, `state:modified+`, on the state of the kitchen's previous run, with
`--defer`). The kitchen's first run, on the state of dev's build (where every test runs,
since the kitchen's data is new to them), is timed once. Each `kitchen test` is timed as a
whole process. Prints the medians and the ratio full / changed; the figures are in
docs/benchmarks.md. It asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.servers import PostgresServer, isolated, start_postgres, team_login, timed_kitchen

LAYERS, WIDTH = 6, 10
CHANGED = (3, 5)  # layer, model: its subtree is 10 models and 20 tests
POSTGRES = """\
project: slim
environments:
  production:
    warehouse: {{type: postgres, host: 127.0.0.1, port: {port}, user: {user}, dbname: slim_prod}}
    secrets: {{type: file, path: .kitchen/secrets/production.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/production}}
  dev:
    warehouse: {{type: postgres, host: 127.0.0.1, port: {port}, user: {user}, dbname: slim_dev,
                kitchen_roles: true, read_parent: true}}
    secrets: {{type: file, path: .kitchen/secrets/dev.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/dev}}
kitchens:
  production: {{environment: production, branch: main, schema: analytics}}
  dev: {{environment: dev, parent: production, branch: develop}}
data:
  masking:
    salt: "{{{{ secret('masking#salt') }}}}"
    rules: {{customers.email: email}}
"""
NUMBERS = """\
{% macro numbers(rows) -%}
{%- if target.type == 'duckdb' -%} range({{ rows }}) as n(i)
{%- else -%} generate_series(0, {{ rows }} - 1) as n(i) {%- endif %}
{%- endmacro %}
"""


def model(layer: int, index: int, rows: int, version: int = 0) -> str:
    if layer == 1:
        return (
            f"select n.i as id, (n.i * {index + 7}) % 1000 as v, 'l1m{index}' as origin\n"
            f"from {{{{ numbers({rows}) }}}}\n"
        )
    above = (f"l{layer - 1}_m{index}", f"l{layer - 1}_m{(index + 1) % WIDTH}")
    return (
        f"select a.id, (a.v + b.v + {version}) % 1000 as v, a.origin\n"
        f"from {{{{ ref('{above[0]}') }}}} as a join {{{{ ref('{above[1]}') }}}} as b"
        " on a.id = b.id\n"
    )


def write_project(folder: Path, rows: int) -> None:
    (folder / "models").mkdir(parents=True)
    (folder / "macros").mkdir()
    (folder / "macros" / "numbers.sql").write_text(NUMBERS)
    (folder / "dbt_project.yml").write_text(
        "name: slim\nversion: '1.0.0'\nprofile: slim\nmodel-paths: [models]\n"
        "macro-paths: [macros]\nmodels:\n  slim:\n    +materialized: table\n"
    )
    (folder / "pipeline.yaml").write_text("nodes:\n  - {name: build, type: dbt}\n")
    schema = ["version: 2", "models:"]
    for layer in range(1, LAYERS + 1):
        for index in range(WIDTH):
            name = f"l{layer}_m{index}"
            (folder / "models" / f"{name}.sql").write_text(model(layer, index, rows))
            schema += [f"  - name: {name}", "    columns:", "      - name: id"]
            schema += ["        data_tests: [unique, not_null]"]
    (folder / "models" / "schema.yml").write_text("\n".join(schema) + "\n")


class Project:
    def __init__(self, folder: Path, rows: int, server: PostgresServer | None) -> None:
        self.folder = folder
        self.env = isolated(folder.parent / "home", "dev@slim.example")
        folder.mkdir()
        if server is not None:
            user, password = "slim_login", "s'lim \"wörd"
            team_login(server, user, password, ["slim_prod", "slim_dev"])
            self.env["PGPASSWORD"] = password
            (folder / "kitchen.yaml").write_text(POSTGRES.format(port=server.port, user=user))
        self.kitchen("init", "--demo")
        self.git("rm", "-rq", "pipelines/shop")  # dbt's pipeline alone
        self.pipeline = folder / "pipelines" / "slim"
        write_project(self.pipeline, rows)
        self.git("add", "-A")
        self.git("commit", "-qm", "a dbt project of 60 models and 120 tests")
        self.version = 0

    def kitchen(self, *args: str) -> float:
        return timed_kitchen(self.folder, self.env, *args)

    def git(self, *args: str) -> None:
        subprocess.run(["git", *args], cwd=self.folder, env=self.env, check=True)

    def change(self) -> None:
        """A new version of the mid-layer model, committed."""
        self.version += 1
        layer, index = CHANGED
        path = self.pipeline / "models" / f"l{layer}_m{index}.sql"
        path.write_text(model(layer, index, 0, self.version))
        self.git("commit", "-qam", f"l{layer}_m{index} version {self.version}")


def measure(engine: str, rows: int, rounds: int) -> dict[str, float]:
    server = start_postgres() if engine == "postgresql" else None
    try:
        with tempfile.TemporaryDirectory(prefix="kitchen-slim-") as temporary:
            project = Project(Path(temporary) / "project", rows, server)
            figures = {"dev, everything": project.kitchen("test", "dev")}
            project.kitchen("create", "feature")
            project.change()
            figures["kitchen's first run, on dev's state"] = project.kitchen("test", "feature")
            full, changed = [], []
            for _ in range(rounds):
                project.change()
                full.append(project.kitchen("test", "feature", "--full"))
                project.change()
                changed.append(project.kitchen("test", "feature"))
            figures["--full (60 models, 120 tests)"] = statistics.median(full)
            figures["changed (10 models, 20 tests)"] = statistics.median(changed)
            return figures
    finally:
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("duckdb", "postgresql"), action="append")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of each first model")
    parser.add_argument("--rounds", type=int, default=3, help="full and changed runs timed")
    options = parser.parse_args()
    for engine in options.engine or ["duckdb", "postgresql"]:
        figures = measure(engine, options.rows, options.rounds)
        print(f"\n{engine}, {options.rows:,} rows per first-layer model")
        for name, seconds in figures.items():
            print(f"  {name:<40} {seconds:7.2f} s")
        ratio = figures["--full (60 models, 120 tests)"] / figures["changed (10 models, 20 tests)"]
        print(f"  full / changed: {ratio:.1f}x (target: 5x)")


if __name__ == "__main__":
    main()
