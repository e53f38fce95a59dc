"""kitchen's commands with a registry of a team at scale: 1,000 kitchens, 100,000 runs and
1,000,000 audit events, beside `git branch --list` of 1,000 branches.

    python benchmarks/registry_scale.py                       # DuckDB and PostgreSQL
    python benchmarks/registry_scale.py --engine duckdb --kitchens 200 --runs 100 --events 1000

A project made with `kitchen init --demo` gets, in dev's registry, the kitchens, runs (100
per kitchen) and events (1,000 per kitchen) written through kitchen's own registry code
(`Registry.add_all`, which records each as `add`, `add_run` and `record` do), and a branch per
kitchen (`git update-ref --stdin`); one kitchen, `probe`, is made by `kitchen create
--no-data` so that it has a schema to show. Each command is then timed as a whole process,
median of 5: the reads the issue names (`runs` and `log` of a kitchen, K, with its
100 runs and 1,000 events) (and their `--json`), `--help` and `--version`,
`create --no-data` and `delete` of a kitchen, each also on a project of 2 kitchens for
comparison. Prints a table of medians against the targets (reads 0.3 s on DuckDB, 0.4 s on
PostgreSQL; writes 0.5 s); the figures are in docs/benchmarks.md. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kitchen.model import Kitchen, Run, Status
from kitchen.project import Project
from tests.servers import PostgresServer, isolated, start_postgres, team_login, timed_kitchen

POSTGRES = """\
project: scale
environments:
  production:
    warehouse: {{type: postgres, host: 127.0.0.1, port: {port}, user: {user}, dbname: scale_prod}}
    secrets: {{type: file, path: .kitchen/secrets/production.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/production}}
  dev:
    warehouse: {{type: postgres, host: 127.0.0.1, port: {port}, user: {user}, dbname: scale_dev}}
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
READS = (
    ("list", ("list",)),
    ("list --tree", ("list", "--tree")),
    ("list --json", ("list", "--json")),
    ("show probe", ("show", "probe")),
    ("show probe --json", ("show", "probe", "--json")),
    ("runs K", ("runs", "K")),
    ("runs K --json", ("runs", "K", "--json")),
    ("log", ("log",)),
    ("log --json", ("log", "--json")),
    ("log K", ("log", "K")),
    ("releases", ("releases",)),
    ("secrets list probe", ("secrets", "list", "probe")),
    ("--help", ("--help",)),
    ("--version", ("--version",)),
)
TIMES = 5


class Scale:
    def __init__(self, folder: Path, server: PostgresServer | None, label: str) -> None:
        self.folder = folder
        folder.parent.mkdir()
        self.env = isolated(folder.parent / "home", "dev@scale.example")
        folder.mkdir()
        if server is not None:
            user, password = f"scale_{label}", "sc'ale wörd"
            databases = [f"scale_{label}_prod", f"scale_{label}_dev"]
            team_login(server, user, password, databases)
            self.env["PGPASSWORD"] = password
            config = POSTGRES.format(port=server.port, user=user)
            config = config.replace("scale_prod", databases[0]).replace("scale_dev", databases[1])
            (folder / "kitchen.yaml").write_text(config)
        self.kitchen("init", "--demo")
        self.kitchen("create", "probe", "--no-data", "--no-checkout")

    def kitchen(self, *args: str) -> float:
        return timed_kitchen(self.folder, self.env, *args)

    def git(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.folder,
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            check=True,
        )
        return done.stdout.strip()

    def fill(
        self, kitchens: int, runs: int, events: int, prefix: str = "k", expired: bool = False
    ) -> list[str]:
        """``kitchens`` kitchens under dev with ``runs`` runs and ``events`` events each, a
        branch each at dev's tip (``expired``: their TTL is over); their names."""
        os.environ.update({k: v for k, v in self.env.items() if k.startswith(("PG", "HOME"))})
        project = Project.load(self.folder)
        tip = self.git("rev-parse", "develop")
        start = datetime(2026, 1, 1, tzinfo=UTC)
        made, ran, said, names = [], [], [], []
        for number in range(1, kitchens + 1):
            name = f"{prefix}{number:04d}"
            names.append(name)
            made.append(
                Kitchen(
                    name=name,
                    parent="dev",
                    environment="dev",
                    branch=f"kitchen/{name}",
                    schema=name,
                    status=Status.READY,
                    staff=["dev@scale.example"],
                    created_by="dev@scale.example",
                    created_at=(start + timedelta(hours=number)).isoformat(),
                    expires_at=(start + timedelta(days=1)).isoformat() if expired else None,
                )
            )
            for index in range(runs):
                at = (start + timedelta(hours=number, minutes=index)).isoformat()
                ran.append(
                    Run(
                        id=f"{name}r{index:05d}",
                        kitchen=name,
                        pipelines="shop",
                        commit_sha=tip,
                        dirty=False,
                        started_at=at,
                        ended_at=at,
                        status="passed" if index % 7 else "failed",
                        results={"nodes": [], "checks": []},
                    )
                )
            for index in range(events):
                at = (start + timedelta(hours=number, seconds=index)).isoformat()
                said.append(
                    {
                        "at": at,
                        "actor": "dev@scale.example",
                        "action": "test",
                        "kitchen": name,
                        "result": "ok",
                        "details": {"run": index},
                    }
                )
            if len(said) >= 200_000 or number == kitchens:
                project.registry("dev").add_all(made, ran, said)
                made, ran, said = [], [], []
        project.close()
        self.git(
            "update-ref",
            "--stdin",
            stdin="".join(f"create refs/heads/kitchen/{name} {tip}\n" for name in names),
        )
        return names


