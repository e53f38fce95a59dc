"""kitchen.yaml: the validated model and its loader.

Backends are chosen by ``type:`` alone (pydantic discriminated unions). Every error names the
file, the key path, the line and what was expected; unknown keys are errors, not ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kitchen import names
from kitchen.errors import ConfigError
from kitchen.text import counted

if TYPE_CHECKING:
    from kitchen.backends.warehouse.base import Warehouse as WarehousePort

CONFIG_FILE = "kitchen.yaml"
MAX_PROBLEMS = 5  # listed in one error; the rest are counted
SECRET_KEY = re.compile(r"password|dsn|salt|secret|token|credential", re.IGNORECASE)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Warehouses


class WarehouseSettings(Strict):
    """What the settings of every engine may say."""

    DIALECT: ClassVar[str]  # sqlglot's name for its SQL: lineage parses it without a connection
    LOGINS: ClassVar[bool] = False  # the engine has logins kitchen may make, one per kitchen
    HOLDS_REGISTRY: ClassVar[bool] = True  # enforced keys and transactions: a merge lock holds
    kitchen_roles: bool = False  # a login role per kitchen, limited to its own schema
    read_parent: bool = False  # kitchen roles may also read their parent's schema

    @model_validator(mode="after")
    def _logins_where_the_engine_has_them(self) -> WarehouseSettings:
        if (self.kitchen_roles or self.read_parent) and not self.LOGINS:
            kind = getattr(self, "type", "this engine")
            raise ValueError(
                f"{kind} has no logins kitchen could make per kitchen: leave out kitchen_roles"
                " and read_parent"
            )
        return self


class DuckDBWarehouse(WarehouseSettings):
    DIALECT: ClassVar[str] = "duckdb"
    type: Literal["duckdb"]
    path: str = Field(description="DuckDB database file, relative to the repository root")

    def connect(self, root: Path, environment: str, part: str = "warehouse") -> WarehousePort:
        """The adapter; its driver is imported here, not at start-up."""
        from kitchen.backends.warehouse.duckdb import DuckDBWarehouse as Adapter

        return Adapter(root / self.path, environment, part)


class PostgresWarehouse(WarehouseSettings):
    DIALECT: ClassVar[str] = "postgres"
    LOGINS: ClassVar[bool] = True
    type: Literal["postgres"]
    dsn: str | None = None
    host: str | None = None
    port: int = 5432
    dbname: str | None = None
    user: str | None = None
    password: str | None = None
    sslmode: str | None = None
    threads: int = Field(default=4, ge=1, le=64)  # tables copied (and verified) at once

    def connect(self, root: Path, environment: str, part: str = "warehouse") -> WarehousePort:
        from kitchen.backends.warehouse.postgres import PostgresWarehouse as Adapter

        return Adapter(self, environment, part)


class SparkWarehouse(WarehouseSettings):
    """Apache Spark through Spark Connect: a cluster's (standalone, YARN, Kubernetes) or a
    managed service's. A kitchen's schema is a database of the server's catalog."""

    DIALECT: ClassVar[str] = "spark"
    HOLDS_REGISTRY: ClassVar[bool] = False  # no enforced keys, no transactions
    type: Literal["spark"]
    url: str  # sc://host:15002
    token: str | None = None  # {{ secret('spark#token') }}: sent as the Connect token

    @field_validator("url")
    @classmethod
    def _a_connect_url(cls, value: str) -> str:
        if not re.fullmatch(r"sc://[^/;\s]+(/;.*)?", value):
            raise ValueError("must be a Spark Connect URL: sc://host:port")
        return value

    def connect(self, root: Path, environment: str, part: str = "warehouse") -> WarehousePort:
        from kitchen.backends.warehouse.spark import SparkWarehouse as Adapter

        return Adapter(self, environment, part)


Warehouse = Annotated[
    DuckDBWarehouse | PostgresWarehouse | SparkWarehouse, Field(discriminator="type")
]


