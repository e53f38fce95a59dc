"""Real `kill -9` at random moments of create, refresh, merge and promote, then repair.

    python benchmarks/kill_trials.py                 # 32 kills (about 10 minutes on 2 cores)
    python benchmarks/kill_trials.py --kills 8       # a quick look
    python benchmarks/kill_trials.py --seed 7        # another draw of commands and moments

Starts its own PostgreSQL on loopback (as the test suite does) and sets it up as
docs/secrets.md asks a DBA to: kitchen logs in as a login that is no superuser, with a login
per kitchen that may read its parent (`kitchen_roles`, `read_parent`). A project with the
demo shop is made (`kitchen init --demo`), then, trial after trial, one of the four commands
is started as its own process and sent SIGKILL from outside at a random moment of its run
(uniform between the end of kitchen's start-up, `kitchen --version`'s time, and how long that
command took uninterrupted), not at one of kitchen's recorded steps. Each kill is followed by
`kitchen doctor --repair`, and then the project is read directly, with psycopg and git, not
through kitchen (that check is checked first, on a stray schema and login made for it):

- schemas in either database that no registered kitchen owns (staging schemas of a refresh
  included), logins granted a database that no registered kitchen has;
- `kitchen/*` branches without a kitchen; registry rows not `ready`; operations or locks left;
- `kitchen doctor` (without --repair) must then find nothing.

Prints, per command, the trials, those killed while running (a process that had already
ended counts as no trial), the repairs that left the project whole, and every orphan found;
the figures are in docs/reliability.md. It asserts nothing; a trial that finds an orphan is
printed with what it found.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql as pgsql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kitchen.backends.warehouse.postgres import login_name
from tests.servers import PostgresServer, isolated, start_postgres, team_login

COMMANDS = ("create", "refresh", "merge", "promote")
APPROVER = "lead@shop.example"
CONFIG = """\
project: shop
environments:
  production:
    warehouse: {{type: postgres, host: 127.0.0.1, port: {port}, user: {user}, dbname: {production}}}
    secrets: {{type: file, path: .kitchen/secrets/production.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/production}}
  dev:
    warehouse: {{type: postgres, host: 127.0.0.1, port: {port}, user: {user}, dbname: {dev},
                kitchen_roles: true, read_parent: true}}
    secrets: {{type: file, path: .kitchen/secrets/dev.yaml}}
    artifacts: {{type: local, path: .kitchen/artifacts/dev}}
kitchens:
  production: {{environment: production, branch: main, schema: analytics, protected: true,
               approvers: ["{approver}"]}}
  dev: {{environment: dev, parent: production, branch: develop}}
data:
  masking:
    salt: "{{{{ secret('masking#salt') }}}}"
    rules: {{customers.email: email, customers.full_name: name, customers.phone: phone}}
