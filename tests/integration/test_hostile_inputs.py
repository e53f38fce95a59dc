"""The hostile-input corpus: malformed or malicious names, config files, pipeline files,
masking rules and command arguments. Each gets a one- or two-line error with its exit code,
no traceback, and changes nothing: git, the warehouses, the secrets and the artifacts are as
they were (snapshot read with git and duckdb directly, plus the secrets and artifact files).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import Cli, snapshot

PIPELINE = "pipelines/evil/pipeline.yaml"


@dataclass(frozen=True)
class Hostile:
    args: tuple[str, ...]
    code: int
    said: str  # a fragment of the error
    files: tuple[tuple[str, str], ...] = ()  # (path, text) written first
    config: tuple[str, str] | None = None  # (old, new) in kitchen.yaml first
    link: tuple[str, str] | None = None  # (path, target): a symbolic link made first


def pipeline(text: str, *files: tuple[str, str]) -> tuple[tuple[str, str], ...]:
    return ((PIPELINE, text), *((f"pipelines/evil/{name}", body) for name, body in files))


def node(line: str) -> tuple[tuple[str, str], ...]:
    return pipeline(f"nodes:\n  - {line}\n", ("a.sql", "select 1"))


def rule(text: str) -> tuple[str, str]:
    return ("      customers.full_name: name\n", f"      {text}\n")


TEST = ("test", "dev")
REFRESH = ("data", "refresh", "dev")  # masks production's data into dev: applies the rules
LIST = ("list",)

CORPUS: dict[str, Hostile] = {
    # names (more in test_bad_names.py)
    "name: SQL": Hostile(("create", "x'); DROP TABLE kitchen_meta.kitchens;--"), 2, "name"),
    "name: path": Hostile(("delete", "../../etc"), 2, "name"),
    "name: shell": Hostile(("checkout", "$(rm -rf ~)"), 2, "name"),
    "name: newline": Hostile(("show", "dev\nproduction"), 2, "name"),
    "name: option-like": Hostile(("create", "--", "-rf"), 2, "name"),
    "name: reserved": Hostile(("create", "kitchen_meta"), 2, "reserved"),
    "name: unicode": Hostile(("create", "kï tchen"), 2, "name"),
    "name: 300 chars": Hostile(("create", "k" * 300), 2, "name"),
    # kitchen.yaml
    "yaml: unclosed": Hostile(LIST, 2, "invalid YAML", config=("project: ", "project: [")),
    "yaml: tab": Hostile(LIST, 2, "invalid YAML", config=("\n  production:", "\n\tproduction:")),
    "yaml: empty": Hostile(LIST, 2, "mapping", files=(("kitchen.yaml", ""),)),
    "yaml: a list": Hostile(LIST, 2, "mapping", files=(("kitchen.yaml", "- project\n"),)),
    "yaml: binary": Hostile(LIST, 2, "kitchen.yaml", files=(("kitchen.yaml", "\x00\x01\x02"),)),
    "yaml: duplicate key": Hostile(
        LIST, 2, "given twice", config=("pipelines: pipelines", "pipelines: a\npipelines: b")
    ),
    "yaml: billion laughs": Hostile(
        LIST,
        2,
        "more than 100,000 values",
        config=(
            "project: ",
            'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
            + "".join(f"{c}: &{c} [{','.join([f'*{chr(ord(c) - 1)}'] * 9)}]\n" for c in "bcdefghi")
            + "project: ",
        ),
    ),
    "yaml: 20,000 deep": Hostile(
        LIST, 2, "nested more than 64", config=("project: ", f"x: {'[' * 20000}{']' * 20000}\n")
    ),
    "yaml: an alias holding itself": Hostile(
        LIST, 2, "refers to a node that holds it", config=("project: ", "x: &x [*x]\nproject: ")
    ),
    "yaml: 600 kB": Hostile(
        LIST, 2, "more than kitchen reads", config=("project: ", f"# {'x' * 600_000}\nproject: ")
    ),
    "yaml: 14,000 unknown keys": Hostile(
        LIST,
        2,
        "more problems",
        config=("project: ", "".join(f"k{i}: [a, b]\n" for i in range(14_000)) + "project: "),
    ),
    "yaml: python object tag": Hostile(
        LIST,
        2,
        "kitchen.yaml",
        config=("project: ", "project: !!python/object/apply:os.system ['id']\nx: "),
    ),
    "config: unknown key": Hostile(LIST, 2, "unknown key", config=("pipelines:", "pipelinez:")),
    "config: wrong type": Hostile(
        LIST, 2, "protected", config=("protected: true", "protected: maybe")
    ),
    "config: port not a number": Hostile(
        LIST, 2, "kitchen.yaml", config=("git:\n", "git:\n  remote: [1, 2]\n")
    ),
    "config: unknown environment": Hostile(
        LIST, 2, "environment", config=("    environment: dev", "    environment: staging")
    ),
    "config: cycle in the tree": Hostile(
        LIST,
        2,
        "cycle",
        config=("    environment: production\n", "    environment: production\n    parent: dev\n"),
    ),
    "config: parent in another project": Hostile(
        LIST, 2, "parent", config=("    parent: production", "    parent: ../other/production")
    ),
    "config: unknown warehouse": Hostile(
        LIST,
        2,
        "type",
        config=("{type: duckdb, path: .kitchen/warehouse/dev_warehouse.duckdb}", "{type: oracle}"),
    ),
    "config: schema injection": Hostile(
        LIST,
        2,
        "schema",
        config=(
            "    branch: develop\n",
            '    branch: develop\n    schema: "dev; DROP SCHEMA production"\n',
        ),
    ),
    "config: branch prefix traversal": Hostile(
        LIST, 2, "branch_prefix", config=("branch_prefix: kitchen/", "branch_prefix: ../../")
    ),
    "config: sample over 100%": Hostile(
        REFRESH, 2, "sample", config=("  masking:\n", "  sample: {default: 110%}\n  masking:\n")
    ),
    # masking rules
    "rule: unknown strategy": Hostile(
        REFRESH, 2, "rot13", config=rule("customers.full_name: rot13")
    ),
    "rule: unknown table": Hostile(REFRESH, 2, "nosuch", config=rule("nosuch.full_name: name")),
    "rule: unknown column": Hostile(REFRESH, 2, "nosuch", config=rule("customers.nosuch: name")),
    "rule: wrong type": Hostile(
        REFRESH, 2, "customer_id", config=rule("customers.customer_id: email")
    ),
    "rule: SQL statement": Hostile(
        REFRESH,
        2,
        "one SQL expression",
        config=rule('customers.full_name: {sql: "{column}); DROP TABLE customers; --"}'),
    ),
    "rule: SQL comment": Hostile(
        REFRESH,
        2,
        "one SQL expression",
        config=rule('customers.full_name: {sql: "{column} /* hide */"}'),
    ),
    "rule: SQL without column": Hostile(
        REFRESH, 2, "{column}", config=rule('customers.full_name: {sql: "1"}')
    ),
    "rule: SQL the warehouse cannot run": Hostile(
        REFRESH,
        2,
        "cannot apply sql to customers.full_name",
        config=rule('customers.full_name: {sql: "upper({column}"}'),
    ),
    "rule: fixed value of another type": Hostile(
        REFRESH,
        2,
        "cannot apply fixed to customers.birth_date",
        config=("customers.birth_date: {shift: 180}", "customers.birth_date: {fixed: soon}"),
    ),
    "rule: YAML's false on a text column": Hostile(
        REFRESH, 2, "quote it", config=rule("customers.full_name: {fixed: false}")
    ),
    "rule: negative partial": Hostile(
        REFRESH, 2, "partial", config=rule("customers.full_name: {partial: -3}")
    ),
    "rule: shift not a number": Hostile(
        REFRESH,
        2,
        "shift",
        config=("customers.birth_date: {shift: 180}", "customers.birth_date: {shift: soon}"),
    ),
    "rule: no table part": Hostile(REFRESH, 2, "full_name", config=rule("full_name: name")),
    # pipeline files
    "pipeline: broken YAML": Hostile(TEST, 2, "invalid YAML", files=pipeline("nodes: [")),
    "pipeline: cycle": Hostile(
        TEST,
        2,
        "cycle",
        files=pipeline(
            "nodes:\n  - {name: a, type: sql, file: a.sql, depends_on: [b]}\n"
            "  - {name: b, type: sql, file: a.sql, depends_on: [a]}\n",
            ("a.sql", "select 1"),
        ),
    ),
    "pipeline: path traversal": Hostile(
        TEST, 2, "inside the pipeline", files=node("{name: a, type: sql, file: ../../etc/passwd}")
    ),
    "pipeline: absolute path": Hostile(
        TEST, 2, "inside the pipeline", files=node("{name: a, type: sql, file: /etc/passwd}")
    ),
    "pipeline: symlink out": Hostile(
        TEST,
        2,
        "outside the pipeline's folder",
        files=pipeline("nodes:\n  - {name: a, type: sql, file: a.sql}\n"),
        link=("pipelines/evil/a.sql", "/etc/hostname"),
    ),
    "pipeline: unknown node type": Hostile(
        TEST, 2, "type", files=node("{name: a, type: cobol, file: a.sql}")
    ),
    "pipeline: unknown dependency": Hostile(
        TEST, 2, "nope", files=node("{name: a, type: sql, file: a.sql, depends_on: [nope]}")
    ),
    "pipeline: duplicate node": Hostile(
        TEST,
        2,
        "a",
        files=pipeline(
            "nodes:\n  - {name: a, type: sql, file: a.sql}\n"
            "  - {name: a, type: sql, file: a.sql}\n",
            ("a.sql", "select 1"),
        ),
    ),
    "pipeline: unknown check": Hostile(
        TEST,
        2,
        "check",
        files=node(
            "{name: a, type: sql, file: a.sql, tests: [{name: t, check: {type: telepathy}}]}"
        ),
    ),
    "pipeline: negative timeout": Hostile(
        TEST, 2, "timeout", files=node("{name: a, type: sql, file: a.sql, timeout: -5}")
    ),
    "pipeline: node name injection": Hostile(
        TEST, 2, "name", files=node('{name: "a; rm -rf /", type: sql, file: a.sql}')
    ),
    "template: class walk": Hostile(
        TEST,
        2,
        "a.sql",
        files=pipeline(
            "nodes:\n  - {name: a, type: sql, file: a.sql}\n",
            ("a.sql", "select '{{ ''.__class__.__mro__ }}'"),
        ),
    ),
    "template: read the environment": Hostile(
        TEST,
        2,
        "a.sql",
        files=pipeline(
            "nodes:\n  - {name: a, type: sql, file: a.sql}\n",
            ("a.sql", "select '{{ environ.HOME }}'"),
        ),
    ),
    "template: os module": Hostile(
        TEST,
        2,
        "a.sql",
        files=pipeline(
            "nodes:\n  - {name: a, type: sql, file: a.sql}\n", ("a.sql", "{{ os.environ['HOME'] }}")
        ),
    ),
    "template: include a file": Hostile(
        TEST,
        2,
        "a.sql",
        files=pipeline(
            "nodes:\n  - {name: a, type: sql, file: a.sql}\n",
            ("a.sql", "{% include '/etc/passwd' %}"),
        ),
    ),
    "template: syntax": Hostile(
        TEST,
        2,
        "a.sql",
        files=pipeline("nodes:\n  - {name: a, type: sql, file: a.sql}\n", ("a.sql", "{% for %}")),
    ),
    "template: missing secret": Hostile(
        TEST,
        2,
        "nope",
        files=pipeline(
            "nodes:\n  - {name: a, type: sql, file: a.sql}\n",
            ("a.sql", "select '{{ secret(\"nope#x\") }}'"),
        ),
    ),
    # command arguments
    "args: --var without =": Hostile(("test", "dev", "--var", "novalue"), 2, "var"),
    "args: --parallel 0": Hostile(("test", "dev", "--parallel", "0"), 2, "parallel"),
    "args: --ttl forever": Hostile(("create", "x", "--ttl", "forever"), 2, "TTL"),
    "args: --ttl 0d": Hostile(("create", "x", "--ttl", "0d"), 2, "TTL"),
    "args: --staff not an email": Hostile(("create", "x", "--staff", "bob; rm -rf /"), 2, "Staff"),
    "args: --sample words": Hostile(("create", "x", "--sample", "lots"), 2, "sample"),
    "args: --sample negative": Hostile(("create", "x", "--sample", "-5"), 2, "sample"),
    "args: --wait negative": Hostile(("merge", "dev", "--wait", "-1"), 2, "wait"),
    "args: bad tag": Hostile(
        ("promote", "dev", "--to", "production", "--release", "v1..2"), 2, "tag"
    ),
    "args: unknown tag": Hostile(("rollback", "production", "--to", "nosuch"), 2, "nosuch"),
    "args: secret key traversal": Hostile(("secrets", "set", "dev", "../../x"), 2, "key"),
    "args: run without a command": Hostile(("run", "dev"), 2, "command"),
    "args: refresh from itself": Hostile(("data", "refresh", "dev", "--from", "dev"), 2, "dev"),
    "args: init into a file": Hostile(("init", "/dev/null/shop"), 2, "a file is in the way"),
    "args: -C nowhere": Hostile(("-C", "/nonexistent/place", "list"), 2, "nonexistent"),
    "args: unknown command": Hostile(("destroy",), 2, "destroy"),
    "args: unknown option": Hostile(("list", "--force-everything"), 2, "force-everything"),
}


def state(shop: Path) -> dict[str, object]:
    """Git and the warehouses (snapshot), plus the secrets and artifact files."""
    files = sorted(
        (str(path.relative_to(shop)), hashlib.sha256(path.read_bytes()).hexdigest())
        for folder in (".kitchen/secrets", ".kitchen/artifacts")
        for path in (shop / folder).rglob("*")
        if path.is_file()
    )
    return {**snapshot(shop), "files": files}


@pytest.mark.parametrize("case", CORPUS)
def test_hostile_input_is_refused_clearly_and_changes_nothing(
    cli: Cli, shop: Path, case: str
) -> None:
    hostile = CORPUS[case]
    for path, text in hostile.files:
        (shop / path).parent.mkdir(parents=True, exist_ok=True)
        (shop / path).write_text(text)
    if hostile.link:
        (shop / hostile.link[0]).symlink_to(hostile.link[1])
    if hostile.config:
        config = shop / "kitchen.yaml"
        old, new = hostile.config
        assert old in config.read_text(), f"kitchen.yaml has no {old!r}"
        config.write_text(config.read_text().replace(old, new, 1))
    before = state(shop)
    result = cli(*hostile.args)
    assert (result.code, "Traceback" not in result.err) == (hostile.code, True), result.err
    assert result.err.startswith("error:") and hostile.said in result.err, result.err
    assert state(shop) == before


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 60