# Secrets


class FileSecrets(Strict):
    type: Literal["file"]
    path: str


class VaultAuth(Strict):
    """How kitchen logs in. Credentials come from the environment or files, never the config."""

    method: Literal["token", "approle", "jwt"] = "token"
    mount: str | None = None  # the auth method's mount (default: approle, jwt)
    token_file: str | None = None  # token: VAULT_TOKEN, else this file, else ~/.vault-token
    role_id_file: str | None = None  # approle: VAULT_ROLE_ID, else this file
    secret_id_file: str | None = None  # approle: VAULT_SECRET_ID, else this file
    role: str | None = None  # jwt: the role to log in as
    jwt_env: str = "VAULT_JWT"  # jwt: the variable CI puts its identity token in


class VaultSecrets(Strict):
    type: Literal["vault"]
    url: str | None = None  # default: VAULT_ADDR
    mount: str = "secret"  # a KV version 2 mount
    path: str  # this environment's secrets live below it
    namespace: str | None = None  # default: VAULT_NAMESPACE
    verify: bool = True
    ca_cert: str | None = None  # default: VAULT_CACERT
    timeout: int = 10
    auth: VaultAuth = VaultAuth()


Secrets = Annotated[FileSecrets | VaultSecrets, Field(discriminator="type")]


# Artifacts


class LocalArtifacts(Strict):
    type: Literal["local"]
    path: str


class S3Artifacts(Strict):
    type: Literal["s3"]
    bucket: str
    prefix: str = ""
    region: str | None = None
    endpoint_url: str | None = None


Artifacts = Annotated[LocalArtifacts | S3Artifacts, Field(discriminator="type")]


class SlackTarget(Strict):
    """A Slack incoming webhook: one channel (Slack apps' webhooks post where they were
    made, whatever a message asks)."""

    type: Literal["slack"]
    webhook: str  # may be {{ secret('slack#webhook') }}: such URLs are credentials


class TeamsTarget(Strict):
    """A Microsoft Teams webhook (a Workflows "post to a channel when a webhook request is
    received"): an Adaptive Card."""

    type: Literal["teams"]
    webhook: str


class WebhookTarget(Strict):
    """Any HTTP endpoint: the run's announcement as JSON (docs/json.md)."""

    type: Literal["webhook"]
    url: str


Target = Annotated[SlackTarget | TeamsTarget | WebhookTarget, Field(discriminator="type")]


class Notifications(Strict):
    """Where runs that failed or warned are announced: named targets, and which of them a
    kitchen that names none uses (``default``; all where unset). The first form, one
    Slack-compatible ``webhook`` (with a legacy webhook's ``channel``), still works."""

    webhook: str | None = None  # may be {{ secret('slack#webhook') }}: such URLs are credentials
    channel: str | None = None  # legacy Slack webhooks only; may name the kitchen
    on: list[Literal["failed", "warned", "passed"]] = ["failed", "warned"]
    targets: dict[str, Target] = {}
    default: list[str] | None = None

    @model_validator(mode="after")
    def _targets_known(self) -> Notifications:
        if self.webhook is None and not self.targets:
            raise ValueError("name at least one target under targets (or give a webhook)")
        unknown = [name for name in self.default or [] if name not in self.named()]
        if unknown:
            raise ValueError(f"default names {unknown[0]!r}, which is not one of the targets")
        return self

    def named(self) -> dict[str, SlackTarget | TeamsTarget | WebhookTarget]:
        """Every target by name, the first form's webhook as ``webhook``."""
        found: dict[str, SlackTarget | TeamsTarget | WebhookTarget] = dict(self.targets)
        if self.webhook is not None:
            found.setdefault("webhook", SlackTarget(type="slack", webhook=self.webhook))
        return found


