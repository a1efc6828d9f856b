"""The account pages: sign up, log in, log out and the dashboard, with CSRF tokens and no open redirects."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import ClientFactory
from tests.idp import PASSWORD, Client, idp_of, new_account, path_of

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client(single_user=False)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "the form has no CSRF token"
    return html.unescape(found.group(1))


async def login_form(client: Client, query: str = "") -> str:
    resp = await client.get("/.account/login/password/" + query, headers=BROWSER)
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("text/html")
    return await resp.text()


async def log_in(client: Client, return_to: str | None = None, password: str = PASSWORD) -> tuple[int, str]:
    page = await login_form(client)
    form = {"csrf": csrf_of(page), "email": "alice@example.org", "password": password}
    if return_to is not None:
        form["returnTo"] = return_to
    resp = await client.post("/.account/login/password/", data=form, allow_redirects=False)
    return resp.status, resp.headers.get("Location", "")


async def signed_up(client: Client) -> str:
    """Sign Alice up through the page; returns her dashboard's path."""
    page = await (await client.get("/.account/login/password/register/", headers=BROWSER)).text()
    form = {"csrf": csrf_of(page), "email": "alice@example.org", "password": PASSWORD, "confirm": PASSWORD}
    resp = await client.post(
        "/.account/login/password/register/", data={**form, "podName": "alice"}, allow_redirects=False
    )
    assert resp.status == 303, await resp.text()
    return path_of(resp.headers["Location"])


async def test_login_page_is_accessible_html(client: Client) -> None:
    """Issue 7: "plain, accessible, server-rendered" pages: labelled fields, a CSRF token, no scripts."""
    page = await login_form(client)
    assert '<label for="f-email">' in page and 'id="f-email"' in page
    assert '<label for="f-password">' in page
    assert "<script" not in page
    assert csrf_of(page)


async def test_browser_gets_html_and_scripts_get_json(client: Client) -> None:
    """CSS v7: the same /.account/ URLs serve the pages to browsers and JSON to API clients."""
    resp = await client.get("/.account/login/password/", headers={"Accept": "application/json"})
    assert resp.headers["Content-Type"].startswith("application/json")
    resp = await client.get("/.account/", headers=BROWSER, allow_redirects=False)
    assert resp.status == 303


async def test_form_post_without_csrf_token_is_403(client: Client) -> None:
    """Brief: CSRF protection on every form POST: without the token nothing happens."""
    await new_account(client)
    await login_form(client)
    resp = await client.post(
        "/.account/login/password/",
        data={"email": "alice@example.org", "password": PASSWORD},
        allow_redirects=False,
    )
    assert resp.status == 403
    assert "pod-account" not in resp.cookies
    resp = await client.post(
        "/.account/login/password/",
        data={"csrf": "forged", "email": "alice@example.org", "password": PASSWORD},
        allow_redirects=False,
    )
    assert resp.status == 403


async def test_login_sets_a_secure_session_cookie(client: Client) -> None:
    """Brief: a signed, HttpOnly, SameSite=Lax session cookie; then the dashboard opens."""
    await new_account(client)
    client.session.cookie_jar.clear()
    page = await login_form(client)
    form = {"csrf": csrf_of(page), "email": "alice@example.org", "password": PASSWORD}
    resp = await client.post("/.account/login/password/", data=form, allow_redirects=False)
    assert resp.status == 303
    cookie = resp.cookies["pod-account"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    resp = await client.get(path_of(resp.headers["Location"]), headers=BROWSER)
    assert resp.status == 200
    assert "Client credentials" in await resp.text()


async def test_wrong_password_on_the_page_is_401_with_the_form_again(client: Client) -> None:
    """Issue 7 bad input "wrong password": the page says so (401) and sets no session."""
    await new_account(client)
    client.session.cookie_jar.clear()
    status, _ = await log_in(client, password="wrong-password")
    assert status == 401


async def test_login_returns_to_a_same_origin_url(client: Client) -> None:
    """Brief: after login the page goes back to `returnTo` (the OpenID provider's authorization URL)."""
    await new_account(client)
    client.session.cookie_jar.clear()
    target = str(client.make_url("/.oidc/auth?client_id=x&state=y"))
    status, location = await log_in(client, return_to=target)
    assert status == 303
    assert location == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http://127.0.0.2/",
    ],
)
async def test_login_never_redirects_elsewhere(client: Client, target: str) -> None:
    """Brief: "never an open redirect": other origins fall back to the dashboard."""
    await new_account(client)
    client.session.cookie_jar.clear()
    status, location = await log_in(client, return_to=target)
    assert status == 303
    assert location.startswith(str(client.make_url("/.account/account/")))


async def test_sign_up_page_creates_account_and_pod(client: Client) -> None:
    """Issue 7: the sign-up page gives a person an account, a WebID and a pod, and logs them in."""
    dashboard = await signed_up(client)
    resp = await client.get(dashboard, headers=BROWSER)
    text = await resp.text()
    assert resp.status == 200
    assert str(client.make_url("/alice/profile/card#me")) in text
    assert (await client.get("/alice/profile/card")).status == 200


