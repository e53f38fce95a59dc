"""Running one node: python and shell as subprocesses (SQL runs in the warehouse, dbt in
kitchen.pipelines.dbt)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kitchen import redaction
from kitchen.pipelines.model import Node

if TYPE_CHECKING:
    from kitchen.pipelines.checks import CheckResult

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
    depends_on: list[str] = field(default_factory=list)  # the nodes it ran after: the DAG


@dataclass
class Outcome:
    """What a node did: passed, why not, its output; a dbt node's also what dbt said of
    each of its models and tests (``parts``, ``checks``) and dbt's own files."""

    passed: bool
    message: str = ""
    output: str = ""
    parts: list[NodeResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)


def run_process(node: Node, folder: Path, script: str | None, env: dict[str, str]) -> Outcome:
    """A python or shell node, run in the pipeline's folder."""
    if node.type == "python":
        command = [sys.executable, "-c", script or ""]
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
        output = redaction.scrub(_text(exc.stdout) + _text(exc.stderr))[-OUTPUT_TAIL:]
        return Outcome(False, f"timed out after {node.timeout:g} s", output)
    output = redaction.scrub(done.stdout + done.stderr)[-OUTPUT_TAIL:]  # scrubbed, then cut
    if done.returncode:
        return Outcome(False, f"exited with {done.returncode}", output)
    return Outcome(True, "", output)


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""