class Environment(Strict):
    """A release environment: warehouse + secrets + artifacts, aligned across dev and prod."""

    warehouse: Warehouse
    # where its registry (kitchens, runs, releases, audit trail) is kept, where not in the
    # warehouse: a store of its own, as SQLMesh keeps its state connection apart
    registry: Warehouse | None = None
    secrets: Secrets
    artifacts: Artifacts
    sensitive: bool = Field(False, description="data leaving it is always masked")
    # variables for `kitchen run` and pipelines; values may be {{ secret('path#key') }}
    env: dict[str, str] = {}
    vars: dict[str, Any] = {}  # pipeline template variables for this environment
    notifications: Notifications | None = None


class RootKitchen(Strict):
    environment: str
    parent: str | None = None
    branch: str
    schema_: str | None = Field(None, alias="schema")
    protected: bool = False
    staff: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    vars: dict[str, Any] = {}  # pipeline template variables for this kitchen

    @field_validator("schema_")
    @classmethod
    def _schema_is_a_plain_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", value):
            raise ValueError("must use lowercase letters, digits and '_', starting with a letter")
        return value


class GitSettings(Strict):
    remote: str | None = None
    branch_prefix: str = "kitchen/"

    @field_validator("branch_prefix")
    @classmethod
    def _prefix_is_a_ref_path(cls, value: str) -> str:
        if value and not re.fullmatch(r"([A-Za-z0-9_-][A-Za-z0-9._-]*/)*", value):
            raise ValueError("must be empty or folder names each ending in '/', e.g. 'kitchen/'")
        return value


class Sample(Strict):
    default: str | int | None = None  # "10%", a row count, or all (the default)
    tables: dict[str, str | int] = {}
    seed: int = 0
    foreign_keys: list[str] = []  # "orders.customer_id -> customers.id", beyond the catalogue


class Masking(Strict):
    salt: str | None = None
    rules: dict[str, str | dict[str, Any] | None] = {}  # YAML's null is the null strategy


class DataSettings(Strict):
    # how a kitchen gets its parent's data: a copy, views onto the parent's tables (nothing
    # copied; same environment, no masking on the way), or zero-copy clones (where the
    # engine has them); `kitchen create --data` chooses for one kitchen
    mode: Literal["copy", "views", "clone"] = "copy"
    sample: Sample = Sample()
    masking: Masking = Masking()
    unmasked_pii: Literal["fail", "warn"] = "fail"
    exclude: list[str] = []  # tables no copy takes (globs): raw logs, a table kept from view


class Tickets(Strict):
    """Where a kitchen's ticket (``kitchen create --ticket KEY``) is read."""

    url: str  # with {key}: https://jira.example/browse/{key}

    def link(self, key: str) -> str:
        return self.url.replace("{key}", key)


class Config(Strict):
    project: str
    git: GitSettings = GitSettings()
    environments: dict[str, Environment]
    kitchens: dict[str, RootKitchen]
    data: DataSettings = DataSettings()
    pipelines: str = "pipelines"
    tickets: Tickets | None = None

    @field_validator("kitchens")
    @classmethod
    def _root_names_follow_the_rule(cls, value: dict[str, RootKitchen]) -> dict[str, RootKitchen]:
        for name in value:
            if not names.NAME_PATTERN.fullmatch(name) or len(name) > names.MAX_LENGTH:
                raise ValueError(f"kitchen name {name!r} must use {names.RULE}")
        return value

    def root_schema(self, name: str) -> str:
        return self.kitchens[name].schema_ or names.schema_for(name)


