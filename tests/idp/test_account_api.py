"""The JSON account API at /.account/, in the shape of CSS v7's (issue 7: "scripts and test tools
written for CSS work unchanged")."""

from __future__ import annotations

import pytest

from pod.ldp.identifiers import parse_path
from tests.conftest import ClientFactory
from tests.idp import PASSWORD, Client, controls, idp_of, new_account, path_of, token_header


@pytest.fixture
async def client(make_client: ClientFactory) -> Client:
    return await make_client(single_user=False)


async def test_index_lists_the_public_controls(client: Client) -> None:
    """CSS v7 json-api "Finding API URLs": GET /.account/ returns `controls`; account ones need a login."""
    found = await controls(client)
    assert found["account"]["create"].endswith("/.account/account/")
    assert found["password"]["login"].endswith("/.account/login/password/")
    assert found["html"]["password"]["register"].endswith("/.account/login/password/register/")
    assert "pod" not in found["account"]


async def test_account_token_shows_the_account_controls(client: Client) -> None:
    """CSS v7 json-api "Authorization": with `CSS-Account-Token` the controls grow the account's URLs."""
    account = await new_account(client, pod=None)
    for key in ("pod", "clientCredentials", "webId", "logout"):
        assert "/.account/account/" in account.controls["account"][key]
    assert "/login/password/" in account.controls["password"]["create"]


async def test_css_flow_create_login_pod_credentials_list_delete(client: Client) -> None:
    """CSS v7 json-api, the whole scripted flow: account, password, login, pod, client credentials,
    listing each, and deleting each."""
    await new_account(client, pod=None)
    resp = await client.post(
        "/.account/login/password/", json={"email": "alice@example.org", "password": PASSWORD}
    )
    assert resp.status == 200
    token = (await resp.json())["authorization"]
    client.session.cookie_jar.clear()
    found = await controls(client, token)
    headers = token_header(token)

    resp = await client.post(path_of(found["account"]["pod"]), json={"name": "alice"}, headers=headers)
    assert resp.status == 200
    pod = await resp.json()
    assert pod["pod"].endswith("/alice/")
    assert pod["webId"] == pod["pod"] + "profile/card#me"
    assert "/pod/" in pod["podResource"] and "/webid/" in pod["webIdResource"]

    resp = await client.post(
        path_of(found["account"]["clientCredentials"]),
        json={"name": "my-token", "webId": pod["webId"]},
        headers=headers,
    )
    assert resp.status == 200
    credential = await resp.json()
    assert credential["id"].startswith("my-token_") and len(credential["secret"]) >= 64
    assert (
        await idp_of(client).accounts.verify_client_credential(credential["id"], credential["secret"])
        is not None
    )

    listed = await (await client.get(path_of(found["account"]["pod"]), headers=headers)).json()
    assert listed["pods"] == {pod["pod"]: pod["podResource"]}
    listed = await (await client.get(path_of(found["account"]["webId"]), headers=headers)).json()
    assert listed["webIdLinks"] == {pod["webId"]: pod["webIdResource"]}
    listed = await (await client.get(path_of(found["account"]["clientCredentials"]), headers=headers)).json()
    assert listed["clientCredentials"] == {credential["id"]: credential["resource"]}
    listed = await (await client.get(path_of(found["password"]["create"]), headers=headers)).json()
    assert list(listed["passwordLogins"]) == ["alice@example.org"]
    details = await (await client.get(path_of(pod["podResource"]), headers=headers)).json()
    assert details["baseUrl"] == pod["pod"]
    assert details["owners"] == [{"webId": pod["webId"], "visible": True}]

    assert (await client.delete(path_of(credential["resource"]), headers=headers)).status == 200
    assert (
        await idp_of(client).accounts.verify_client_credential(credential["id"], credential["secret"]) is None
    )
    assert (await client.delete(path_of(pod["podResource"]), headers=headers)).status == 200
    # Gone: anonymous agents may not read below the multi-user root, so they learn only 401 (WAC).
    assert (await client.get("/alice/")).status == 401
    assert idp_of(client).pods.storages.record(parse_path("/alice/")) is None
    listed = await (await client.get(path_of(found["account"]["webId"]), headers=headers)).json()
    assert listed["webIdLinks"] == {}


async def test_password_login_answers_wrong_password_and_unknown_email_alike(client: Client) -> None:
    """Issue 7 bad input "wrong password, unknown account": one 401, one message, nothing revealed."""
    await new_account(client, pod=None)
    wrong = await client.post(
        "/.account/login/password/", json={"email": "alice@example.org", "password": "nope-nope"}
    )
    unknown = await client.post(
        "/.account/login/password/", json={"email": "bob@example.org", "password": "nope-nope"}
    )
    assert wrong.status == unknown.status == 401
    assert wrong.headers["Content-Type"].startswith("application/problem+json")
    assert (await wrong.json())["detail"] == (await unknown.json())["detail"]


async def test_failed_logins_are_rate_limited_with_429(client: Client) -> None:
    """Issue 7: "login attempts are rate-limited per account and per address"; RFC 6585 §4: 429."""
    await new_account(client, pod=None)
    body = {"email": "alice@example.org", "password": "wrong-password"}
    statuses = [(await client.post("/.account/login/password/", json=body)).status for _ in range(10)]
    assert set(statuses) == {401}
    resp = await client.post("/.account/login/password/", json={**body, "password": PASSWORD})
    assert resp.status == 429
    assert int(resp.headers["Retry-After"]) > 0


