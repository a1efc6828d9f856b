"""The client_credentials grant with the account API's credentials and a DPoP proof, as CSS does it."""

from __future__ import annotations

import base64
from urllib.parse import quote

from aiohttp import ClientResponse
from joserfc import jwt

from tests.idp_oidc.conftest import Client, DpopKey, Person, base_url, client_credential, provider_keys


def basic(client_id: str, secret: str) -> str:
    # RFC 6749 §2.3.1 (and CSS's documented script): each part form-urlencoded, then Basic.
    pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(pair).decode()


async def _token(
    client: Client, authorization: str | None, key: DpopKey | None, **form: str
) -> ClientResponse:
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    if key is not None:
        headers["DPoP"] = key.proof("POST", base_url(client) + ".oidc/token")
    data = {"grant_type": "client_credentials", "scope": "webid", **form}
    return await client.post("/.oidc/token", data=data, headers=headers)


async def test_client_credentials_give_a_token_for_the_bound_webid(client: Client, alice: Person) -> None:
    client_id, secret = await client_credential(client, alice)
    key = DpopKey()
    answer = await _token(client, basic(client_id, secret), key)
    assert answer.status == 200, await answer.text()
    body = await answer.json()
    assert body["token_type"] == "DPoP"
    assert "refresh_token" not in body and "id_token" not in body
    claims = jwt.decode(body["access_token"], await provider_keys(client), algorithms=["ES256"]).claims
    assert claims["webid"] == alice.webid
    assert claims["client_id"] == client_id
    assert claims["aud"] == ["solid", client_id]
    assert claims["iss"] == base_url(client)
    assert claims["cnf"] == {"jkt": key.thumbprint}


async def test_client_secret_in_the_form_works_too(client: Client, alice: Person) -> None:
    client_id, secret = await client_credential(client, alice)
    answer = await _token(client, None, DpopKey(), client_id=client_id, client_secret=secret)
    assert answer.status == 200


async def test_wrong_client_secret_is_refused(client: Client, alice: Person) -> None:
    client_id, _ = await client_credential(client, alice)
    answer = await _token(client, basic(client_id, "wrong"), DpopKey())
    assert answer.status == 401
    assert (await answer.json())["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


async def test_unknown_client_id_is_refused(client: Client) -> None:
    answer = await _token(client, basic("nobody", "nothing"), DpopKey())
    assert answer.status == 401
    assert (await answer.json())["error"] == "invalid_client"


async def test_client_credentials_without_dpop_proof_are_refused(client: Client, alice: Person) -> None:
    client_id, secret = await client_credential(client, alice)
    answer = await _token(client, basic(client_id, secret), None)
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_dpop_proof"


async def test_both_basic_and_form_secret_is_refused(client: Client, alice: Person) -> None:
    client_id, secret = await client_credential(client, alice)
    answer = await _token(client, basic(client_id, secret), DpopKey(), client_secret=secret)
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_request"


async def test_registered_client_may_not_use_client_credentials(client: Client) -> None:
    registered = await client.post(
        "/.oidc/reg", json={"redirect_uris": ["https://app.example/cb"], "client_name": "Registered"}
    )
    body = await registered.json()
    answer = await _token(client, basic(body["client_id"], body["client_secret"]), DpopKey())
    assert answer.status == 400
    assert (await answer.json())["error"] == "unauthorized_client"
