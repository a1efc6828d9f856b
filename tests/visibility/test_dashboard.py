"""Issue 13, the owner's dashboard page: filters, forms with CSRF tokens, and untrusted strings escaped."""

from __future__ import annotations

from tests.idp_oidc.conftest import Client, Person, hidden_field, local, log_in
from tests.visibility.conftest import app_for, pod_api

HTML = {"Accept": "text/html"}


async def _page(client: Client, alice: Person, **query: str) -> tuple[str, str]:
    """Log in through the form and open the pod's dashboard: (its path, its HTML)."""
    url = (await pod_api(client, alice))["dashboard"]
    await log_in(client, alice, str(client.make_url(url)))
    answer = await client.get(url, params=query, headers=HTML)
    assert answer.status == 200, await answer.text()
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    return url, await answer.text()


async def test_the_account_page_links_each_pod_to_its_dashboard(client: Client, alice: Person) -> None:
    url = (await pod_api(client, alice))["dashboard"]
    await log_in(client, alice, str(client.make_url(url)))
    account = await client.get(local(alice.controls["account"]["account"]), headers=HTML)
    assert url in await account.text()


async def test_dashboard_shows_the_log_apps_and_grants(client: Client, alice: Person) -> None:
    app = await app_for(client, alice)
    await app.request("GET", alice.pod + "profile/card")
    await client.session.get(alice.pod + "secret.txt")
    _, html = await _page(client, alice)
    assert app.client_id in html  # an app that acted as her
    assert "secret.txt" in html and "401" in html
    assert "Who has access" in html and "(public)" in html


async def test_untrusted_strings_are_escaped_in_the_page(client: Client, alice: Person) -> None:
    evil = '"><script>alert(1)</script>'
    await client.session.get(alice.pod + "%3Cimg%20src=x%20onerror=alert(1)%3E", headers={"Origin": evil})
    _, html = await _page(client, alice)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html


async def test_refused_only_filter(client: Client, alice: Person) -> None:
    await client.session.get(alice.pod + "profile/card")
    await client.session.get(alice.pod + "nope.txt")
    _, html = await _page(client, alice, refused="yes")
    table = html.split("<h2>Access log</h2>", 1)[1]
    assert "nope.txt" in table and "profile/card<" not in table


async def test_a_bad_filter_says_so_on_the_page(client: Client, alice: Person) -> None:
    _, html = await _page(client, alice, since="not a time")
    assert 'class="error"' in html and "since" in html


async def test_block_from_the_dashboard_needs_the_csrf_token(client: Client, alice: Person) -> None:
    app = await app_for(client, alice)
    url, html = await _page(client, alice)
    form = {"action": "block", "clientId": app.client_id}
    refused = await client.post(url, data=form)
    assert refused.status == 403
    assert (await app.request("GET", alice.pod + "profile/card")).status == 200
    done = await client.post(url, data={**form, "csrf": hidden_field(html, "csrf")})
    assert done.status == 200
    assert (await app.request("GET", alice.pod + "profile/card")).status == 403


async def test_approved_only_and_revoke_from_the_dashboard(
    client: Client, alice: Person, bob: Person
) -> None:
    url, html = await _page(client, alice)
    csrf = hidden_field(html, "csrf")
    toggled = await client.post(url, data={"action": "approved-only", "on": "yes", "csrf": csrf})
    assert "Only approved apps: <strong>on</strong>" in await toggled.text()
    revoked = await client.post(url, data={"action": "revoke", "kind": "public", "iri": "", "csrf": csrf})
    assert revoked.status == 200, await revoked.text()
    assert (await client.session.get(alice.pod + "profile/card")).status == 401
    bad = await client.post(url, data={"action": "narrow", "kind": "agent", "iri": "nope", "csrf": csrf})
    assert bad.status == 400


async def test_another_account_gets_no_dashboard(client: Client, alice: Person, bob: Person) -> None:
    url = (await pod_api(client, alice))["dashboard"]
    await log_in(client, bob, str(client.make_url(url)))
    assert (await client.get(url, headers=HTML)).status == 403
    client.session.cookie_jar.clear()
    answer = await client.get(url, headers=HTML, allow_redirects=False)
    assert answer.status == 303 and "/.account/login/" in answer.headers["Location"]