def load(path: Path) -> Config:
    """Read and validate ``path``; every problem is a ``ConfigError`` naming file and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"No {CONFIG_FILE} at {path.parent}.", hint="Run `kitchen init` to create one."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc}).") from exc
    return parse(text, path)


# Bounds on what kitchen reads as YAML (kitchen.yaml, pipeline files): far above any real
# project's, far below what would take minutes or all memory to read.
MAX_CHARACTERS = 512_000  # read in about 2 s (libyaml)
MAX_DEPTH = 64  # nested mappings and lists
MAX_VALUES = 100_000  # values once aliases are expanded

# libyaml's reader where PyYAML was built with it: 4 times as fast as the pure-Python one
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """YAML 1.2's booleans: only true and false. YAML 1.1 also reads on, off, yes, no, y
    and n as booleans, which made the documented `on: [failed]` a key `true`. Where a
    setting wants a boolean, pydantic still reads yes, no, on and off."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(text: str, source: Path) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for line numbers) and its data; a syntax error names the
    file, line and column. A document past the bounds above is refused before it is read
    as a whole."""
    marker = re.search(r"^<<<<<<< ", text, re.MULTILINE)
    if marker is not None:  # what an update's merge leaves: kitchen cannot read its config
        line = text.count("\n", 0, marker.start()) + 1
        raise ConfigError(
            f"{source}:{line}: a merge left git's conflict markers in it.",
            hint="Resolve the conflict and `git add` the file, then `kitchen update --continue`;"
            " or `git merge --abort` to leave everything as it was.",
        )
    if len(text) > MAX_CHARACTERS:
        raise ConfigError(
            f"{source}: {len(text):,} characters, more than kitchen reads ({MAX_CHARACTERS:,}).",
            hint="A project's settings fit in far less: split pipelines into files of their own.",
        )
    try:
        _check_depth(text, source)
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            _refuse_duplicate_keys(node, source)
            _count_values(node, source)
            return node, None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except RecursionError:  # aliases within aliases, each within the bounds
        raise ConfigError(
            f"{source}: its aliases nest more than kitchen reads.",
            hint="Write the values out, or use fewer nested aliases.",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else str(source)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{where}: invalid YAML: {problem}.", hint="Fix the YAML syntax at that position."
        ) from None


def _check_depth(text: str, source: Path) -> None:
    """Refuse nesting deeper than ``MAX_DEPTH`` from the tokens, before anything recursive
    reads them (PyYAML's composer recursed to a RecursionError at 20,000 levels)."""
    opening = (
        yaml.BlockMappingStartToken,
        yaml.BlockSequenceStartToken,
        yaml.FlowMappingStartToken,
        yaml.FlowSequenceStartToken,
    )
    closing = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
    depth = 0
    for token in yaml.scan(text, Loader=_Loader):
        if isinstance(token, opening):
            depth += 1
            if depth > MAX_DEPTH:
                line = token.start_mark.line + 1
                raise ConfigError(
                    f"{source}:{line}: nested more than {MAX_DEPTH} levels deep.",
                    hint="kitchen's settings nest a few levels: this is not a kitchen file.",
                )
        elif isinstance(token, closing):
            depth -= 1


def _count_values(node: yaml.Node | None, source: Path) -> None:
    """Refuse a document whose aliases expand past ``MAX_VALUES`` values (a billion laughs
    is 9 lines), or refer to a node that holds them."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, path: tuple[int, ...]) -> int:
        if id(node) in path:
            raise ConfigError(f"{source}: an alias refers to a node that holds it.")
        if id(node) not in sizes:
            inner = (*path, id(node))
            if isinstance(node, yaml.MappingNode):
                found = sum(size(k, inner) + size(v, inner) for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                found = sum(size(item, inner) for item in node.value)
            else:
                found = 0
            sizes[id(node)] = 1 + found
            if sizes[id(node)] > MAX_VALUES:
                raise ConfigError(
                    f"{source}: more than {MAX_VALUES:,} values, its aliases expanded.",
                    hint="A project's settings hold far fewer; where aliases repeat values "
                    "within values, write them out.",
                )
        return sizes[id(node)]

    if node is not None:
        size(node, ())


def _refuse_duplicate_keys(
    node: yaml.Node | None, source: Path, visited: set[int] | None = None
) -> None:
    """YAML lets a later key silently replace an earlier one; a config must not. Each node
    is visited once: aliases share nodes, and a billion laughs must not take a billion steps."""
    visited = set() if visited is None else visited
    if node is None or id(node) in visited:
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[object] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in keys:
                    raise ConfigError(
                        f"{source}:{key.start_mark.line + 1}: {key.value}: given twice.",
                        hint="Keep one of them; YAML would silently drop the first.",
                    )
                keys.add(key.value)
            _refuse_duplicate_keys(value, source, visited)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _refuse_duplicate_keys(item, source, visited)


def parse(text: str, source: Path) -> Config:
    node, data = read_yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level.")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        unknown = any(error["type"] == "extra_forbidden" for error in exc.errors())
        problems = validation_problems(exc, node)
        raise ConfigError(describe(problems, source, node), hint=_hint(unknown)) from None
    problems = _tree_problems(config)
    if problems:
        raise ConfigError(describe(problems, source, node), hint=_hint(False))
    return config


Problem = tuple[list[int | str], str]


def _tree_problems(config: Config) -> list[Problem]:
    """Checks across sections: environments exist, parents exist, no parent cycle."""
    if not config.kitchens:
        return [(["kitchens"], "declare at least one root kitchen")]
    problems: list[Problem] = _registries_held(config) + _shared_registries(config)
    known = ", ".join(sorted(config.environments)) or "none"
    for name, kitchen in config.kitchens.items():
        if kitchen.environment not in config.environments:
            problems.append(
                (
                    ["kitchens", name, "environment"],
                    f"unknown environment {kitchen.environment!r} (declared: {known})",
                )
            )
        if kitchen.parent is not None and kitchen.parent not in config.kitchens:
            problems.append((["kitchens", name, "parent"], f"unknown kitchen {kitchen.parent!r}"))
        elif (cycle := _cycle_from(config, name)) is not None:
            problems.append((["kitchens", name, "parent"], f"parent cycle {cycle}"))
    return problems


def _registries_held(config: Config) -> list[Problem]:
    """An engine without enforced keys and transactions cannot hold the registry (two
    merges would both take the lock): such an environment names a store of its own."""
    problems: list[Problem] = []
    for name, environment in config.environments.items():
        store, key = environment.registry or environment.warehouse, "registry"
        if environment.registry is None:
            key = "warehouse"
        if not store.HOLDS_REGISTRY:
            problems.append(
                (
                    ["environments", name, key],
                    f"{store.type} enforces neither keys nor transactions, so it cannot hold "
                    "kitchen's registry: keep it in a store of its own, registry: {type: "
                    "postgres, ...} or {type: duckdb, path: ...}",
                )
            )
    return problems


def _shared_registries(config: Config) -> list[Problem]:
    """Each environment's registry in a store of its own: two in one would read each
    other's kitchens, locks and operations as theirs."""
    problems: list[Problem] = []
    held: dict[str, str] = {}  # a store's settings: the environment whose registry is there
    for name, environment in config.environments.items():
        store = (environment.registry or environment.warehouse).model_dump_json()
        if store in held:
            key = "registry" if environment.registry else "warehouse"
            problems.append(
                (
                    ["environments", name, key],
                    f"the registry of environment {held[store]!r} is kept there already; "
                    "give this environment a registry store of its own",
                )
            )
        held.setdefault(store, name)
    return problems


def _cycle_from(config: Config, start: str) -> str | None:
    seen = [start]
    parent = config.kitchens[start].parent
    while parent is not None and parent in config.kitchens:
        if parent in seen:
            return " -> ".join([*seen, parent])
        seen.append(parent)
        parent = config.kitchens[parent].parent
    return None


def describe(problems: list[Problem], source: Path, node: yaml.Node | None) -> str:
    """``file:line: key.path: what was expected``, one line per problem."""
    lines = []
    for loc, expected in problems[:MAX_PROBLEMS]:
        key = ".".join(str(part) for part in loc) or "(top level)"
        line = _line_of(node, loc)
        lines.append(
            f"{source}:{line}: {key}: {expected}" if line else f"{source}: {key}: {expected}"
        )
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"... and {counted(len(problems) - MAX_PROBLEMS, 'more problem')}")
    return "\n".join(lines)


