"""A person on a pod server, made through its CSS-style account API: an account, a pod, a client credential.

What a person does by hand on the account page, done over HTTP, so that the demo and the tests
drive a real server the way any client would — never through its insides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from pod.client.session import ClientCredential, ClientError, SolidSession, json_body


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    server: str  # the base URL of the server the account is on: its OpenID provider too
    webid: str
    pod: str
    credential: ClientCredential
    account_token: str  # the account API's `CSS-Account-Token`, for managing the account

    def session(self, http: aiohttp.ClientSession) -> SolidSession:
        """Requests as this person, with tokens from their own server's provider."""
        return SolidSession(http, self.server, self.credential)


def _control(controls: dict[str, Any], group: str, name: str) -> str:
    url = controls.get(group, {}).get(name)
    if not isinstance(url, str):
        raise ClientError(f"the account API does not offer controls.{group}.{name}")
    return url


async def create_person(http: aiohttp.ClientSession, server: str, name: str, password: str) -> Person:
    """An account on `server` with a password, a pod called `name` and a client credential for its WebID."""
    api = server + ".account/"
    # CSS v7 account API: create the account (its token is the answer), then act with the token.
    async with http.get(api, headers={"Accept": "application/json"}) as answer:
        public = (await json_body(answer, "reading the account API")).get("controls", {})
    async with http.post(_control(public, "account", "create"), json={}) as answer:
        token = (await json_body(answer, "creating an account"))["authorization"]
    auth = {"Authorization": f"CSS-Account-Token {token}", "Accept": "application/json"}
    async with http.get(api, headers=auth) as answer:
        controls = (await json_body(answer, "reading the account's controls")).get("controls", {})
    login = {"email": f"{name}@example.org", "password": password}
    async with http.post(_control(controls, "password", "create"), json=login, headers=auth) as answer:
        await json_body(answer, "adding a password login")
    async with http.post(_control(controls, "account", "pod"), json={"name": name}, headers=auth) as answer:
        pod = await json_body(answer, "creating a pod")
    webid, root = str(pod["webId"]), str(pod["pod"])
    made_at = _control(controls, "account", "clientCredentials")
    async with http.post(made_at, json={"name": "federation", "webId": webid}, headers=auth) as answer:
        made = await json_body(answer, "making a client credential")
    credential = ClientCredential(str(made["id"]), str(made["secret"]))
    return Person(name, server, webid, root, credential, token)
