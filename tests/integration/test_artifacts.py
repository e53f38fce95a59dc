"""Run artifacts in the environment's store (local folder, S3 via moto_server); none lost."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from tests.conftest import Cli, edit_config, run_kitchen
from tests.servers import S3Server, free_port


def use_s3(shop: Path, endpoint: str, bucket: str) -> None:
    edit_config(
        shop,
        "artifacts: {type: local, path: .kitchen/artifacts/dev}",
        f"artifacts: {{type: s3, bucket: {bucket}, prefix: team, endpoint_url: '{endpoint}'}}",
    )


def test_artifacts_go_to_s3_and_come_back(
    cli: Cli, shop: Path, s3: S3Server, s3_bucket: str, tmp_path: Path
) -> None:
    use_s3(shop, s3.url, s3_bucket)
    assert cli("create", "feature").code == 0
    run_id = cli("test", "feature", "--json").json()["run_id"]
    listed = cli("artifacts", "feature", "--json").json()["artifacts"]
    prefix = f"kitchens/feature/runs/{run_id}/"
    assert {f"{prefix}report.json", f"{prefix}junit.xml", f"{prefix}logs/shop.enrich.log"} <= set(
        listed
    )
    stored = boto3.client("s3", endpoint_url=s3.url).list_objects_v2(Bucket=s3_bucket)
    assert f"team/{prefix}report.json" in {item["Key"] for item in stored["Contents"]}
    assert cli("artifacts", "feature", run_id, "--download", str(tmp_path / "run")).code == 0
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["run_id"] == run_id and report["status"] == "passed"
    assert cli("artifacts", "feature", "nope", "--download", str(tmp_path / "x")).code == 2
    verbose = run_kitchen(shop, "--verbose", "artifacts", "feature")
    assert verbose.code == 0 and f"{prefix}junit.xml" in verbose.out
    assert "DEBUG:urllib3" in verbose.err and "DEBUG:botocore" not in verbose.err  # no signing


def test_an_unreachable_store_loses_nothing_and_retry_uploads_later(
    cli: Cli, shop: Path, s3: S3Server, s3_bucket: str
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    use_s3(shop, dead, s3_bucket)
    assert cli("create", "feature").code == 0
    result = cli("test", "feature", "--json")
    assert result.code == 0  # the tests passed; the store being down does not change that
    run_id = result.json()["run_id"]
    assert "kitchen artifacts --retry" in result.err
    assert cli("runs", "feature", "--json").json()["runs"][0]["id"] == run_id  # recorded
    waiting = shop / ".kitchen/pending-artifacts/dev" / f"kitchens/feature/runs/{run_id}"
    assert (waiting / "report.json").is_file()
    assert cli("artifacts", "--retry").code == 5  # still down: nothing is dropped
    assert (waiting / "report.json").is_file()
    edit_config(shop, dead, s3.url)
    retried = cli("artifacts", "--retry", "--json")
    assert retried.code == 0 and retried.json()["uploaded"]["dev"] >= 3
    assert not any(path.is_file() for path in waiting.rglob("*"))
    listed = cli("artifacts", "feature", run_id, "--json").json()["artifacts"]
    assert f"kitchens/feature/runs/{run_id}/report.json" in listed


def test_local_artifacts_on_the_embedded_default(cli: Cli, shop: Path) -> None:
    assert cli("create", "feature").code == 0
    run_id = cli("test", "feature", "--json").json()["run_id"]
    stored = shop / ".kitchen/artifacts/dev/kitchens/feature/runs" / run_id / "junit.xml"
    assert stored.read_text().startswith("<?xml")
    blocked = cli("artifacts", "feature", run_id, "--download", str(shop / "kitchen.yaml"))
    assert blocked.code == 2 and "a file is in the way" in blocked.err
    typo = cli("artifacts", "feature", run_id[:-1])
    assert typo.code == 2 and f"No run '{run_id[:-1]}' of feature. Did you mean" in typo.err


def test_artifacts_are_listed_newest_run_first(cli: Cli, shop: Path) -> None:
    """They came in the store's order, by run id: random, not the order of `kitchen runs`."""
    assert cli("create", "feature").code == 0
    ran = [cli("test", "feature", "--json").json()["run_id"] for _ in range(3)]
    listed = cli("artifacts", "feature", "--json").json()["artifacts"]
    runs = list(dict.fromkeys(key.split("/")[3] for key in listed))
    assert runs == ran[::-1] == [run["id"] for run in cli("runs", "--json").json()["runs"]]