def validation_problems(exc: ValidationError, node: yaml.Node | None) -> list[Problem]:
    """pydantic's errors as (key path in the YAML, what was expected), a line per key: a
    value no member of a union takes reads "Input should be a valid string or a valid
    dictionary (got a list)", not a line per member."""
    merged: dict[tuple[int | str, ...], list[str]] = {}
    for index, error in enumerate(exc.errors()):
        # past what is shown, only counted: finding each key in the tree took minutes
        loc = list(error["loc"])
        loc = strip_union_tags(loc, node) if index < 10 * MAX_PROBLEMS else loc
        merged.setdefault(tuple(loc), []).append(expected(error))
    lines: list[Problem] = []
    for key, messages in merged.items():
        first, *others = dict.fromkeys(messages)  # in order, without repeats
        for other in others:
            got = re.search(r" \(got .*\)$", first)
            first = first.removesuffix(got.group()) if got else first
            first += " or " + other.removeprefix("Input should be ")
        lines.append((list(key), first))
    return lines


def _hint(unknown_keys: bool) -> str:
    if unknown_keys:
        return "Remove or correct the unknown keys; kitchen.example.yaml documents every key."
    return "See kitchen.example.yaml for a complete, commented example."


def strip_union_tags(loc: list[int | str], node: yaml.Node | None) -> list[int | str]:
    """pydantic adds the chosen union member ("duckdb", "function-after[...]") to locations;
    such a part is dropped where the YAML has no key of that name at that point."""
    kept: list[int | str] = []
    for part in loc:
        keys = {k.value: v for k, v in node.value} if isinstance(node, yaml.MappingNode) else {}
        if isinstance(part, str) and part not in keys and ("[" in part or part in _TAGS):
            continue
        kept.append(part)
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = keys.get(part) if isinstance(part, str) else None
    return kept