async def test_account_endpoints_need_a_login(client: Client) -> None:
    """CSS v7: account controls require the account cookie or token; without, 401."""
    account = await new_account(client, pod=None)
    client.session.cookie_jar.clear()
    resp = await client.get(path_of(account.controls["account"]["pod"]))
    assert resp.status == 401
    resp = await client.get(
        path_of(account.controls["account"]["pod"]), headers=token_header("v1.forged.1.x.y")
    )
    assert resp.status == 401


async def test_another_accounts_endpoints_are_forbidden(client: Client) -> None:
    """CSS v7: an account may only use its own account URLs (403 otherwise)."""
    alice = await new_account(client, pod=None)
    bob = await new_account(client, email="bob@example.org", pod=None)
    resp = await client.get(path_of(alice.controls["account"]["pod"]), headers=bob.headers)
    assert resp.status == 403


async def test_logout_voids_the_token(client: Client) -> None:
    """CSS v7 `controls.account.logout`: "Invalidates the cookie that was used"."""
    account = await new_account(client, pod=None)
    resp = await client.post(path_of(account.controls["account"]["logout"]), headers=account.headers)
    assert resp.status == 200
    resp = await client.get(path_of(account.controls["account"]["pod"]), headers=account.headers)
    assert resp.status == 401


async def test_second_account_with_the_same_email_is_409(client: Client) -> None:
    """One email address logs in to one account (a conflict, not a silent replacement)."""
    await new_account(client, pod=None)
    with pytest.raises(AssertionError, match="409"):
        await new_account(client, pod=None)


async def test_short_password_is_400(client: Client) -> None:
    """A password login needs a password worth hashing; a clear 400 says why."""
    resp = await client.post("/.account/account/")
    token = (await resp.json())["authorization"]
    found = await controls(client, token)
    resp = await client.post(
        path_of(found["password"]["create"]),
        json={"email": "a@example.org", "password": "short"},
        headers=token_header(token),
    )
    assert resp.status == 400
    assert "8" in (await resp.json())["detail"]


async def test_client_credentials_need_one_of_the_accounts_webids(client: Client) -> None:
    """CSS v7 CreateClientCredentialsHandler: "WebID does not belong to this account" is a 400."""
    alice = await new_account(client)
    bob = await new_account(client, email="bob@example.org", pod="bob")
    resp = await client.post(
        path_of(bob.controls["account"]["clientCredentials"]),
        json={"name": "x", "webId": alice.webid},
        headers=bob.headers,
    )
    assert resp.status == 400


async def test_client_secret_is_stored_only_as_a_hash(client: Client) -> None:
    """Brief: client credentials store only a hash of the secret; a wrong secret verifies to nothing."""
    account = await new_account(client)
    resp = await client.post(
        path_of(account.controls["account"]["clientCredentials"]),
        json={"name": "t", "webId": account.webid},
        headers=account.headers,
    )
    credential = await resp.json()
    idp = idp_of(client)
    stored = b"".join([await idp.state.read(key) or b"" for key in await idp.state.keys("accounts")])
    assert credential["secret"].encode() not in stored
    assert await idp.accounts.verify_client_credential(credential["id"], credential["secret"] + "0") is None


async def test_registration_closed_refuses_accounts(make_client: ClientFactory) -> None:
    """Issue 7 "registration when closed": 403, and the create control is not offered."""
    client = await make_client(single_user=False, registration="closed")
    assert "create" not in (await controls(client))["account"]
    resp = await client.post("/.account/account/")
    assert resp.status == 403


async def test_registration_by_invitation_needs_a_fresh_code(make_client: ClientFactory) -> None:
    """Issue 7 registration policy `invite`: a code from `pod accounts invite`, usable once."""
    client = await make_client(single_user=False, registration="invite")
    assert (await client.post("/.account/account/")).status == 403
    code = await idp_of(client).accounts.create_invite()
    assert (await client.post("/.account/account/", json={"invite": code})).status == 200
    assert (await client.post("/.account/account/", json={"invite": code})).status == 403


async def test_registration_default_is_open_on_loopback_only() -> None:
    """Issue 7: "open is the default only when the base URL is a loopback address"."""
    from pod.config import Settings

    assert Settings(base_url="http://localhost:3000/").registration == "open"
    assert Settings(base_url="https://pod.example/").registration == "closed"


async def test_account_paths_are_never_ldp_resources(client: Client) -> None:
    """DESIGN "Server-internal state ... under an internal folder that no URL maps to": a PUT under
    /.account/ or /.oidc/ creates nothing."""
    for path in ("/.account/x", "/.account/account/x/y", "/.oidc/x"):
        resp = await client.put(path, data=b"hello", headers={"Content-Type": "text/plain"})
        assert resp.status in (404, 405), path
    store = client.server.app[__import__("pod.app", fromlist=["RESOURCES"]).RESOURCES].store
    from pod.ldp.identifiers import ROOT

    names = {entry.identifier.name for entry in await store.children(ROOT)}
    assert not names & {".account", ".oidc"}


async def test_account_cookie_is_ignored_on_cross_origin_api_calls(client: Client) -> None:
    """The account cookie is for the server's own pages: another origin must use the token."""
    account = await new_account(client, pod=None)
    resp = await client.post(
        "/.account/login/password/", json={"email": "alice@example.org", "password": PASSWORD}
    )
    assert "pod-account" in resp.cookies
    url = path_of(account.controls["account"]["pod"])
    assert (await client.get(url)).status == 200
    assert (await client.get(url, headers={"Origin": "https://evil.example"})).status == 401


async def test_bad_json_is_400(client: Client) -> None:
    """RFC 9457 problem bodies with a clear 4xx for bodies that are not JSON objects."""
    resp = await client.post(
        "/.account/login/password/", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 400
    resp = await client.post("/.account/login/password/", json=["a"])
    assert resp.status == 400