async def test_sign_up_with_bad_pod_name_creates_nothing(client: Client) -> None:
    """Issue 7 "nothing created half-way": a refused sign-up leaves no account behind."""
    page = await (await client.get("/.account/login/password/register/", headers=BROWSER)).text()
    form = {"csrf": csrf_of(page), "email": "alice@example.org", "password": PASSWORD, "confirm": PASSWORD}
    resp = await client.post("/.account/login/password/register/", data={**form, "podName": "../Alice"})
    assert resp.status == 400
    assert await idp_of(client).accounts.all() == []


async def test_sign_up_closed_is_refused(make_client: ClientFactory) -> None:
    """Issue 7 "registration when closed": the page says so and a POST is a 403."""
    client = await make_client(single_user=False, registration="closed")
    page = await (await client.get("/.account/login/password/register/", headers=BROWSER)).text()
    assert "Registration is closed" in page
    login = await login_form(client)
    form = {
        "csrf": csrf_of(login),
        "email": "a@example.org",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "podName": "a",
    }
    resp = await client.post("/.account/login/password/register/", data=form)
    assert resp.status == 403
    assert await idp_of(client).accounts.all() == []


async def test_dashboard_needs_a_login(client: Client) -> None:
    """A dashboard without a session sends the browser to the login page, coming back afterwards."""
    dashboard = await signed_up(client)
    client.session.cookie_jar.clear()
    resp = await client.get(dashboard, headers=BROWSER, allow_redirects=False)
    assert resp.status == 303
    assert "/.account/login/password/?returnTo=" in resp.headers["Location"]


async def test_dashboard_creates_and_deletes_client_credentials(client: Client) -> None:
    """Issue 7 dashboard: client credentials are created (the secret shown once) and deleted."""
    dashboard = await signed_up(client)
    page = await (await client.get(dashboard, headers=BROWSER)).text()
    webid = str(client.make_url("/alice/profile/card#me"))
    form = {"csrf": csrf_of(page), "action": "create-credential", "name": "script", "webId": webid}
    page = await (await client.post(dashboard, data=form)).text()
    client_id = re.search(r"id: <code>([^<]+)</code>", page)
    secret = re.search(r"secret: <code>([^<]+)</code>", page)
    assert client_id and secret
    accounts = idp_of(client).accounts
    assert await accounts.verify_client_credential(client_id.group(1), secret.group(1)) is not None
    resource = re.search(r'name="resource" value="([^"]+)"', page)
    assert resource
    form = {"csrf": csrf_of(page), "action": "delete-credential", "resource": resource.group(1)}
    assert (await client.post(dashboard, data=form)).status == 200
    assert await accounts.verify_client_credential(client_id.group(1), secret.group(1)) is None


async def test_dashboard_changes_the_password(client: Client) -> None:
    """Issue 7 dashboard "change password": the old one stops working, the new one logs in."""
    dashboard = await signed_up(client)
    page = await (await client.get(dashboard, headers=BROWSER)).text()
    new = "another good password"
    form = {
        "csrf": csrf_of(page),
        "action": "change-password",
        "oldPassword": PASSWORD,
        "newPassword": new,
        "confirm": new,
    }
    resp = await client.post(dashboard, data=form)
    assert resp.status == 200 and "Changed the password" in await resp.text()
    accounts = idp_of(client).accounts
    assert await accounts.verify_password("alice@example.org", new, address="test")


async def test_dashboard_deletes_the_account_only_with_the_password(client: Client) -> None:
    """Issue 7 dashboard: "delete account after re-entering the password"."""
    dashboard = await signed_up(client)
    page = await (await client.get(dashboard, headers=BROWSER)).text()
    form = {"csrf": csrf_of(page), "action": "delete-account", "password": "wrong-password"}
    assert (await client.post(dashboard, data=form)).status == 401
    assert await idp_of(client).accounts.by_email("alice@example.org") is not None
    page = await (await client.get(dashboard, headers=BROWSER)).text()
    form = {"csrf": csrf_of(page), "action": "delete-account", "password": PASSWORD}
    assert (await client.post(dashboard, data=form)).status == 200
    assert await idp_of(client).accounts.by_email("alice@example.org") is None
    # Gone: below the multi-user root an anonymous agent learns only 401, not whether it exists (WAC).
    assert (await client.get("/alice/profile/card")).status == 401


async def test_logout_ends_the_session(client: Client) -> None:
    """Issue 7 log out page: after the POST, the session cookie no longer opens the dashboard."""
    dashboard = await signed_up(client)
    page = await (await client.get("/.account/logout/", headers=BROWSER)).text()
    resp = await client.post("/.account/logout/", data={"csrf": csrf_of(page)}, allow_redirects=False)
    assert resp.status == 303
    resp = await client.get(dashboard, headers=BROWSER, allow_redirects=False)
    assert resp.status == 303


async def test_page_values_are_escaped(client: Client) -> None:
    """Brief: `html.escape` everywhere: an email address with markup is shown as text."""
    await new_account(client, email="<b>x</b>@example.org", pod="x")
    client.session.cookie_jar.clear()
    page = await login_form(client)
    form = {"csrf": csrf_of(page), "email": "<b>x</b>@example.org", "password": PASSWORD}
    resp = await client.post("/.account/login/password/", data=form, allow_redirects=False)
    text = await (await client.get(path_of(resp.headers["Location"]), headers=BROWSER)).text()
    assert "&lt;b&gt;x&lt;/b&gt;@example.org" in text
    assert "<b>x</b>" not in text