_TAGS = {
    "duckdb",
    "postgres",
    "spark",
    "file",
    "vault",
    "local",
    "s3",
    "str",
    "int",
    "float",
    "bool",
    "date",
    "datetime",
    "dict[str,any]",
    "row_count",
    "not_null",
    "unique",
    "accepted_values",
    "relationships",
    "sql",
    "freshness",
    "schema",
    "spc",
}


def expected(error: Any) -> str:
    """What a pydantic error says was expected, in the words of a config file."""
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if kind == "union_tag_invalid":
        ctx = error["ctx"]
        return f"type must be one of {ctx['expected_tags']} (got {ctx['tag']!r})"
    if kind == "union_tag_not_found":
        return "a 'type:' key is required"
    message = str(error["msg"]).removeprefix("Value error, ")
    # a password written as a number is still a password: its value is never shown
    secret = any(isinstance(part, str) and SECRET_KEY.search(part) for part in error["loc"])
    shown = None if secret or kind == "value_error" else _shown(error.get("input"))
    return f"{message} (got {shown})" if shown else message


def _shown(value: Any) -> str | None:
    """A value as an error shows it: a scalar as written, a list or mapping by its kind."""
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a mapping"
    return repr(value) if isinstance(value, str | int | float | bool) else None


def _line_of(node: yaml.Node | None, loc: list[int | str]) -> int | None:
    """The 1-based line of the deepest existing node along ``loc``."""
    line = None
    for part in loc:
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
            continue
        if not isinstance(node, yaml.MappingNode):
            break
        found = next(((k, v) for k, v in node.value if k.value == part), None)
        if found is None:
            break
        key, node = found
        line = key.start_mark.line + 1
    return line
