"""The Vault adapter against a real OpenBao: logins, policies and every failure's exit code."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import hvac
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kitchen import config
from kitchen.backends.secrets.vault import VaultSecretStore
from kitchen.errors import ExitCode, KitchenError
from tests.servers import OpenBaoServer, free_port, start_openbao

DEV_POLICY = """
path "secret/data/kitchen/dev/*" { capabilities = ["create", "read", "update", "delete"] }
path "secret/metadata/kitchen/dev/*" { capabilities = ["list", "read", "delete"] }
"""


@pytest.fixture(scope="module")
def vault(openbao: OpenBaoServer) -> hvac.Client:
    """The server set up as a team would: a dev policy, AppRole and JWT logins bound to it."""
    admin = hvac.Client(url=openbao.url, token=openbao.root_token)
    admin.sys.create_or_update_policy("kitchen-dev", DEV_POLICY)
    admin.secrets.kv.v2.create_or_update_secret(
        path="kitchen/production/warehouse",
        secret={"password": "prod-canary"},
        mount_point="secret",
    )
    admin.secrets.kv.v2.create_or_update_secret(
        path="kitchen/dev/warehouse", secret={"password": "dev-canary"}, mount_point="secret"
    )
    if "approle/" not in admin.sys.list_auth_methods()["data"]:
        admin.sys.enable_auth_method("approle")
        admin.sys.enable_auth_method("jwt")
    admin.auth.approle.create_or_update_approle("kitchen-dev", token_policies=["kitchen-dev"])
    return admin


@pytest.fixture(scope="module")
def signing_key(vault: hvac.Client) -> rsa.RSAPrivateKey:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    vault.auth.jwt.configure(jwt_validation_pubkeys=[public.decode()], path="jwt")
    vault.auth.jwt.create_role(
        name="ci",
        allowed_redirect_uris=[],
        role_type="jwt",
        user_claim="sub",
        bound_audiences=["kitchen"],
        token_policies=["kitchen-dev"],
        path="jwt",
    )
    return key


def store(
    server: OpenBaoServer, root: Path, path: str = "kitchen/dev", **auth: Any
) -> VaultSecretStore:
    settings = config.VaultSecrets(
        type="vault", url=server.url, path=path, auth=config.VaultAuth(**auth)
    )
    return VaultSecretStore(settings, path.rsplit("/", 1)[-1], root)


def refused(action: Any) -> KitchenError:
    with pytest.raises(KitchenError) as caught:
        action()
    assert "canary" not in caught.value.message + (caught.value.hint or "")
    return caught.value


def dev_token(vault: hvac.Client) -> str:
    return str(vault.auth.token.create(policies=["kitchen-dev"], ttl="1h")["auth"]["client_token"])


def test_token_from_the_environment(vault, openbao, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VAULT_TOKEN", dev_token(vault))
    assert store(openbao, tmp_path).get("warehouse#password") == "dev-canary"


def test_token_from_a_file_and_from_vault_token_in_home(vault, openbao, tmp_path) -> None:
    (tmp_path / "token").write_text(dev_token(vault) + "\n")
    assert store(openbao, tmp_path, token_file="token").get("warehouse#password") == "dev-canary"
    (Path.home() / ".vault-token").write_text(dev_token(vault))
    assert store(openbao, tmp_path).get("warehouse#password") == "dev-canary"


def test_vault_addr_is_honoured(vault, openbao, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VAULT_ADDR", openbao.url)
    monkeypatch.setenv("VAULT_TOKEN", dev_token(vault))
    settings = config.VaultSecrets(type="vault", path="kitchen/dev")
    assert VaultSecretStore(settings, "dev", tmp_path).get("warehouse#password") == "dev-canary"


def test_no_token_says_how_to_log_in(openbao, tmp_path) -> None:
    error = refused(lambda: store(openbao, tmp_path).get("warehouse#password"))
    assert error.exit_code == ExitCode.NOT_ALLOWED and "bao login" in (error.hint or "")


def test_approle_from_variables_and_from_files(vault, openbao, tmp_path, monkeypatch) -> None:
    role_id = vault.auth.approle.read_role_id("kitchen-dev")["data"]["role_id"]
    secret_id = vault.auth.approle.generate_secret_id("kitchen-dev")["data"]["secret_id"]
    monkeypatch.setenv("VAULT_ROLE_ID", role_id)
    monkeypatch.setenv("VAULT_SECRET_ID", secret_id)
    assert store(openbao, tmp_path, method="approle").get("warehouse#password") == "dev-canary"
    monkeypatch.delenv("VAULT_ROLE_ID")
    monkeypatch.delenv("VAULT_SECRET_ID")
    (tmp_path / "role").write_text(role_id)
    (tmp_path / "secret").write_text(secret_id)
    approle = store(
        openbao, tmp_path, method="approle", role_id_file="role", secret_id_file="secret"
    )
    assert approle.get("warehouse#password") == "dev-canary"
    (tmp_path / "secret").write_text("not-the-secret-id")
    assert (
        refused(
            lambda: store(
                openbao, tmp_path, method="approle", role_id_file="role", secret_id_file="secret"
            ).get("warehouse#password")
        ).exit_code
        == ExitCode.NOT_ALLOWED
    )


def test_jwt_login_for_ci(signing_key, openbao, tmp_path, monkeypatch) -> None:
    claims = {
        "sub": "repo:acme/analytics",
        "aud": "kitchen",
        "iat": int(time.time()),
        "exp": int(time.time()) + 300,
    }
    monkeypatch.setenv("VAULT_JWT", jwt.encode(claims, signing_key, algorithm="RS256"))
    ci = store(openbao, tmp_path, method="jwt", role="ci")
    assert ci.get("warehouse#password") == "dev-canary"
    monkeypatch.setenv("VAULT_JWT", jwt.encode({**claims, "aud": "other"}, signing_key, "RS256"))
    assert (
        refused(
            lambda: store(openbao, tmp_path, method="jwt", role="ci").get("warehouse#password")
        ).exit_code
        == ExitCode.NOT_ALLOWED
    )
    monkeypatch.delenv("VAULT_JWT")
    error = refused(lambda: store(openbao, tmp_path, method="jwt", role="ci").get("x"))
    assert error.exit_code == ExitCode.NOT_ALLOWED and "VAULT_JWT" in error.message


def test_a_dev_token_cannot_read_production(vault, openbao, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VAULT_TOKEN", dev_token(vault))
    production = store(openbao, tmp_path, path="kitchen/production")
    error = refused(lambda: production.get("warehouse#password"))
    assert error.exit_code == ExitCode.NOT_ALLOWED
    assert "secret/kitchen/production/warehouse" in error.message


def test_missing_secret_names_path_and_key(vault, openbao, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VAULT_TOKEN", dev_token(vault))
    dev = store(openbao, tmp_path)
    for key in ("nowhere#password", "warehouse#user"):
        error = refused(lambda key=key: dev.get(key))
        assert error.exit_code == ExitCode.BAD_INPUT and key in error.message


def test_expired_or_revoked_token(vault, openbao, tmp_path, monkeypatch) -> None:
    token = dev_token(vault)
    vault.auth.token.revoke(token)
    monkeypatch.setenv("VAULT_TOKEN", token)
    error = refused(lambda: store(openbao, tmp_path).get("warehouse#password"))
    assert error.exit_code == ExitCode.NOT_ALLOWED and "log in again" in (error.hint or "").lower()


def test_unreachable_vault_is_exit_5(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("VAULT_TOKEN", "t")
    settings = config.VaultSecrets(
        type="vault", url=f"http://127.0.0.1:{free_port()}", path="kitchen/dev", timeout=2
    )
    error = refused(lambda: VaultSecretStore(settings, "dev", tmp_path).get("a#b"))
    assert error.exit_code == ExitCode.UNREACHABLE and "127.0.0.1" in error.message


def test_sealed_vault_is_exit_5(tmp_path, monkeypatch) -> None:
    sealed = start_openbao()
    try:
        hvac.Client(url=sealed.url, token=sealed.root_token).sys.seal()
        monkeypatch.setenv("VAULT_TOKEN", sealed.root_token)
        error = refused(lambda: store(sealed, tmp_path).get("warehouse#password"))
        assert error.exit_code == ExitCode.UNREACHABLE and "sealed" in error.message
    finally:
        sealed.stop()
