"""kitchen metrics: runs and checks as OpenMetrics text, read back with prometheus_client's
own OpenMetrics parser (as a scraper reads it)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.openmetrics.parser import text_string_to_metric_families

from tests.conftest import Cli

Samples = dict[str, list[tuple[dict[str, str], float]]]


def samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    """The one sample of ``name`` with exactly ``labels``."""
    (only,) = [number for have, number in found[name] if have == labels]
    return only


def test_runs_and_checks_are_metrics_a_scraper_reads(cli: Cli, shop: Path) -> None:
    assert cli("checkout", "dev").code == 0
    runs = [cli("test", "dev", "--json").json() for _ in range(2)]
    text = cli("metrics").out
    assert text.endswith("# EOF\n")
    found = samples(text)  # the parser refuses text that is not OpenMetrics
    assert value(found, "kitchen_registry_up", environment="dev") == 1
    assert value(found, "kitchen_registry_up", environment="production") == 1
    dev = {"kitchen": "dev", "environment": "dev"}
    assert value(found, "kitchen_last_run_passed", **dev) == 1
    assert value(found, "kitchen_run_pass_ratio", **dev) == 1.0
    assert value(found, "kitchen_last_run_duration_seconds", **dev) > 0
    rows = next(c for c in runs[-1]["checks"] if c["name"] == "has-orders")
    check = {"pipeline": "shop", "node": "staging", "check": "has-orders"}
    assert value(found, "kitchen_check_value", **dev, **check) == rows["metric"]
    verdicts = {have["check"]: v for have, v in found["kitchen_check_passed"]}
    assert verdicts["one-row-per-order"] == 1
    assert "customer-count-in-control" not in verdicts  # insufficient history: no verdict yet
    info = {have["kitchen"]: have for have, _ in found["kitchen_info"]}
    assert info["dev"]["parent"] == "production" and info["dev"]["status"] == "ready"


def test_metrics_of_one_environment_into_a_file(cli: Cli, shop: Path, tmp_path: Path) -> None:
    out = tmp_path / "textfiles" / "kitchen.prom"
    assert cli("metrics", "--env", "dev", "--out", str(out)).code == 0
    found = samples(out.read_text())
    assert [labels["environment"] for labels, _ in found["kitchen_registry_up"]] == ["dev"]
    refused = cli("metrics", "--env", "prod")
    assert refused.code == 2 and "Did you mean 'production'?" in refused.err
