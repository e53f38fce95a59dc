"""Running one node: SQL in the kitchen's schema, python and shell as subprocesses."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from kitchen import redaction
from kitchen.pipelines.model import Node

OUTPUT_TAIL = 4000  # characters of a failed node's output kept for reports


@dataclass(frozen=True)
class NodeResult:
    pipeline: str
    node: str
    type: str
    status: str  # passed, failed, skipped
    seconds: float
    message: str = ""
    output: str = ""


def run_process(
    node: Node, folder: Path, script: str | None, env: dict[str, str]
) -> tuple[bool, str, str]:
    """(passed, message, output) of a python, shell or dbt node run in the pipeline's folder."""
    if node.type == "python":
        command = [sys.executable, "-c", script or ""]
    elif node.type == "dbt":
        if shutil.which("dbt") is None:
            return False, "dbt is not installed (pip install dbt-duckdb or dbt-postgres)", ""
        command = ["dbt", *shlex.split(node.command or "build")]
    else:
        command = ["sh", "-c", node.command or ""]
    try:
        done = subprocess.run(
            command,
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=node.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = _text(exc.stdout) + _text(exc.stderr)
        return False, f"timed out after {node.timeout:g} s", redaction.scrub(output)[-OUTPUT_TAIL:]
    output = redaction.scrub(done.stdout + done.stderr)[-OUTPUT_TAIL:]  # scrubbed, then cut
    if done.returncode:
        return False, f"exited with {done.returncode}", output
    return True, "", output


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""
