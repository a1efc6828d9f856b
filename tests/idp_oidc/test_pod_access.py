"""Tokens this provider issues are accepted by the resource server: the app writes into the person's pod."""

from __future__ import annotations

from typing import Any

from tests.idp_oidc.conftest import AppSite, Client, DpopKey, Flow, Person, base_url, client_credential
from tests.idp_oidc.test_client_credentials import basic


async def _write_and_read(client: Client, url: str, token: str, key: DpopKey) -> None:
    put = await client.session.put(
        url,
        data=b"hello from an app",
        headers={
            "Content-Type": "text/plain",
            "Authorization": f"DPoP {token}",
            "DPoP": key.proof("PUT", url, access_token=token),
        },
    )
    assert put.status in (201, 204), await put.text()
    got = await client.session.get(
        url, headers={"Authorization": f"DPoP {token}", "DPoP": key.proof("GET", url, access_token=token)}
    )
    assert got.status == 200, await got.text()
    assert await got.read() == b"hello from an app"
    anonymous = await client.session.get(url)
    assert anonymous.status == 401


async def test_authorization_code_token_writes_into_the_pod(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    body: dict[str, Any] = await (await flow.token(await flow.code(alice))).json()
    await _write_and_read(client, alice.pod + "private/from-app.txt", body["access_token"], flow.key)


async def test_client_credentials_token_writes_into_the_pod(client: Client, alice: Person) -> None:
    key = DpopKey()
    headers = {
        "Authorization": basic(*await client_credential(client, alice)),
        "DPoP": key.proof("POST", base_url(client) + ".oidc/token"),
    }
    answer = await client.post("/.oidc/token", data={"grant_type": "client_credentials"}, headers=headers)
    token = (await answer.json())["access_token"]
    await _write_and_read(client, alice.pod + "private/from-script.txt", token, key)


async def test_origin_of_an_approved_app_passes_access_control(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    # DESIGN "Browser origins": the person approved the app on the consent screen, so requests from
    # its origin (where its redirect URI is) may do what the person may do.
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    token = (await (await flow.token(await flow.code(alice))).json())["access_token"]
    url = alice.pod + "private/from-browser.txt"
    app_origin = app_site.url("/").rstrip("/")

    async def put(origin: str) -> int:
        answer = await client.session.put(
            url,
            data=b"written in the browser",
            headers={
                "Content-Type": "text/plain",
                "Origin": origin,
                "Authorization": f"DPoP {token}",
                "DPoP": flow.key.proof("PUT", url, access_token=token),
            },
        )
        return answer.status

    assert await put("https://not-approved.example") == 403
    assert await put(app_origin) in (201, 204)