"""


@dataclass
class Trial:
    command: str
    killed: bool  # while it ran (else it had ended before the signal: no trial)
    at: float  # seconds after its start
    repair: int  # doctor --repair's exit code
    orphans: list[str]


class Project:
    """A kitchen project on the server, driven through kitchen's own entry point."""

    def __init__(self, server: PostgresServer, folder: Path) -> None:
        self.server, self.folder = server, folder
        self.databases = {"production": "kill_production", "dev": "kill_dev"}
        self.user, password = "shop_login", "p'a\"ss wörd&<-kill-trials"
        team_login(server, self.user, password, list(self.databases.values()))
        self.env = {**isolated(folder.parent / "home", "dev@shop.example"), "PGPASSWORD": password}
        folder.mkdir()
        (folder / "kitchen.yaml").write_text(
            CONFIG.format(
                port=server.port,
                user=self.user,
                approver=APPROVER,
                **self.databases,
            )
        )
        self.kitchen("init", "--demo")
        self.kitchen("create", "feature")  # checked out: merges bring its commits
        self.commits = 0
        self.startup = statistics.median(self._start() for _ in range(3))

    def _start(self) -> float:
        """Seconds until kitchen could do anything: a kill before is no trial of it."""
        started = time.perf_counter()
        self.kitchen("--version")
        return time.perf_counter() - started

    def check_the_check(self) -> None:
        """The orphan check finds what it looks for: a stray schema and login, made here."""
        stray = "kitchen_dev_stray"
        with psycopg.connect(self.server.dsn(self.databases["dev"]), autocommit=True) as admin:
            admin.execute("CREATE SCHEMA stray")
            admin.execute(pgsql.SQL("CREATE ROLE {}").format(pgsql.Identifier(stray)))
            admin.execute(
                pgsql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    pgsql.Identifier(self.databases["dev"]), pgsql.Identifier(stray)
                )
            )
            found = self.orphans()
            admin.execute("DROP SCHEMA stray")
            admin.execute(pgsql.SQL("DROP OWNED BY {}").format(pgsql.Identifier(stray)))
            admin.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(stray)))
        if found != ["dev: schema stray", f"dev: login {stray}"]:
            raise SystemExit(f"the orphan check is broken: it found {found}")

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "kitchen", "-C", str(self.folder), *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self.env,
        )

    def call(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kitchen", "-C", str(self.folder), *args],
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
        )

    def kitchen(self, *args: str, allowed: tuple[int, ...] = (0,)) -> str:
        done = self.call(*args)
        if done.returncode not in allowed:
            raise SystemExit(f"kitchen {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
        return done.stdout

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.folder,
            capture_output=True,
            text=True,
            env=self.env,
            check=True,
        )
        return done.stdout.strip()

    def new_commit(self) -> None:
        """A change on the feature kitchen's branch, tested so that it may be merged."""
        self.kitchen("checkout", "feature")
        self.kitchen("update", "feature", allowed=(0, 3))  # dev may have moved (a merge landed)
        self.commits += 1
        (self.folder / "notes.md").write_text(f"change {self.commits}\n")
        self.git("add", "notes.md")
        self.git("commit", "-q", "-m", f"change {self.commits}")
        self.kitchen("test", "feature")

    def prepare(self, command: str, trial: int) -> tuple[str, ...]:
        """The command line of ``command``'s trial, after what it needs is in place."""
        if command == "create":
            return ("create", f"t{trial:02d}", "--no-checkout")
        if command == "refresh":
            return ("data", "refresh", "feature")
        if command == "merge":
            self.new_commit()
            return ("merge", "feature", "--yes")
        if self.git("rev-list", "--count", "main..develop") == "0":
            self.new_commit()  # something to release
            self.kitchen("merge", "feature", "--yes")
        self.kitchen("checkout", "dev")  # a release is tested where it is
        self.kitchen("test", "dev")
        self.kitchen("checkout", "feature")
        release = f"v1.{trial}.0"
        return (
            "promote",
            "dev",
            "--to",
            "production",
            "--release",
            release,
            "--approved-by",
            APPROVER,
            "--yes",
        )

    def orphans(self) -> list[str]:
        """What a kill left behind, read with psycopg and git, not through kitchen."""
        found: list[str] = []
        registered: dict[str, dict[str, str]] = {}
        for environment, database in self.databases.items():
            with psycopg.connect(self.server.dsn(database)) as connection:
                kitchens = connection.execute(
                    "SELECT name, schema_name, branch, status FROM kitchen_meta.kitchens"
                ).fetchall()
                registered.update({name: {"branch": branch} for name, _, branch, _ in kitchens})
                schemas = {schema for _, schema, _, _ in kitchens}
                found += [
                    f"{environment}: kitchen {n} is {s}" for n, _, _, s in kitchens if s != "ready"
                ]
                for table in ("operations", "locks"):
                    count = connection.execute(
                        pgsql.SQL("SELECT count(*) FROM {}").format(
                            pgsql.Identifier("kitchen_meta", table)
                        )
                    ).fetchone()
                    if count and count[0]:
                        found.append(f"{environment}: {count[0]} row(s) left in {table}")
                present = connection.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'"
                    " AND nspname NOT IN ('information_schema', 'public', 'kitchen_meta')"
                ).fetchall()
                found += [f"{environment}: schema {s}" for (s,) in present if s not in schemas]
                logins = connection.execute(
                    "SELECT r.rolname FROM pg_roles r, pg_database d, aclexplode(d.datacl) a"
                    " WHERE d.datname = current_database() AND a.grantee = r.oid"
                    " AND r.rolname LIKE 'kitchen\\_%'"
                ).fetchall()
                expected = {
                    login_name(database, environment, schema) for _, schema, _, _ in kitchens
                }
                found += [f"{environment}: login {r}" for (r,) in logins if r not in expected]
        branches = self.git("for-each-ref", "--format=%(refname:short)", "refs/heads/kitchen/")
        known = {kitchen["branch"] for kitchen in registered.values()}
        found += [f"branch {b}" for b in branches.split() if b not in known]
        return found


def trial(project: Project, command: str, number: int, took: dict[str, list[float]]) -> Trial:
    args = project.prepare(command, number)
    if not took[command]:  # how long it takes uninterrupted, the first time
        start = time.perf_counter()
        project.kitchen(*args)
        took[command].append(time.perf_counter() - start)
        args = project.prepare(command, number + 100)
    moment = random.uniform(project.startup, statistics.median(took[command]))
    process = project.start(*args)
    time.sleep(moment)
    killed = process.poll() is None
    if killed:
        process.send_signal(signal.SIGKILL)
    process.wait()
    repaired = project.call("doctor", "--repair")
    checked = project.call("doctor", "--json")
    findings = json.loads(checked.stdout or "{}").get("findings", ["(no answer)"])
    orphans = project.orphans() + [f"doctor: {finding}" for finding in findings]
    return Trial(command, killed, moment, repaired.returncode, orphans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=32, help="kills of a running command")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    random.seed(options.seed)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = start_postgres()
    trials: list[Trial] = []
    took: dict[str, list[float]] = {command: [] for command in COMMANDS}
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="kitchen-kills-") as folder:
            project = Project(server, Path(folder) / "shop")
            project.check_the_check()
            while sum(t.killed for t in trials) < options.kills:
                command = COMMANDS[len(trials) % len(COMMANDS)]
                trials.append(trial(project, command, len(trials), took))
                last = trials[-1]
                print(
                    f"{len(trials):3d} {command:8s} at {last.at:5.2f} s "
                    f"{'killed' if last.killed else 'had ended'}; repair exit "
                    f"{last.repair}; orphans: {', '.join(last.orphans) or 'none'}",
                    flush=True,
                )
    finally:
        server.stop()
    print(f"\n{len(trials)} trials in {time.perf_counter() - started:.0f} s on PostgreSQL;")
    print(f"kitchen's start-up: {project.startup:.2f} s; kills drawn after it")
    print("command   trials  killed running  repaired whole  orphans  uninterrupted run")
    for command in COMMANDS:
        mine = [t for t in trials if t.command == command]
        whole = sum(1 for t in mine if not t.orphans and t.repair == 0)
        orphans = sum(len(t.orphans) for t in mine)
        print(
            f"{command:9s} {len(mine):6d}  {sum(t.killed for t in mine):14d}  "
            f"{whole:14d}  {orphans:7d}  {statistics.median(took[command]):.2f} s"
        )
    kinds = Counter(orphan.split(" ")[1] for t in trials for orphan in t.orphans)
    print(f"orphans by kind: {dict(kinds) or 'none'}")


if __name__ == "__main__":
    main()
