"""kitchen metrics: the registries' runs as OpenMetrics text, for a team's Prometheus, Datadog
or any scraper that reads it: each kitchen's latest run (when, how long, passed), its pass
ratio over its recent runs, and the latest value and result of every check."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import CollectorRegistry, GaugeMetricFamily, Metric
from prometheus_client.openmetrics.exposition import generate_latest

from kitchen.errors import KitchenError
from kitchen.model import CheckRun
from kitchen.project import Project

RECENT = 50  # runs a pass ratio is taken over
KITCHEN = ["kitchen", "environment"]
CHECK = [*KITCHEN, "pipeline", "node", "check"]


class Runs:
    """A prometheus_client collector over the registries of ``environments``."""

    def __init__(self, project: Project, environments: list[str]) -> None:
        self.project = project
        self.environments = environments

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "kitchen_registry_up",
            "1 when the environment's registry could be read.",
            labels=["environment"],
        )
        kitchens = GaugeMetricFamily(
            "kitchen_info",
            "A kitchen, with its parent and status.",
            labels=[*KITCHEN, "parent", "status"],
        )
        started = GaugeMetricFamily(
            "kitchen_last_run_timestamp_seconds",
            "When the kitchen's latest run started.",
            labels=KITCHEN,
        )
        took = GaugeMetricFamily(
            "kitchen_last_run_duration_seconds",
            "How long the kitchen's latest run took.",
            labels=KITCHEN,
        )
        passed = GaugeMetricFamily(
            "kitchen_last_run_passed",
            "1 when the kitchen's latest run passed, else 0.",
            labels=KITCHEN,
        )
        ratio = GaugeMetricFamily(
            "kitchen_run_pass_ratio",
            f"Passed runs among the kitchen's latest {RECENT}.",
            labels=KITCHEN,
        )
        values = GaugeMetricFamily(
            "kitchen_check_value",
            "The metric of each check in the kitchen's latest run.",
            labels=CHECK,
        )
        results = GaugeMetricFamily(
            "kitchen_check_passed",
            "1 when the check passed in the latest run, else 0.",
            labels=CHECK,
        )
        for environment in self.environments:
            try:
                registry = self.project.registry(environment)
                found = [(k, registry.runs(k.name, RECENT)) for k in registry.all()]
            except KitchenError:
                up.add_metric([environment], 0)
                continue
            up.add_metric([environment], 1)
            for kitchen, runs in found:
                labels = [kitchen.name, environment]
                kitchens.add_metric([*labels, kitchen.parent or "", kitchen.status.value], 1)
                if not runs:
                    continue
                latest = runs[0]
                started.add_metric(labels, _epoch(latest.started_at))
                if latest.ended_at:
                    took.add_metric(labels, _epoch(latest.ended_at) - _epoch(latest.started_at))
                passed.add_metric(labels, 1 if latest.status == "passed" else 0)
                ratio.add_metric(labels, sum(r.status == "passed" for r in runs) / len(runs))
                nodes = {n.node: n.pipeline for n in latest.nodes}
                for check in latest.checks:
                    where = [*labels, nodes.get(check.node, ""), check.node, check.name]
                    _check(values, results, where, check)
        yield from (up, kitchens, started, took, passed, ratio, values, results)


def _check(
    values: GaugeMetricFamily, results: GaugeMetricFamily, where: list[str], check: CheckRun
) -> None:
    if check.metric is not None:
        values.add_metric(where, float(check.metric))
    if check.status in ("pass", "fail", "error"):  # insufficient: no verdict yet
        results.add_metric(where, 1 if check.status == "pass" else 0)


def _epoch(moment: str) -> float:
    return datetime.fromisoformat(moment).timestamp()


def exposition(project: Project, environments: list[str] | None = None) -> str:
    """The OpenMetrics text of the registries of ``environments`` (default: all)."""
    collected = CollectorRegistry(auto_describe=False)
    collected.register(Runs(project, environments or list(project.config.environments)))
    return bytes(generate_latest(collected)).decode("utf-8")
