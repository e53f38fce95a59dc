from __future__ import annotations

import logging

import pytest

from kitchen import redaction
from kitchen.backends.secrets import Scoped, check_key
from kitchen.backends.secrets.file import FileSecretStore
from kitchen.cli.console import Console
from kitchen.errors import ConfigError, KitchenError, SecretsError


def test_scrub_masks_every_remembered_value_longest_first() -> None:
    redaction.remember("canary-abc")
    redaction.remember("canary-abc-longer")
    redaction.remember("ab")  # too short to scrub without blanking ordinary words
    assert redaction.scrub("x canary-abc-longer y canary-abc ab") == "x *** y *** ab"


def test_console_scrubs_results_errors_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    redaction.remember("hunter2-canary")
    console = Console(json_mode=False)
    console.success("connected with hunter2-canary")
    console.warn("hunter2-canary again")
    console.error(KitchenError("failed: hunter2-canary", hint="not hunter2-canary"))
    Console(json_mode=True).json({"dsn": "password=hunter2-canary"})
    captured = capsys.readouterr()
    assert "hunter2-canary" not in captured.out + captured.err
    assert captured.out.count("***") == 2


def test_log_records_are_scrubbed() -> None:
    redaction.remember("log-canary-123")
    record = logging.LogRecord("k", logging.DEBUG, "f", 1, "using %s", ("log-canary-123",), None)
    redaction.Filter().filter(record)
    assert record.getMessage() == "using ***"


@pytest.fixture
def store(tmp_path) -> FileSecretStore:
    store = FileSecretStore(tmp_path / "dev.yaml", "dev")
    store.set("warehouse#password", "env-value")
    store.set("kitchens/feature/warehouse#password", "kitchen-value")
    return store


def test_a_kitchens_own_path_comes_first_then_the_environment(store: FileSecretStore) -> None:
    assert Scoped(store, "feature").get("warehouse#password") == "kitchen-value"
    assert Scoped(store, "other").get("warehouse#password") == "env-value"
    assert Scoped(store, None).get("warehouse#password") == "env-value"
    with pytest.raises(SecretsError):
        Scoped(store, "feature").get("missing#key")


def test_references_resolve_inside_text_and_settings(store: FileSecretStore) -> None:
    from kitchen import config

    scoped = Scoped(store, None)
    text = "postgresql://u:{{ secret('warehouse#password') }}@h/db"
    assert scoped.resolve(text, "x") == "postgresql://u:env-value@h/db"
    settings = config.PostgresWarehouse(
        type="postgres", password='{{secret("warehouse#password")}}'
    )
    assert scoped.resolve_settings(settings, "w").password == "env-value"
    assert redaction.scrub("env-value") == "***"


@pytest.mark.parametrize(
    "text", ["{{ secret(warehouse) }}", "{{ secrets('a') }}", "{{ secret('a') "]
)
def test_malformed_references_are_config_errors(store: FileSecretStore, text: str) -> None:
    with pytest.raises(ConfigError, match="malformed secret reference"):
        Scoped(store, None).resolve(text, "environments.dev.warehouse.dsn")


@pytest.mark.parametrize("key", ["../etc#x", "a b", "#x", "a#b#c", "", "/abs"])
def test_bad_secret_keys(key: str) -> None:
    with pytest.raises(KitchenError):
        check_key(key)
