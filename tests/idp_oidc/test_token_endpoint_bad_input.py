"""Bad input at the token endpoint: each a clear 4xx with its OAuth error code, nothing issued."""

from __future__ import annotations

import time

from aiohttp import ClientResponse

from tests.idp_oidc.conftest import AppSite, Client, DpopKey, Flow, Person, base_url, pkce


async def _error(answer: ClientResponse, status: int, error: str) -> None:
    assert answer.status == status, await answer.text()
    body = await answer.json()
    assert body["error"] == error, body
    assert body["error_description"]
    assert answer.headers["Cache-Control"] == "no-store"


def _flow(client: Client, app_site: AppSite) -> Flow:
    return Flow(client, app_site.client_document(), app_site.url("/callback"))


async def test_replayed_code_is_refused_and_revokes_its_tokens(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    first = await (await flow.token(code)).json()
    # RFC 6749 §4.1.2: the second use fails...
    await _error(await flow.token(code), 400, "invalid_grant")
    # ...and the refresh token the first use gave is revoked with it.
    await _error(await flow.refresh(first["refresh_token"]), 400, "invalid_grant")


async def test_code_with_another_pkce_verifier_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    await _error(await flow.token(code, code_verifier=pkce().verifier), 400, "invalid_grant")


async def test_code_without_pkce_verifier_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    await _error(await flow.token(code, code_verifier=""), 400, "invalid_request")


async def test_code_with_another_redirect_uri_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    await _error(await flow.token(code, redirect_uri=app_site.url("/other")), 400, "invalid_grant")


async def test_code_used_by_another_client_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    other = app_site.client_document("/other-id")
    await _error(await flow.token(code, client_id=other), 400, "invalid_grant")


async def test_unknown_code_is_refused(client: Client, app_site: AppSite) -> None:
    await _error(await _flow(client, app_site).token("made-up"), 400, "invalid_grant")


async def test_missing_dpop_proof_is_refused(client: Client, alice: Person, app_site: AppSite) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    await _error(await flow.token(code, proof=None), 400, "invalid_dpop_proof")
    # Nothing was spent: the code still works with a proof.
    assert (await flow.token(code)).status == 200


async def test_dpop_proof_for_another_url_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    proof = flow.key.proof("POST", base_url(client) + ".oidc/elsewhere")
    await _error(await flow.token(code, proof=proof), 400, "invalid_dpop_proof")


async def test_dpop_proof_for_another_method_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    proof = flow.key.proof("GET", base_url(client) + ".oidc/token")
    await _error(await flow.token(code, proof=proof), 400, "invalid_dpop_proof")


async def test_stale_dpop_proof_is_refused(client: Client, alice: Person, app_site: AppSite) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    proof = flow.key.proof("POST", base_url(client) + ".oidc/token", iat=time.time() - 3600)
    await _error(await flow.token(code, proof=proof), 400, "invalid_dpop_proof")


async def test_dpop_proof_with_wrong_typ_is_refused(client: Client, alice: Person, app_site: AppSite) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    proof = flow.key.proof("POST", base_url(client) + ".oidc/token", typ="JWT")
    await _error(await flow.token(code, proof=proof), 400, "invalid_dpop_proof")


async def test_dpop_proof_signed_by_another_key_than_its_jwk_is_refused(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    other = DpopKey().key.as_dict(private=False)
    proof = flow.key.proof("POST", base_url(client) + ".oidc/token", jwk=other)
    await _error(await flow.token(code, proof=proof), 400, "invalid_dpop_proof")


async def test_replayed_dpop_proof_is_refused(client: Client, alice: Person, app_site: AppSite) -> None:
    flow = _flow(client, app_site)
    code = await flow.code(alice)
    proof = flow.key.proof("POST", base_url(client) + ".oidc/token")
    assert (await flow.token(code, proof=proof)).status == 200
    second = await flow.code(alice)
    await _error(await flow.token(second, proof=proof), 400, "invalid_dpop_proof")


async def test_code_bound_by_dpop_jkt_needs_that_key(
    client: Client, alice: Person, app_site: AppSite
) -> None:
    # RFC 9449 §10: dpop_jkt in the authorization request binds the code to that key.
    flow = _flow(client, app_site)
    answer = await flow.authorize()
    assert answer.status == 303  # to the login page
    await flow.code(alice)  # logs in and approves the app
    bound = await flow.authorize(dpop_jkt=DpopKey().thumbprint)
    code = dict(pair.split("=", 1) for pair in bound.headers["Location"].split("?", 1)[1].split("&"))["code"]
    await _error(await flow.token(code), 400, "invalid_grant")


async def test_unknown_grant_type_is_refused(client: Client, app_site: AppSite) -> None:
    flow = _flow(client, app_site)
    answer = await flow.post_token({"grant_type": "password", "client_id": flow.client_id})
    await _error(answer, 400, "unsupported_grant_type")


async def test_missing_grant_type_is_refused(client: Client, app_site: AppSite) -> None:
    await _error(await _flow(client, app_site).post_token({"code": "x"}), 400, "invalid_request")


async def test_token_request_that_is_not_a_form_is_refused(client: Client) -> None:
    answer = await client.post("/.oidc/token", json={"grant_type": "client_credentials"})
    await _error(answer, 400, "invalid_request")


async def test_unknown_client_is_refused(client: Client) -> None:
    flow = Flow(client, "no-such-client-registered-here", "https://app.example/cb")
    await _error(await flow.token("code"), 401, "invalid_client")


async def test_token_endpoint_answers_only_post(client: Client) -> None:
    answer = await client.get("/.oidc/token")
    assert answer.status == 404
