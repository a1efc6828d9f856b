"""RP-initiated logout: the login session ends; the app gets the browser back only at a registered URI."""

from __future__ import annotations

from tests.idp_oidc.conftest import AppSite, Client, Flow, Person, hidden_field, query_of


async def _logged_in_with_id_token(client: Client, alice: Person, app_site: AppSite) -> tuple[Flow, str]:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    body = await (await flow.token(await flow.code(alice))).json()
    return flow, body["id_token"]


async def _is_logged_in(flow: Flow) -> bool:
    answer = await flow.authorize()
    return "/.account/login/" not in answer.headers.get("Location", "")


async def test_logout_with_id_token_hint_redirects_to_the_registered_uri(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow, id_token = await _logged_in_with_id_token(client, alice, app_site)
    assert await _is_logged_in(flow)
    params = {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": app_site.url("/logged-out"),
        "state": "bye",
    }
    answer = await client.get("/.oidc/session/end", params=params, allow_redirects=False)
    assert answer.status == 303
    assert answer.headers["Location"].startswith(app_site.url("/logged-out"))
    assert query_of(answer.headers["Location"])["state"] == "bye"
    assert not await _is_logged_in(flow)


async def test_logout_to_an_unregistered_uri_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow, id_token = await _logged_in_with_id_token(client, alice, app_site)
    params = {"id_token_hint": id_token, "post_logout_redirect_uri": "https://evil.example/"}
    answer = await client.get("/.oidc/session/end", params=params, allow_redirects=False)
    assert answer.status == 400
    assert "Location" not in answer.headers
    assert await _is_logged_in(flow)


async def test_logout_without_a_hint_asks_first(client: Client, alice: Person, app_site: AppSite) -> None:
    flow, _ = await _logged_in_with_id_token(client, alice, app_site)
    page = await client.get("/.oidc/session/end", params={"client_id": flow.client_id})
    assert page.status == 200
    # Another site's link alone logs nobody out.
    assert await _is_logged_in(flow)
    form = {"client_id": flow.client_id, "csrf": hidden_field(await page.text(), "csrf")}
    answer = await client.post("/.oidc/session/end", data=form, allow_redirects=False)
    assert answer.status == 200
    assert not await _is_logged_in(flow)


async def test_logout_confirmation_with_a_forged_csrf_token_does_nothing(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow, _ = await _logged_in_with_id_token(client, alice, app_site)
    answer = await client.post("/.oidc/session/end", data={"csrf": "forged"}, allow_redirects=False)
    assert answer.status == 200  # the confirmation page again
    assert await _is_logged_in(flow)
