"""The test runner: overhead per check, and what --parallel buys, against baselines in one run.

    python benchmarks/test_runner.py

Starts its own PostgreSQL on loopback (as the test suite does); prints figures, asserts
nothing.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kitchen import config
from kitchen.backends.warehouse.postgres import PostgresWarehouse
from kitchen.pipelines import checks, model
from tests.servers import start_postgres

CHECKS = 300
NODES = 8
PROJECT = """\
project: bench
environments:
  dev:
    warehouse: {{type: postgres, dsn: "{dsn}"}}
    secrets: {{type: file, path: .kitchen/secrets/dev.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/dev}}
kitchens:
  dev: {{environment: dev, branch: main}}
"""


def overhead_per_check(dsn: str) -> tuple[float, float]:
    """Seconds per check through kitchen's runner, and for the same query sent directly."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(
            "CREATE SCHEMA bench; CREATE TABLE bench.t AS SELECT g AS id FROM"
            " generate_series(1, 1000) g"
        )
    warehouse = PostgresWarehouse(config.PostgresWarehouse(type="postgres", dsn=dsn), "dev")
    check = model.Check(
        name="no-nulls", check=model.NotNull(type="not_null", table="t", column="id")
    )
    checks.run(warehouse, "bench", "node", check, "")  # connect and warm up
    start = time.perf_counter()
    for _ in range(CHECKS):
        assert checks.run(warehouse, "bench", "node", check, "").status == "pass"
    runner = (time.perf_counter() - start) / CHECKS
    warehouse.close()
    with psycopg.connect(dsn, autocommit=True) as connection:
        statement = 'SELECT count(*) FROM "bench"."t" WHERE "id" IS NULL'
        connection.execute(statement).fetchone()
        start = time.perf_counter()
        for _ in range(CHECKS):
            connection.execute(statement).fetchone()
        direct = (time.perf_counter() - start) / CHECKS
    return runner, direct


def parallel_speedup(dsn: str) -> tuple[float, float]:
    """Seconds for a DAG of independent one-second nodes, serially and with --parallel 4."""
    folder = Path(tempfile.mkdtemp(prefix="kitchen-bench-"))
    (folder / "kitchen.yaml").write_text(PROJECT.format(dsn=dsn))
    pipeline = folder / "pipelines" / "wide"
    pipeline.mkdir(parents=True)
    (pipeline / "wait.py").write_text("import time\ntime.sleep(1)\n")
    nodes = "".join(f"  - {{name: n{i}, type: python, file: wait.py}}\n" for i in range(NODES))
    (pipeline / "pipeline.yaml").write_text("nodes:\n" + nodes)
    kitchen = [sys.executable, "-m", "kitchen", "-C", str(folder)]
    env = {"KITCHEN_USER": "bench@example.com", "PATH": "/usr/bin:/bin"}
    subprocess.run([*kitchen, "init"], check=True, capture_output=True, env=env)
    seconds = []
    for parallel in ("1", "4"):
        start = time.perf_counter()
        subprocess.run(
            [*kitchen, "test", "dev", "--parallel", parallel],
            check=True,
            capture_output=True,
            env=env,
        )
        seconds.append(time.perf_counter() - start)
    return seconds[0], seconds[1]


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = start_postgres()
    try:
        runner, direct = overhead_per_check(server.dsn())
        serial, parallel = parallel_speedup(server.dsn())
    finally:
        server.stop()
    print(
        f"check through kitchen's runner: {runner * 1000:.2f} ms; same query direct: "
        f"{direct * 1000:.2f} ms; overhead {max(runner - direct, 0) * 1000:.2f} ms per check "
        "(target: under 5 ms)"
    )
    print(
        f"{NODES} independent 1 s nodes: serial {serial:.2f} s, --parallel 4 {parallel:.2f} s: "
        f"{serial / parallel:.2f}x faster"
    )


if __name__ == "__main__":
    main()
