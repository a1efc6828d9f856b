"""Refresh tokens: rotated on each use; a rotated one used again revokes the whole family."""

from __future__ import annotations

from joserfc import jwt

from tests.idp_oidc.conftest import AppSite, Client, DpopKey, Flow, Person, provider_keys


async def _tokens(client: Client, alice: Person, app_site: AppSite) -> tuple[Flow, dict[str, str]]:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    answer = await flow.token(await flow.code(alice))
    assert answer.status == 200
    return flow, await answer.json()


async def test_refresh_gives_new_tokens_and_a_new_refresh_token(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow, first = await _tokens(client, alice, app_site)
    answer = await flow.refresh(first["refresh_token"])
    assert answer.status == 200, await answer.text()
    second = await answer.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    claims = jwt.decode(second["access_token"], await provider_keys(client), algorithms=["ES256"]).claims
    assert claims["webid"] == alice.webid
    assert claims["cnf"] == {"jkt": flow.key.thumbprint}
    # The rotated token goes on working.
    assert (await flow.refresh(second["refresh_token"])).status == 200


async def test_reusing_a_rotated_refresh_token_revokes_the_family(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow, first = await _tokens(client, alice, app_site)
    second = await (await flow.refresh(first["refresh_token"])).json()
    reused = await flow.refresh(first["refresh_token"])
    assert reused.status == 400
    assert (await reused.json())["error"] == "invalid_grant"
    # Security BCP §4.14.2: the newest token of the family is revoked too.
    latest = await flow.refresh(second["refresh_token"])
    assert latest.status == 400
    assert (await latest.json())["error"] == "invalid_grant"


async def test_public_client_refresh_needs_the_same_dpop_key(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow, first = await _tokens(client, alice, app_site)
    answer = await flow.refresh(first["refresh_token"], key=DpopKey())
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_grant"


async def test_refresh_token_of_another_client_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    _, first = await _tokens(client, alice, app_site)
    other = Flow(client, app_site.client_document("/other-id"), app_site.url("/callback"))
    answer = await other.refresh(first["refresh_token"])
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_grant"


async def test_no_refresh_token_without_offline_access(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"), scope="openid webid")
    body = await (await flow.token(await flow.code(alice))).json()
    assert "refresh_token" not in body
    assert body["scope"] == "openid webid"


async def test_refresh_may_narrow_the_scope_but_not_widen_it(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow, first = await _tokens(client, alice, app_site)
    form = {
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
        "client_id": flow.client_id,
    }
    wider = await flow.post_token({**form, "scope": "openid webid offline_access profile"})
    assert wider.status == 400
    assert (await wider.json())["error"] == "invalid_scope"
    # The refused request spent nothing: the same token narrows the scope.
    narrower = await flow.post_token({**form, "scope": "webid"})
    assert narrower.status == 200, await narrower.text()
    body = await narrower.json()
    assert body["scope"] == "webid"
    assert "id_token" not in body


async def test_garbage_refresh_token_is_refused(client: Client, app_site: AppSite) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    answer = await flow.refresh("not-a-token")
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_grant"
