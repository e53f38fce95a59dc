"""Failed and warned runs are announced on the environment's webhook (a real HTTP server)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli, edit_config
from tests.servers import free_port


def configure(shop: Path, url: str, on: str = "") -> None:
    secrets = shop / ".kitchen/secrets/dev.yaml"
    secrets.write_text(secrets.read_text() + f"slack#webhook: {url}\n")
    edit_config(
        shop,
        "    sensitive: false\n",
        "    sensitive: false\n    notifications: {webhook: \"{{ secret('slack#webhook') }}\","
        f" channel: '#kitchen-{{{{ kitchen.name }}}}'{on}}}\n",
    )


def test_on_written_as_documented_chooses_the_runs_announced(
    cli: Cli, shop: Path, webhook: tuple[str, list[dict[str, str]]]
) -> None:
    """YAML 1.1 read the unquoted key `on` as true: a config error."""
    url, received = webhook
    configure(shop, url, on=", on: [passed]")
    assert cli("create", "feature").code == 0
    assert cli("test", "feature").code == 0
    assert [message["text"].split(" (")[0] for message in received] == [
        "kitchen test feature: passed"
    ]


def test_a_failed_run_is_announced_in_the_kitchens_channel(
    cli: Cli, shop: Path, webhook: tuple[str, list[dict[str, str]]]
) -> None:
    url, received = webhook
    configure(shop, url)
    assert cli("create", "feature").code == 0
    assert cli("test", "feature").code == 0
    assert received == []  # a passing run is not news
    (shop / "pipelines/shop/mart.sql").write_text(
        (shop / "pipelines/shop/mart.sql")
        .read_text()
        .replace("group by e.customer_id;", "group by e.customer_id, e.order_id;")
    )
    result = cli("test", "feature")
    assert result.code == 1
    assert len(received) == 1
    assert received[0]["channel"] == "#kitchen-feature"
    assert received[0]["text"].startswith("kitchen test feature: failed")
    assert "one-row-per-customer" in received[0]["text"]
    assert "canary" not in result.out + result.err


def test_an_unreachable_webhook_is_a_warning_only(cli: Cli, shop: Path) -> None:
    configure(shop, f"http://127.0.0.1:{free_port()}/hook-canary-token")
    assert cli("create", "feature").code == 0
    (shop / "pipelines/shop/staging.sql").write_text("select * from nowhere;")
    result = cli("test", "feature")
    assert result.code == 1  # the run's own result, unchanged
    assert "The run was not announced on dev's webhook (" in result.err
    assert "it waits for `kitchen artifacts --retry`" in result.err
    assert "canary" not in result.out + result.err