def collect_expired(engine: str, count: int) -> tuple[float, int, int]:
    """``kitchen gc`` of ``count`` expired kitchens, each with its schema and its branch
    here and on a remote: seconds, and how many fetches and pushes it made (git's trace)."""
    server = start_postgres() if engine == "postgresql" else None
    try:
        with tempfile.TemporaryDirectory(prefix="kitchen-gc-") as temporary:
            project = Scale(Path(temporary) / "gc" / "project", server, "gc")
            remote = Path(temporary) / "remote.git"
            project.git("init", "-q", "--bare", str(remote))
            project.git("remote", "add", "origin", str(remote))
            for branch in ("main", "develop"):  # as tests/gitrepo.share: every branch says it
                project.git("checkout", "-q", branch)
                config = project.folder / "kitchen.yaml"
                text = config.read_text()
                shared = "remote: origin"
                config.write_text(
                    text.replace("remote: null", shared)
                    if "remote: null" in text
                    else f"{text}git:\n  {shared}\n"
                )
                project.git("commit", "-qam", "share the project")
            names = project.fill(count, 0, 0, prefix="g", expired=True)
            warehouse = Project.load(project.folder).warehouse("dev")
            for name in names:
                warehouse.create_schema(name)
            warehouse.close()
            project.git("push", "-q", "origin", "main", "develop", *(f"kitchen/{n}" for n in names))
            trace = Path(temporary) / "git-trace"
            project.env["GIT_TRACE"] = str(trace)
            seconds = project.kitchen("gc")
            commands = trace.read_text().splitlines()
            fetches = sum("built-in: git fetch" in line for line in commands)
            pushes = sum("built-in: git push" in line for line in commands)
            left = project.git("ls-remote", "--heads", "origin", "kitchen/*")
            if left:
                raise SystemExit(f"kitchen gc left branches on the remote:\n{left}")
            return seconds, fetches, pushes
    finally:
        if server is not None:
            server.stop()


def median(call: Callable[[], float], times: int = TIMES) -> float:
    return statistics.median(call() for _ in range(times))


def measure(engine: str, kitchens: int, runs: int, events: int) -> dict[str, tuple[float, float]]:
    """Each command's median seconds at scale and on a project of 2 kitchens."""
    server = start_postgres() if engine == "postgresql" else None
    try:
        with tempfile.TemporaryDirectory(prefix="kitchen-scale-") as temporary:
            small = Scale(Path(temporary) / "small" / "project", server, "small")
            large = Scale(Path(temporary) / "large" / "project", server, "large")
            started = time.perf_counter()
            large.fill(kitchens, runs, events)
            print(
                f"  {engine}: registry filled in {time.perf_counter() - started:.0f} s", flush=True
            )
            figures = {}
            for label, args in READS:  # K: a kitchen with runs and events (the small: probe)
                at_scale = [word.replace("K", "k0001") if word == "K" else word for word in args]
                alone = [word.replace("K", "probe") if word == "K" else word for word in args]
                figures[label] = (
                    median(lambda: large.kitchen(*at_scale)),  # noqa: B023 (called at once)
                    median(lambda: small.kitchen(*alone)),  # noqa: B023
                )
            for label, project in (("large", large), ("small", small)):
                creates, deletes = [], []
                for number in range(TIMES):
                    creates.append(
                        project.kitchen("create", f"w{number}", "--no-data", "--no-checkout")
                    )
                    deletes.append(project.kitchen("delete", f"w{number}", "--yes"))
                index = 0 if label == "large" else 1
                for name, seconds in (("create --no-data", creates), ("delete", deletes)):
                    pair = list(figures.get(name, (0.0, 0.0)))
                    pair[index] = statistics.median(seconds)
                    figures[name] = (pair[0], pair[1])
            floor = median(lambda: _timed(["git", "-C", str(large.folder), "branch", "--list"]))
            figures["git branch --list (floor)"] = (floor, floor)
            return figures
    finally:
        if server is not None:
            server.stop()


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("duckdb", "postgresql"), action="append")
    parser.add_argument("--kitchens", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=100, help="per kitchen")
    parser.add_argument("--events", type=int, default=1000, help="per kitchen")
    parser.add_argument("--expired", type=int, default=500, help="kitchens for gc (0: none)")
    parser.add_argument("--gc-only", action="store_true", help="only the gc measure")
    options = parser.parse_args()
    for engine in options.engine or ["duckdb", "postgresql"]:
        if options.expired:
            seconds, fetches, pushes = collect_expired(engine, options.expired)
            print(
                f"\n{engine}: kitchen gc of {options.expired:,} expired kitchens: {seconds:.1f} s "
                f"(target 60 s), fetched {fetches} times (target 1), "
                f"pushed {pushes} times"
            )
        if options.gc_only:
            continue
        figures = measure(engine, options.kitchens, options.runs, options.events)
        target = 0.3 if engine == "duckdb" else 0.4
        print(
            f"\n{engine}: {options.kitchens:,} kitchens, {options.kitchens * options.runs:,} runs,"
            f" {options.kitchens * options.events:,} events (median of {TIMES}, seconds)"
        )
        print(f"  {'command':<28} {'at scale':>9} {'2 kitchens':>11} {'target':>7}")
        for label, (large, small) in figures.items():
            goal = 0.5 if label in ("create --no-data", "delete") else target
            mark = "" if "floor" in label or large <= goal else "  over"
            print(f"  {label:<28} {large:9.2f} {small:11.2f} {goal:7.1f}{mark}")


if __name__ == "__main__":
    main()
