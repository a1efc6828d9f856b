"""A client credential for the length of one run, made through the account API (CSS v7's shape).

For people who have an email and password but no client credential yet: log in, make a credential
for the account's first WebID, use it, delete it. The account's other sessions are left alone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from pod.client.session import ClientCredential, ClientError, json_body

CREDENTIAL_NAME = "pod fetch (temporary)"


def _control(controls: dict[str, Any], group: str, name: str) -> str:
    url = controls.get(group, {}).get(name)
    if not isinstance(url, str):
        raise ClientError(f"the account API does not offer controls.{group}.{name}")
    return url


@asynccontextmanager
async def temporary_credential(
    http: aiohttp.ClientSession, issuer: str, email: str, password: str
) -> AsyncIterator[ClientCredential]:
    """A credential for the account's first WebID, deleted again when the block ends."""
    api = issuer + ".account/"
    # CSS v7: start from the index; its `controls` name every other URL.
    async with http.get(api, headers={"Accept": "application/json"}) as response:
        public = (await json_body(response, f"reading the account API at {api}")).get("controls", {})
    login = {"email": email, "password": password}
    async with http.post(_control(public, "password", "login"), json=login) as response:
        token = (await json_body(response, f"logging in as {email}")).get("authorization")
    if not isinstance(token, str):
        raise ClientError("the login answer has no account token (authorization)")
    auth = {"Authorization": f"CSS-Account-Token {token}", "Accept": "application/json"}
    async with http.get(api, headers=auth) as response:
        controls = (await json_body(response, "reading the account's controls")).get("controls", {})
    async with http.get(_control(controls, "account", "webId"), headers=auth) as response:
        webids = (await json_body(response, "listing the account's WebIDs")).get("webIdLinks", {})
    if not webids:
        raise ClientError(f"the account of {email} has no WebID yet (create a pod first)")
    webid = next(iter(webids))
    made_at = _control(controls, "account", "clientCredentials")
    async with http.post(made_at, json={"name": CREDENTIAL_NAME, "webId": webid}, headers=auth) as response:
        made = await json_body(response, "making a client credential")
    try:
        yield ClientCredential(str(made["id"]), str(made["secret"]))
    finally:
        async with http.delete(str(made["resource"]), headers=auth) as response:
            await json_body(response, "deleting the temporary client credential")
