"""Authentication over HTTP: the real server, a real test identity provider, DPoP-bound tokens.

Until WAC is wired in every resource is public: a valid token simply succeeds, an invalid one is
a 401 with a reason (never a 500), and a request without credentials proceeds anonymously.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from conftest import free_port
from joserfc.jwk import ECKey

from auth.conftest import CLIENT_ID, IdentityProvider, dpop_headers, proof
from pod.app import make_app
from pod.config import Settings, settings_from
from pod.http.authentication import CREDENTIALS, request_url

Client = TestClient[Any, Any]
ClientFactory = Callable[..., Awaitable[Client]]


def base(client: Client) -> str:
    return str(client.make_url("/"))


def signed_request(
    idp: IdentityProvider, client_key: ECKey, method: str, url: str, **claims: Any
) -> dict[str, str]:
    token = idp.access_token(client_key, **claims)
    return dpop_headers(token, proof(client_key, method, url, token))


async def test_valid_token_on_a_public_resource_succeeds(
    make_client: ClientFactory, idp: IdentityProvider, client_key: ECKey
) -> None:
    client = await make_client()
    response = await client.get("/", headers=signed_request(idp, client_key, "GET", base(client)))
    assert response.status == 200


async def test_request_without_credentials_proceeds_anonymously(make_client: ClientFactory) -> None:
    client = await make_client()
    assert (await client.get("/")).status == 200


async def test_invalid_token_is_401_with_problem_body_and_challenge(
    make_client: ClientFactory, idp: IdentityProvider, client_key: ECKey
) -> None:
    client = await make_client()
    headers = signed_request(idp, client_key, "GET", base(client), aud=["someone-else"])
    response = await client.get("/", headers=headers)
    assert response.status == 401
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["status"] == 401
    assert 'audience (aud) does not include "solid"' in problem["detail"]
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('DPoP algs="ES256 ')
    assert 'error="invalid_token", error_description="the access token audience' in challenge
    assert challenge.endswith(", Bearer")


async def test_401_carries_cors_headers_for_browser_apps(
    make_client: ClientFactory, idp: IdentityProvider, client_key: ECKey
) -> None:
    client = await make_client()
    headers = signed_request(idp, client_key, "PUT", base(client))  # a proof for PUT, sent with GET
    response = await client.get("/", headers={**headers, "Origin": "https://app.example"})
    assert response.status == 401
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]


async def test_query_string_is_not_part_of_the_proof_url(
    make_client: ClientFactory, idp: IdentityProvider, client_key: ECKey
) -> None:
    client = await make_client()
    response = await client.get("/?page=2", headers=signed_request(idp, client_key, "GET", base(client)))
    assert response.status == 200


async def test_proof_url_is_taken_from_the_base_url_never_the_host_header(
    make_client: ClientFactory, idp: IdentityProvider, client_key: ECKey
) -> None:
    client = await make_client()
    honest = signed_request(idp, client_key, "GET", base(client))
    assert (await client.get("/", headers={**honest, "Host": "evil.example"})).status == 200
    forged = signed_request(idp, client_key, "GET", "http://evil.example/")
    response = await client.get("/", headers={**forged, "Host": "evil.example"})
    assert response.status == 401
    assert "is for URL 'http://evil.example/'" in (await response.json())["detail"]


def test_request_url_joins_the_base_origin_and_the_raw_path() -> None:
    assert request_url("https://pod.example/base/", "/base/a%20b?q=1") == "https://pod.example/base/a%20b"


BAD_INPUTS: dict[str, Callable[[IdentityProvider, ECKey, str], dict[str, str]]] = {
    "garbage-token": lambda idp, key, url: {"Authorization": "DPoP abc.def.ghi", "DPoP": "x.y.z"},
    "alg-none": lambda idp, key, url: {
        "Authorization": "DPoP eyJhbGciOiJub25lIn0.eyJ3ZWJpZCI6Imh0dHBzOi8vYS5leGFtcGxlLyJ9.AAAA",
        "DPoP": proof(key, "GET", url, None),
    },
    "expired": lambda idp, key, url: signed_request(
        idp, key, "GET", url, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600
    ),
    "other-method": lambda idp, key, url: signed_request(idp, key, "POST", url),
    "no-proof": lambda idp, key, url: {"Authorization": f"DPoP {idp.access_token(key)}"},
    "bearer": lambda idp, key, url: {"Authorization": f"Bearer {idp.access_token(None)}"},
    "non-ascii": lambda idp, key, url: {"Authorization": "DPoP é", "DPoP": "é"},
}


@pytest.mark.parametrize("bad", sorted(BAD_INPUTS))
async def test_bad_credentials_are_401_with_a_reason_never_500(
    make_client: ClientFactory, idp: IdentityProvider, client_key: ECKey, bad: str
) -> None:
    client = await make_client()
    response = await client.get("/", headers=BAD_INPUTS[bad](idp, client_key, base(client)))
    assert response.status == 401
    assert (await response.json())["detail"].startswith("invalid credentials: ")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_bearer_token_is_accepted_when_the_setting_allows_it(
    make_client: ClientFactory, idp: IdentityProvider
) -> None:
    client = await make_client(allow_bearer=True)
    response = await client.get("/", headers={"Authorization": f"Bearer {idp.access_token(None)}"})
    assert response.status == 200


async def test_cors_preflight_is_answered_before_authentication(make_client: ClientFactory) -> None:
    client = await make_client()
    response = await client.options(
        "/",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "PUT",
            "Authorization": "DPoP nonsense",
        },
    )
    assert response.status == 204


async def test_trusted_webid_setting_is_logged_loudly_and_lets_everything_through(
    make_client: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="pod.auth"):
        client = await make_client(trusted_webid="https://dev.example/profile#me")
    assert any("INSECURE" in record.getMessage() for record in caplog.records)
    response = await client.get("/", headers={"Authorization": "DPoP not-a-token"})
    assert response.status == 200


def test_settings_come_from_flags_and_environment() -> None:
    settings = settings_from(
        {"allow_bearer": True, "clock_tolerance": None},
        {"POD_CLOCK_TOLERANCE": "5", "POD_DPOP_WINDOW": "120", "POD_TRUSTED_WEBID": "http://localhost/me#i"},
    )
    assert settings.allow_bearer is True
    assert (settings.clock_tolerance, settings.dpop_window) == (5, 120)
    assert settings.trusted_webid == "http://localhost/me#i"
    defaults = Settings()
    assert (defaults.allow_bearer, defaults.trusted_webid) == (False, None)


# -- what the next step (WAC) sees -------------------------------------------------------------------


@web.middleware
async def show_credentials(request: web.Request, handler: Any) -> web.StreamResponse:
    """Stands where WAC will stand: after authentication, reading request[CREDENTIALS]."""
    credentials = request[CREDENTIALS]
    return web.json_response(
        {"agent": credentials.agent, "client_id": credentials.client_id, "issuer": credentials.issuer}
    )


async def test_valid_token_puts_the_webid_in_the_request_credentials(
    aiohttp_server: Any, aiohttp_client: Any, idp: IdentityProvider, client_key: ECKey
) -> None:
    port = free_port()
    app = make_app(Settings(host="127.0.0.1", port=port, storage="memory"))
    app.middlewares.append(show_credentials)
    client = await aiohttp_client(await aiohttp_server(app, port=port))
    response = await client.get("/", headers=signed_request(idp, client_key, "GET", base(client)))
    assert await response.json() == {"agent": idp.webid, "client_id": CLIENT_ID, "issuer": idp.issuer}
    anonymous = await client.get("/")
    assert await anonymous.json() == {"agent": None, "client_id": None, "issuer": None}
