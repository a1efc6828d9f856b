"""Dynamic client registration (RFC 7591) and the flow for registered clients."""

from __future__ import annotations

import base64

from joserfc import jwt

from tests.idp_oidc.conftest import Client, Flow, Person, provider_keys


async def test_registering_a_confidential_client(client: Client) -> None:
    answer = await client.post(
        "/.oidc/reg",
        json={"redirect_uris": ["https://app.example/cb"], "client_name": "Registered App"},
    )
    assert answer.status == 201
    assert answer.headers["Cache-Control"] == "no-store"
    body = await answer.json()
    assert body["client_id"] and body["client_secret"]
    assert body["client_secret_expires_at"] == 0
    assert body["redirect_uris"] == ["https://app.example/cb"]
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert "secret_hash" not in body


async def test_registering_a_public_client(client: Client) -> None:
    answer = await client.post(
        "/.oidc/reg",
        json={"redirect_uris": ["http://localhost:8080/cb"], "token_endpoint_auth_method": "none"},
    )
    assert answer.status == 201
    assert "client_secret" not in await answer.json()


async def test_registration_without_redirect_uris_is_refused(client: Client) -> None:
    answer = await client.post("/.oidc/reg", json={"client_name": "No redirects"})
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_redirect_uri"


async def test_registration_with_a_non_http_redirect_uri_is_refused(client: Client) -> None:
    answer = await client.post("/.oidc/reg", json={"redirect_uris": ["javascript:alert(1)"]})
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_redirect_uri"


async def test_registration_with_an_unknown_auth_method_is_refused(client: Client) -> None:
    answer = await client.post(
        "/.oidc/reg",
        json={"redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "private_key_jwt"},
    )
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_client_metadata"


async def test_registration_that_is_not_json_is_refused(client: Client) -> None:
    answer = await client.post("/.oidc/reg", data="redirect_uris=x", headers={"Content-Type": "text/plain"})
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_client_metadata"


async def test_registered_client_completes_the_flow_with_its_secret(client: Client, alice: Person) -> None:
    registered = await (
        await client.post(
            "/.oidc/reg", json={"redirect_uris": ["https://app.example/cb"], "client_name": "Reg"}
        )
    ).json()
    flow = Flow(client, registered["client_id"], "https://app.example/cb")
    code = await flow.code(alice)
    pair = f"{registered['client_id']}:{registered['client_secret']}".encode()
    basic = "Basic " + base64.b64encode(pair).decode()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.pkce.verifier,
    }
    answer = await flow.post_token(form, Authorization=basic)
    assert answer.status == 200, await answer.text()
    claims = jwt.decode(
        (await answer.json())["access_token"], await provider_keys(client), algorithms=["ES256"]
    )
    assert claims.claims["client_id"] == registered["client_id"]


async def test_registered_client_with_a_wrong_secret_is_refused(client: Client, alice: Person) -> None:
    registered = await (
        await client.post("/.oidc/reg", json={"redirect_uris": ["https://app.example/cb"]})
    ).json()
    flow = Flow(client, registered["client_id"], "https://app.example/cb")
    code = await flow.code(alice)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.redirect_uri,
        "code_verifier": flow.pkce.verifier,
        "client_id": registered["client_id"],
        "client_secret": "wrong",
    }
    answer = await flow.post_token(form)
    assert answer.status == 401
    assert (await answer.json())["error"] == "invalid_client"


async def test_registered_client_without_its_secret_is_refused(client: Client, alice: Person) -> None:
    registered = await (
        await client.post("/.oidc/reg", json={"redirect_uris": ["https://app.example/cb"]})
    ).json()
    flow = Flow(client, registered["client_id"], "https://app.example/cb")
    answer = await flow.token(await flow.code(alice))
    assert answer.status == 401
    assert (await answer.json())["error"] == "invalid_client"


async def test_registered_client_redirect_uri_must_match_exactly(client: Client) -> None:
    registered = await (
        await client.post("/.oidc/reg", json={"redirect_uris": ["https://app.example/cb"]})
    ).json()
    flow = Flow(client, registered["client_id"], "https://app.example/cb/../evil")
    answer = await flow.authorize()
    # RFC 6749 §4.1.2.1: never a redirect to an unregistered URI; an error page instead.
    assert answer.status == 400
    assert "Location" not in answer.headers
    assert answer.headers["Content-Type"].startswith("text/html")
