"""Issue 13, app control: blocked apps and "only approved apps" mode, with real tokens whose
client_ids differ (the provider's client-credentials flow: client_id = the credential's id)."""

from __future__ import annotations

from typing import Any

from tests.idp_oidc.conftest import AppSite, Client, Flow, Person
from tests.visibility.conftest import App, app_for, pod_api


async def _apps(client: Client, person: Person, body: dict[str, Any] | None = None) -> Any:
    urls = await pod_api(client, person)
    if body is None:
        return await client.get(urls["apps"], headers=person.auth_header)
    return await client.post(urls["apps"], json=body, headers=person.auth_header)


async def _read(app: App, person: Person) -> Any:
    return await app.request("GET", person.pod + "profile/card")


async def test_a_blocked_app_is_refused_with_a_reason_and_others_are_not(
    client: Client, alice: Person
) -> None:
    blocked, other = await app_for(client, alice), await app_for(client, alice)
    assert (await _read(blocked, alice)).status == 200
    answer = await _apps(client, alice, {"action": "block", "clientId": blocked.client_id})
    assert answer.status == 200
    assert (await answer.json())["blocked"] == [blocked.client_id]
    refused = await _read(blocked, alice)
    assert refused.status == 403
    assert "blocked" in await refused.text()
    # Even what is public: the app may not act as her at all.
    assert (
        await blocked.request("PUT", alice.pod + "x.txt", data=b"x", headers={"Content-Type": "text/plain"})
    ).status == 403
    assert (await _read(other, alice)).status == 200
    assert (await _apps(client, alice, {"action": "unblock", "clientId": blocked.client_id})).status == 200
    assert (await _read(blocked, alice)).status == 200


async def test_blocking_concerns_the_owner_only_not_other_peoples_apps(
    client: Client, alice: Person, bob: Person
) -> None:
    bobs_app = await app_for(client, bob)
    await _apps(client, alice, {"action": "block", "clientId": bobs_app.client_id})
    # Bob's app acting as Bob on Alice's public profile: Bob's to control, not Alice's.
    assert (await _read(bobs_app, alice)).status == 200


async def test_approved_only_refuses_unknown_apps_until_approved(client: Client, alice: Person) -> None:
    first, second = await app_for(client, alice), await app_for(client, alice)
    answer = await _apps(client, alice, {"approvedOnly": True})
    assert (await answer.json())["approvedOnly"] is True
    refused = await _read(first, alice)
    assert refused.status == 403
    assert "approve" in await refused.text()
    await _apps(client, alice, {"action": "approve", "clientId": first.client_id})
    assert (await _read(first, alice)).status == 200
    assert (await _read(second, alice)).status == 403
    await _apps(client, alice, {"approvedOnly": False})
    assert (await _read(second, alice)).status == 200


async def test_approved_only_leaves_anonymous_and_other_people_alone(
    client: Client, alice: Person, bob: Person
) -> None:
    await _apps(client, alice, {"approvedOnly": True})
    assert (await client.session.get(alice.pod + "profile/card")).status == 200
    assert (await _read(await app_for(client, bob), alice)).status == 200


async def test_an_app_approved_on_the_consent_screen_passes_approved_only_mode(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    await _apps(client, alice, {"approvedOnly": True})
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    token = (await (await flow.token(await flow.code(alice))).json())["access_token"]
    app = App(client, flow.client_id, token, flow.key)
    assert (await _read(app, alice)).status == 200


async def test_app_control_refuses_bad_input(client: Client, alice: Person, bob: Person) -> None:
    for body in (
        {"approvedOnly": "yes"},
        {"action": "destroy", "clientId": "x"},
        {"action": "block"},
        {"action": "block", "clientId": ""},
        {"action": "block", "clientId": "x" * 3000},
        {"action": "block", "clientId": "bad\u0000id"},
        {"action": "block", "clientId": "urn:pod:dashboard"},
    ):
        answer = await _apps(client, alice, body)
        assert answer.status == 400, (body, await answer.text())
    urls = await pod_api(client, alice)
    assert (
        await client.post(urls["apps"], json={"approvedOnly": True}, headers=bob.auth_header)
    ).status == 403
    assert (
        await client.post(
            urls["apps"], data=b"[1]", headers={**alice.auth_header, "Content-Type": "application/json"}
        )
    ).status == 400
    assert (await (await _apps(client, alice)).json())["approvedOnly"] is False
