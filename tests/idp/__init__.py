"""Tests of accounts, pods and the account API and pages; helpers for driving the CSS-shaped API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient

from pod.idp.setup import IDENTITY_PROVIDER, IdentityProvider

Client = TestClient[Any, Any]
PASSWORD = "correct horse battery"
OWNER_REL = "http://www.w3.org/ns/solid/terms#owner"


def path_of(url: str) -> str:
    """The path (and query) of an absolute URL from the server: what the test client requests."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def token_header(token: str) -> dict[str, str]:
    """CSS v7 account API: `Authorization: CSS-Account-Token <token>`."""
    return {"Authorization": f"CSS-Account-Token {token}"}


def idp_of(client: Client) -> IdentityProvider:
    return client.server.app[IDENTITY_PROVIDER]


async def controls(client: Client, token: str | None = None) -> dict[str, Any]:
    resp = await client.get("/.account/", headers=token_header(token) if token else {})
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = (await resp.json())["controls"]
    return body


@dataclass
class ApiAccount:
    token: str
    controls: dict[str, Any]
    webid: str = ""
    pod: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return token_header(self.token)


async def new_account(
    client: Client, email: str = "alice@example.org", password: str = PASSWORD, pod: str | None = "alice"
) -> ApiAccount:
    """The CSS v7 scripted flow: create the account, add a password login, create a pod."""
    public = await controls(client)
    resp = await client.post(path_of(public["account"]["create"]))
    assert resp.status == 200, await resp.text()
    token = (await resp.json())["authorization"]
    client.session.cookie_jar.clear()  # the API works with the token alone
    account = ApiAccount(token, await controls(client, token))
    resp = await client.post(
        path_of(account.controls["password"]["create"]),
        json={"email": email, "password": password},
        headers=account.headers,
    )
    assert resp.status == 200, await resp.text()
    if pod is not None:
        resp = await client.post(
            path_of(account.controls["account"]["pod"]), json={"name": pod}, headers=account.headers
        )
        assert resp.status == 200, await resp.text()
        created = await resp.json()
        account.webid, account.pod = created["webId"], created["pod"]
    return account
