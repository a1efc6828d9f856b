"""Fixtures for the owner's visibility and control: a multi-user server, people with pods, and apps
acting for them with real tokens from the provider's client-credentials flow (client_id = credential id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ClientFactory
from tests.idp_oidc.conftest import (
    Client,
    DpopKey,
    Person,
    app_site,
    base_url,
    client_credential,
    create_person,
    local,
)
from tests.idp_oidc.test_client_credentials import basic

__all__ = ["app_site"]  # the app's web site fixture, for the consent-screen flow

ACL_PREFIXES = "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n"


@dataclass
class App:
    """An app holding a DPoP-bound access token for one person, under its own client_id."""

    client: Client
    client_id: str
    token: str
    key: DpopKey

    async def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        headers["Authorization"] = f"DPoP {self.token}"
        headers["DPoP"] = self.key.proof(method, url, access_token=self.token)
        return await self.client.session.request(method, url, headers=headers, **kwargs)


async def app_for(client: Client, person: Person) -> App:
    """A new client credential of the person's account, exchanged for a token (as CSS scripts do)."""
    client_id, secret = await client_credential(client, person)
    key = DpopKey()
    headers = {
        "Authorization": basic(client_id, secret),
        "DPoP": key.proof("POST", base_url(client) + ".oidc/token"),
    }
    answer = await client.post("/.oidc/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert answer.status == 200, await answer.text()
    return App(client, client_id, (await answer.json())["access_token"], key)


async def pod_api(client: Client, person: Person) -> dict[str, str]:
    """The person's pod's visibility URLs (paths), from the pod resource of the account API."""
    listed = await client.get(local(person.controls["account"]["pod"]), headers=person.auth_header)
    pods = (await listed.json())["pods"]
    resource = await client.get(local(pods[person.pod]), headers=person.auth_header)
    assert resource.status == 200, await resource.text()
    return {name: local(url) for name, url in (await resource.json())["visibility"].items()}


async def log_of(client: Client, person: Person, **query: str) -> list[dict[str, Any]]:
    urls = await pod_api(client, person)
    answer = await client.get(urls["accessLog"], params=query, headers=person.auth_header)
    assert answer.status == 200, await answer.text()
    entries: list[dict[str, Any]] = (await answer.json())["entries"]
    return entries


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client(single_user=False)


@pytest.fixture
async def alice(client: Client) -> Person:
    return await create_person(client, "alice")


@pytest.fixture
async def bob(client: Client) -> Person:
    return await create_person(client, "bob")
