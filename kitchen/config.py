"""kitchen.yaml: the validated model and its loader.

Backends are chosen by ``type:`` alone (pydantic discriminated unions). Every error names the
file, the key path, the line and what was expected; unknown keys are errors, not ignored.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kitchen import config_checks, names
from kitchen.errors import ConfigError
from kitchen.yamlfile import describe, hint, read_yaml, validation_problems

if TYPE_CHECKING:
    from kitchen.backends.warehouse.base import Warehouse as WarehousePort

CONFIG_FILE = "kitchen.yaml"


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


def parse(text: str, source: Path) -> Config:
    node, data = read_yaml(text, source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level.")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        unknown = any(error["type"] == "extra_forbidden" for error in exc.errors())
        problems = validation_problems(exc, node)
        raise ConfigError(describe(problems, source, node), hint=hint(unknown)) from None
    problems = config_checks.across(config)
    if problems:
        raise ConfigError(describe(problems, source, node), hint=hint(False))
    return config
