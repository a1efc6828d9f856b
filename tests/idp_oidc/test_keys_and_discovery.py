"""Discovery (OIDC Discovery §3, Solid-OIDC §10), the JWKS, and signing-key rotation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from joserfc import jwt

from pod.cli import main
from tests.idp_oidc.conftest import (
    Client,
    DpopKey,
    Person,
    base_url,
    client_credential,
    provider,
    provider_keys,
)
from tests.idp_oidc.test_client_credentials import basic


async def test_discovery_describes_a_solid_oidc_provider(client: Client) -> None:
    answer = await client.get("/.well-known/openid-configuration")
    assert answer.status == 200
    config = await answer.json()
    base = base_url(client)
    assert config["issuer"] == base
    for name, path in (
        ("authorization_endpoint", ".oidc/auth"),
        ("token_endpoint", ".oidc/token"),
        ("jwks_uri", ".oidc/jwks"),
        ("registration_endpoint", ".oidc/reg"),
        ("end_session_endpoint", ".oidc/session/end"),
    ):
        assert config[name] == base + path
    assert {"openid", "webid", "offline_access", "profile"} <= set(config["scopes_supported"])
    assert config["response_types_supported"] == ["code"]
    assert set(config["grant_types_supported"]) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
    }
    assert config["code_challenge_methods_supported"] == ["S256"]
    assert set(config["token_endpoint_auth_methods_supported"]) == {
        "none",
        "client_secret_basic",
        "client_secret_post",
    }
    assert "ES256" in config["dpop_signing_alg_values_supported"]
    assert "HS256" not in config["dpop_signing_alg_values_supported"]
    assert config["authorization_response_iss_parameter_supported"] is True
    assert config["id_token_signing_alg_values_supported"] == ["ES256"]


async def test_jwks_publishes_one_public_es256_key(client: Client) -> None:
    answer = await client.get("/.oidc/jwks")
    assert answer.status == 200
    keys = (await answer.json())["keys"]
    assert len(keys) == 1
    key = keys[0]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and key["alg"] == "ES256" and key["kid"]
    assert "d" not in key


async def test_discovery_path_is_not_an_ldp_resource(client: Client) -> None:
    answer = await client.put("/.well-known/openid-configuration", data=b"{}")
    assert answer.status == 405


async def _kid_of_a_new_token(client: Client, credential: tuple[str, str]) -> str:
    headers = {
        "Authorization": basic(*credential),
        "DPoP": DpopKey().proof("POST", base_url(client) + ".oidc/token"),
    }
    answer = await client.post("/.oidc/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert answer.status == 200, await answer.text()
    token = (await answer.json())["access_token"]
    decoded = jwt.decode(token, await provider_keys(client), algorithms=["ES256"])
    return str(decoded.header["kid"])


async def test_rotation_signs_with_a_new_key_and_keeps_the_old_one_published(
    client: Client, alice: Person
) -> None:
    credential = await client_credential(client, alice)
    old_kid = await _kid_of_a_new_token(client, credential)
    new_kid = await provider(client).keys.rotate()
    assert new_kid != old_kid
    assert await _kid_of_a_new_token(client, credential) == new_kid
    published = {key["kid"] for key in (await (await client.get("/.oidc/jwks")).json())["keys"]}
    # Tokens signed by the old key are still in circulation: its public key stays.
    assert published == {old_kid, new_kid}


async def test_keys_survive_a_restart(make_client: object, storage: str, tmp_path: Path) -> None:
    if storage == "memory":
        pytest.skip("memory storage keeps nothing across a restart")
    first = await make_client()  # type: ignore[operator]
    kids = (await (await first.get("/.oidc/jwks")).json())["keys"]
    second = await make_client()  # type: ignore[operator]
    assert (await (await second.get("/.oidc/jwks")).json())["keys"] == kids
    assert (tmp_path / "data" / "$pod" / "oidc" / "keys" / "signing.json").is_file()


async def test_rotate_key_command_reaches_the_running_server(
    client: Client, alice: Person, storage: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if storage == "memory":
        pytest.skip("the command rotates keys kept on disk")
    credential = await client_credential(client, alice)
    old_kid = await _kid_of_a_new_token(client, credential)
    # As an operator would, beside the running server (a thread: the command runs its own event loop).
    assert await asyncio.to_thread(main, ["oidc", "rotate-key", "--data-dir", str(tmp_path / "data")]) == 0
    new_kid = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
    assert new_kid != old_kid
    assert await _kid_of_a_new_token(client, credential) == new_kid
    published = {key["kid"] for key in (await (await client.get("/.oidc/jwks")).json())["keys"]}
    assert published == {old_kid, new_kid}
