"""The authorization code flow end to end over HTTP (Solid-OIDC §4, RFC 6749 §4.1, RFC 7636, RFC 9449)."""

from __future__ import annotations

import time

from joserfc import jwt

from tests.idp_oidc.conftest import (
    AppSite,
    Client,
    Flow,
    Person,
    add_webid,
    base_url,
    hidden_field,
    local,
    log_in,
    provider,
    provider_keys,
    query_of,
)


async def test_whole_flow_login_consent_code_tokens(client: Client, alice: Person, app_site: AppSite) -> None:
    client_id = app_site.client_document()
    flow = Flow(client, client_id, app_site.url("/callback"))
    issuer = base_url(client)

    # 1. The app sends the browser to the authorization endpoint; nobody is logged in: the login page.
    answer = await flow.authorize()
    assert answer.status == 303
    assert "/.account/login/password/" in answer.headers["Location"]
    return_to = query_of(answer.headers["Location"])["returnTo"]
    assert return_to.startswith(issuer + ".oidc/auth?")

    # 2. The login form sends the browser back to the authorization request.
    back = await log_in(client, alice, return_to)
    assert back.headers["Location"] == return_to

    # 3. The consent screen names the app (from its Client ID Document) and the WebID.
    consent = await client.get(local(return_to), allow_redirects=False)
    assert consent.status == 200
    assert consent.headers["Content-Type"].startswith("text/html")
    assert consent.headers["X-Frame-Options"] == "DENY"
    page = await consent.text()
    assert "Test App" in page and client_id in page and alice.webid in page
    assert app_site.url("/logo.png") in page
    assert "<script" not in page

    # 4. Allowing it redirects to the app with the code, the state and the issuer (RFC 9207 §2).
    allowed = await flow.consent(page)
    assert allowed.status == 303
    location = allowed.headers["Location"]
    assert location.startswith(flow.redirect_uri + "?")
    returned = query_of(location)
    assert returned["state"] == flow.state
    assert returned["iss"] == issuer

    # 5. The code, the PKCE verifier and a DPoP proof give DPoP-bound tokens.
    tokens = await flow.token(returned["code"])
    assert tokens.status == 200, await tokens.text()
    assert tokens.headers["Cache-Control"] == "no-store"
    body = await tokens.json()
    assert body["token_type"] == "DPoP"
    assert body["expires_in"] > 0
    assert set(body["scope"].split()) == {"openid", "webid", "offline_access"}
    assert body["refresh_token"]

    # 6. Both tokens verify with the keys published through discovery, and carry the claims.
    keys = await provider_keys(client)
    now = time.time()
    access = jwt.decode(body["access_token"], keys, algorithms=["ES256"])
    assert access.header["typ"] == "at+jwt"
    claims = access.claims
    assert claims["iss"] == issuer
    assert claims["webid"] == alice.webid and claims["sub"] == alice.webid
    assert claims["aud"] == ["solid", client_id]
    assert claims["client_id"] == client_id
    assert claims["cnf"] == {"jkt": flow.key.thumbprint}
    assert claims["iat"] <= now + 1 < claims["exp"]
    assert claims["jti"]
    id_token = jwt.decode(body["id_token"], keys, algorithms=["ES256"]).claims
    assert id_token["iss"] == issuer
    assert id_token["sub"] == alice.webid and id_token["webid"] == alice.webid
    # Solid-OIDC §8.1: aud is an array with the client (azp) and "solid".
    assert client_id in id_token["aud"] and "solid" in id_token["aud"]
    assert id_token["azp"] == client_id
    assert id_token["nonce"] == flow.nonce
    assert id_token["cnf"] == {"jkt": flow.key.thumbprint}
    assert id_token["at_hash"]


