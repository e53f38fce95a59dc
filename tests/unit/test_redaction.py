from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest

from kitchen import redaction
from kitchen.backends.secrets import Scoped, check_key
from kitchen.backends.secrets.file import FileSecretStore
from kitchen.cli.console import Console
from kitchen.errors import ConfigError, KitchenError, SecretsError
from kitchen.pipelines import junit
from kitchen.pipelines.checks import CheckResult
from kitchen.pipelines.model import Node
from kitchen.pipelines.runners import OUTPUT_TAIL, NodeResult, run_process


def test_scrub_masks_every_remembered_value_longest_first() -> None:
    redaction.remember("canary-abc")
    redaction.remember("canary-abc-longer")
    assert redaction.scrub("x canary-abc-longer y canary-abcd") == "x *** y ***d"


def test_a_short_secret_is_scrubbed_where_it_stands_alone() -> None:
    """Scrubbed inside words, a port or a PIN would blank out ordinary output."""
    redaction.remember("5432")
    redaction.remember("ab")
    assert redaction.scrub("host:5432 port=5432; 154321 about ab-c") == (
        "host:*** port=***; 154321 about ***-c"
    )


# quotes, XML's and the shell's specials, a backslash, a newline, non-ASCII letters
HOSTILE = "canary-q\"u'o&t<e>s\\ä€\n$(rm -rf /);`x`"


def test_a_secret_is_scrubbed_before_json_escapes_it(capsys: pytest.CaptureFixture[str]) -> None:
    redaction.remember(HOSTILE)
    Console(json_mode=True).json({"dsn": f"password={HOSTILE}", HOSTILE: [HOSTILE, 1]})
    out = capsys.readouterr().out
    assert json.loads(out) == {"dsn": "password=***", "***": ["***", 1]}
    # and text escaped elsewhere: JSON with and without \\u escapes, XML text and attributes
    for spelt in (
        json.dumps(HOSTILE),
        json.dumps(HOSTILE, ensure_ascii=False),
        escape(HOSTILE),
        quoteattr(HOSTILE),
    ):
        assert "canary" not in redaction.scrub(f"before {spelt} after")


def test_junit_holds_no_secret_whatever_it_contains() -> None:
    redaction.remember(HOSTILE)
    node = NodeResult("shop", "load", "shell", "failed", 1.0, f"bad {HOSTILE}", f"out {HOSTILE}")
    check = CheckResult("load", "rows", "sql", "error", "fail", None, f"saw {HOSTILE}")
    document = junit.render("run-1", "feature", [node], [check])
    texts = [
        text
        for element in ET.fromstring(document.encode()).iter()
        for text in [element.text or "", *element.attrib.values()]
    ]
    assert "bad ***" in texts and "out ***" in texts and "saw ***" in texts
    assert not any("canary" in text for text in texts)


def test_a_nodes_output_is_scrubbed_before_it_is_cut(tmp_path: Path) -> None:
    """Cut to its tail first, the output kept the end of a secret its tail began inside."""
    secret = "canary-" + "s" * 40
    redaction.remember(secret)
    tail = "t" * (OUTPUT_TAIL - 20)
    node = Node(name="talk", type="shell", command=f"printf %s {secret}{tail}")
    outcome = run_process(node, tmp_path, None, {"PATH": "/usr/bin:/bin"})
    assert outcome.passed and outcome.output.endswith(tail) and "ss" not in outcome.output


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
