"""HashiCorp Vault and OpenBao (KV version 2) through hvac.

A key is ``path#field``: the field of the secret at ``<environment path>/<path>``; a key
without ``#`` is the field ``value``. Logging in uses a token (``VAULT_TOKEN``, a token file
or ``~/.vault-token``), AppRole (role and secret id from variables or files) or JWT (a CI
identity token from a variable). Values never enter a message.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import hvac
import requests
from hvac import exceptions as vault

from kitchen import config
from kitchen.errors import BadInput, ConfigError, NotAllowed, SecretsError, Unreachable
from kitchen.names import did_you_mean

DEFAULT_FIELD = "value"


class VaultSecretStore:
    def __init__(self, settings: config.VaultSecrets, environment: str, root: Path) -> None:
        self.settings = settings
        self.environment = environment
        self.root = root
        self.url = settings.url or os.environ.get("VAULT_ADDR") or ""
        if not self.url:
            raise BadInput(
                f"environments.{environment}.secrets.url is not set and VAULT_ADDR is empty.",
                hint="Give the Vault address in kitchen.yaml or VAULT_ADDR.",
            )
        self.prefix = settings.path.strip("/")
        self._client: hvac.Client | None = None

    @property
    def location(self) -> str:
        return f"Vault at {self.url}, {self.settings.mount}/{self.prefix}"

    # the protocol

    def get(self, key: str) -> str:
        path, field = split(key)
        with self._mapped(path):
            fields = self._fields(path)
        if fields.get(field) is None:
            raise self._missing(path, field, fields)
        return str(fields[field])

    def set(self, key: str, value: str) -> None:
        path, field = split(key)
        with self._mapped(path):
            self._write(path, {**self._fields(path), field: value})

    def delete(self, key: str) -> None:
        path, field = split(key)
        with self._mapped(path):
            remaining = {name: v for name, v in self._fields(path).items() if name != field}
            if remaining:
                self._write(path, remaining)
            else:
                self.client.secrets.kv.v2.delete_metadata_and_all_versions(
                    path=self._full(path), mount_point=self.settings.mount
                )

    def keys(self) -> list[str]:
        found: list[str] = []
        self._walk("", found)
        return sorted(found)

    # plumbing

    def _fields(self, path: str) -> dict[str, str]:
        """The fields of the secret at ``path`` (none if there is no secret there)."""
        try:
            secret = self.client.secrets.kv.v2.read_secret_version(
                path=self._full(path),
                mount_point=self.settings.mount,
                raise_on_deleted_version=True,
            )
        except vault.InvalidPath:
            return {}
        return dict(secret["data"]["data"])

    def _write(self, path: str, fields: dict[str, str]) -> None:
        self.client.secrets.kv.v2.create_or_update_secret(
            path=self._full(path), secret=fields, mount_point=self.settings.mount
        )

    def _walk(self, folder: str, found: list[str]) -> None:
        kv = self.client.secrets.kv.v2
        with self._mapped(folder or "."):
            try:
                listed = kv.list_secrets(path=self._full(folder), mount_point=self.settings.mount)
            except vault.InvalidPath:
                return
        for name in listed["data"]["keys"]:
            path = f"{folder}{name}"
            if name.endswith("/"):
                self._walk(path, found)
                continue
            with self._mapped(path):
                found.extend(f"{path}#{field}" for field in self._fields(path))

    def _full(self, path: str) -> str:
        return f"{self.prefix}/{path}".strip("/") if path and path != "." else self.prefix

    @property
    def client(self) -> hvac.Client:
        if self._client is None:
            verify: bool | str = self.settings.verify
            ca_cert = self.settings.ca_cert or os.environ.get("VAULT_CACERT")
            if verify and ca_cert:
                verify = str(self.root / ca_cert)
                if not Path(verify).is_file():
                    raise ConfigError(
                        f"environments.{self.environment}.secrets.ca_cert: no file {verify}.",
                        hint="Point ca_cert (or VAULT_CACERT) at the CA bundle of the Vault.",
                    )
            client = hvac.Client(
                url=self.url,
                namespace=self.settings.namespace or os.environ.get("VAULT_NAMESPACE"),
                verify=verify,
                timeout=self.settings.timeout,
            )
            with self._mapped("auth"):
                self._log_in(client)
            self._client = client
        return self._client

    def _log_in(self, client: hvac.Client) -> None:
        auth = self.settings.auth
        if auth.method == "token":
            client.token = self._token()
        elif auth.method == "approle":
            role_id = _from_env_or_file("VAULT_ROLE_ID", auth.role_id_file, self.root, "role id")
            secret_id = _from_env_or_file(
                "VAULT_SECRET_ID", auth.secret_id_file, self.root, "secret id"
            )
            client.auth.approle.login(role_id, secret_id, mount_point=auth.mount or "approle")
        else:
            token = os.environ.get(auth.jwt_env)
            if not token:
                raise NotAllowed(
                    f"No CI identity token in {auth.jwt_env} for the {self.environment} Vault.",
                    hint=f"Have the CI job expose its OIDC token as {auth.jwt_env}.",
                )
            client.auth.jwt.jwt_login(role=auth.role, jwt=token, path=auth.mount or "jwt")

    def _token(self) -> str:
        token = os.environ.get("VAULT_TOKEN")
        if token:
            return token
        files = [self.root / f for f in [self.settings.auth.token_file] if f]
        files.append(Path.home() / ".vault-token")
        for path in files:
            if path.is_file():
                return path.read_text(encoding="utf-8").strip()
        raise NotAllowed(
            f"No Vault token for the {self.environment} environment ({self.url}).",
            hint="Log in with `vault login` or `bao login`, or set VAULT_TOKEN.",
        )

    def _token_valid(self) -> bool:
        if self._client is None:
            return False
        try:
            self._client.auth.token.lookup_self()
        except vault.VaultError:
            return False
        return True

    def _login_refused(self, where: str) -> NotAllowed:
        return NotAllowed(
            f"The {self.environment} Vault did not accept the login ({where}): the token or "
            "credentials may have expired.",
            hint="Log in again (`vault login` or `bao login`) or renew VAULT_TOKEN.",
        )

    def _missing(self, path: str, field: str, fields: Iterable[str] = ()) -> SecretsError:
        """``fields``: those the path has (names, never values), for a did-you-mean."""
        return SecretsError(
            f"Secret {path}#{field} is missing from the {self.environment} Vault "
            f"({self.settings.mount}/{self._full(path)})."
            + did_you_mean(f"{path}#{field}", [f"{path}#{name}" for name in fields]),
            hint="Write it there, e.g. with `kitchen secrets set` or `vault kv put`.",
        )

    @contextlib.contextmanager
    def _mapped(self, path: str) -> Iterator[None]:
        """hvac's and requests' errors as kitchen errors that name the path, never a value."""
        where = f"{self.settings.mount}/{self._full(path)}" if path != "auth" else "login"
        try:
            yield
        except vault.InvalidPath:
            raise self._missing(path, DEFAULT_FIELD) from None
        except vault.Forbidden:
            if not self._token_valid():  # a revoked or expired token is refused the same way
                raise self._login_refused(where) from None
            raise NotAllowed(
                f"The {self.environment} Vault denied access to {where}.",
                hint="Your token's policy does not cover this path; ask its owners for access.",
            ) from None
        except vault.InvalidRequest as exc:
            if path != "auth" and "permission denied" not in str(exc):
                raise SecretsError(
                    f"The {self.environment} Vault refused a request on {where}."
                ) from None
            raise self._login_refused(where) from None
        except vault.Unauthorized:
            raise self._login_refused(where) from None
        except (vault.VaultDown, vault.BadGateway):
            raise Unreachable(
                f"The {self.environment} Vault at {self.url} is sealed or down.",
                hint="Ask its operators to unseal it.",
            ) from None
        except requests.exceptions.RequestException as exc:
            raise Unreachable(
                f"Cannot reach the {self.environment} Vault at {self.url} ({type(exc).__name__}).",
                hint="Check the address (secrets.url or VAULT_ADDR) and the network.",
            ) from None


def split(key: str) -> tuple[str, str]:
    path, _, field = key.partition("#")
    return path.strip("/"), field or DEFAULT_FIELD


def _from_env_or_file(variable: str, file: str | None, root: Path, what: str) -> str:
    value = os.environ.get(variable)
    if value:
        return value
    if file and (root / file).is_file():
        return (root / file).read_text(encoding="utf-8").strip()
    raise NotAllowed(
        f"No AppRole {what}: {variable} is empty" + (f" and {file} is missing." if file else "."),
        hint=f"Set {variable}" + (f" or write {file}." if file else "."),
    )