async def test_consent_is_remembered_for_the_webid_and_app(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    await flow.code(alice)
    again = await flow.authorize()
    assert again.status == 303
    assert "code" in query_of(again.headers["Location"])
    # prompt=consent asks again all the same.
    asked = await flow.authorize(prompt="consent")
    assert asked.status == 200


async def test_approval_is_recorded_for_web_access_control(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    oidc = provider(client)
    assert not await oidc.approved(alice.webid, flow.client_id)
    await flow.code(alice)
    assert await oidc.approved(alice.webid, flow.client_id)
    # DESIGN "Browser origins": the origin the app was sent back to counts as approved.
    assert await oidc.approved(alice.webid, app_site.url("/").rstrip("/"))
    assert not await oidc.approved(alice.webid, "https://elsewhere.example")
    assert not await oidc.approved("https://other.example/profile#me", flow.client_id)


async def test_withdrawn_approval_is_asked_again(client: Client, alice: Person, app_site: AppSite) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    await flow.code(alice)
    await provider(client).consents.withdraw(alice.webid, flow.client_id)
    assert not await provider(client).approved(alice.webid, flow.client_id)
    assert (await flow.authorize()).status == 200  # the consent screen again


async def test_denying_redirects_access_denied(client: Client, alice: Person, app_site: AppSite) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    answer = await flow.authorize()
    back = await log_in(client, alice, query_of(answer.headers["Location"])["returnTo"])
    page = await (await client.get(local(back.headers["Location"]))).text()
    denied = await flow.consent(page, decision="deny")
    assert denied.status == 303
    returned = query_of(denied.headers["Location"])
    assert returned["error"] == "access_denied"
    assert returned["state"] == flow.state and returned["iss"] == base_url(client)
    assert "code" not in returned


async def test_an_account_with_several_webids_chooses_one(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    second = await add_webid(client, alice)
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    answer = await flow.authorize()
    back = await log_in(client, alice, query_of(answer.headers["Location"])["returnTo"])
    page = await (await client.get(local(back.headers["Location"]))).text()
    assert 'type="radio"' in page and alice.webid in page and second in page
    chosen = await flow.consent(page, webid=second)
    tokens = await (await flow.token(query_of(chosen.headers["Location"])["code"])).json()
    claims = jwt.decode(tokens["access_token"], await provider_keys(client), algorithms=["ES256"]).claims
    assert claims["webid"] == second


async def test_consent_form_with_a_wrong_csrf_token_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    answer = await flow.authorize()
    back = await log_in(client, alice, query_of(answer.headers["Location"])["returnTo"])
    page = await (await client.get(local(back.headers["Location"]))).text()
    form = {"interaction": hidden_field(page, "interaction"), "csrf": "forged", "decision": "allow"}
    refused = await client.post("/.oidc/consent", data=form, allow_redirects=False)
    assert refused.status == 403
    assert "Location" not in refused.headers


async def test_consent_form_posted_from_another_site_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    answer = await flow.authorize()
    back = await log_in(client, alice, query_of(answer.headers["Location"])["returnTo"])
    page = await (await client.get(local(back.headers["Location"]))).text()
    form = {
        "interaction": hidden_field(page, "interaction"),
        "csrf": hidden_field(page, "csrf"),
        "decision": "allow",
        "webid": alice.webid,
    }
    refused = await client.post(
        "/.oidc/consent", data=form, headers={"Origin": "https://evil.example"}, allow_redirects=False
    )
    assert refused.status == 403


async def test_consent_form_posted_by_a_browser_from_the_consent_page_is_accepted(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    # A browser sends the form with `Origin: <the server>` only if the page's referrer policy lets it:
    # under "no-referrer" Chromium sends `Origin: null`, and every real consent was refused (issue 8).
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    answer = await flow.authorize()
    back = await log_in(client, alice, query_of(answer.headers["Location"])["returnTo"])
    consent = await client.get(local(back.headers["Location"]))
    assert consent.headers["Referrer-Policy"] not in ("no-referrer", "")
    assert consent.headers["Referrer-Policy"] == "same-origin"  # and nothing to other sites (the logo)
    page = await consent.text()
    form = {
        "interaction": hidden_field(page, "interaction"),
        "csrf": hidden_field(page, "csrf"),
        "decision": "allow",
        "webid": alice.webid,
    }
    origin = base_url(client).rstrip("/")
    allowed = await client.post(
        "/.oidc/consent", data=form, headers={"Origin": origin}, allow_redirects=False
    )
    assert allowed.status == 303
    assert "code" in query_of(allowed.headers["Location"])


async def test_prompt_none_without_login_redirects_login_required(client: Client, app_site: AppSite) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    answer = await flow.authorize(prompt="none")
    assert answer.status == 303
    assert query_of(answer.headers["Location"])["error"] == "login_required"


async def test_authorization_request_by_post(client: Client, alice: Person, app_site: AppSite) -> None:
    # OIDC Core §3.1.2.1: the authorization endpoint takes POST as well as GET.
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    await flow.code(alice)
    answer = await client.post("/.oidc/auth", data=flow.params(), allow_redirects=False)
    assert answer.status == 303
    assert "code" in query_of(answer.headers["Location"])
