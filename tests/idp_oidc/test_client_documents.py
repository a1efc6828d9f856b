"""Client ID Documents (Solid-OIDC §5.1) served by a second app: fetched, checked, never trusted when bad."""

from __future__ import annotations

import json

from tests.idp_oidc.conftest import AppSite, Client, Flow, query_of

CONTEXT = "https://www.w3.org/ns/solid/oidc-context.jsonld"


async def _refused_with_a_page(flow: Flow, expected: str) -> None:
    answer = await flow.authorize()
    # RFC 6749 §4.1.2.1: the app cannot be trusted with a redirect; the person sees why.
    assert answer.status == 400, await answer.text()
    assert "Location" not in answer.headers
    page = await answer.text()
    assert answer.headers["Content-Type"].startswith("text/html")
    assert expected in page, page


async def test_unreachable_document_is_refused(client: Client, app_site: AppSite) -> None:
    # Nothing is served at /gone: the app site answers 404.
    flow = Flow(client, app_site.url("/gone"), app_site.url("/callback"))
    await _refused_with_a_page(flow, "404")


async def test_document_on_a_closed_port_is_refused(client: Client, app_site: AppSite) -> None:
    flow = Flow(client, "http://127.0.0.1:9/id", "http://127.0.0.1:9/callback")
    await _refused_with_a_page(flow, "could not be fetched")


async def test_document_that_is_not_json_ld_is_refused(client: Client, app_site: AppSite) -> None:
    app_site.serve("/turtle", 200, "text/turtle", b"<#it> a <#App> .")
    flow = Flow(client, app_site.url("/turtle"), app_site.url("/callback"))
    await _refused_with_a_page(flow, "not JSON-LD")


async def test_document_that_is_not_json_is_refused(client: Client, app_site: AppSite) -> None:
    app_site.serve("/broken", 200, "application/ld+json", b"{not json")
    flow = Flow(client, app_site.url("/broken"), app_site.url("/callback"))
    await _refused_with_a_page(flow, "not JSON")


async def test_document_without_the_solid_oidc_context_is_refused(client: Client, app_site: AppSite) -> None:
    document = {"client_id": app_site.url("/plain"), "redirect_uris": [app_site.url("/callback")]}
    app_site.serve("/plain", 200, "application/ld+json", json.dumps(document).encode())
    flow = Flow(client, app_site.url("/plain"), app_site.url("/callback"))
    await _refused_with_a_page(flow, "@context")


async def test_document_naming_an_unknown_remote_context_is_refused(
    client: Client, app_site: AppSite
) -> None:
    document = {
        "@context": [CONTEXT, "https://contexts.example/extra.jsonld"],
        "client_id": app_site.url("/extra"),
        "redirect_uris": [app_site.url("/callback")],
    }
    app_site.serve("/extra", 200, "application/ld+json", json.dumps(document).encode())
    flow = Flow(client, app_site.url("/extra"), app_site.url("/callback"))
    await _refused_with_a_page(flow, "not valid JSON-LD")


async def test_document_listing_other_redirect_uris_is_refused(client: Client, app_site: AppSite) -> None:
    client_id = app_site.client_document("/id", redirect_uris=[app_site.url("/elsewhere")])
    flow = Flow(client, client_id, app_site.url("/callback"))
    await _refused_with_a_page(flow, "not registered")


async def test_document_with_another_client_id_is_refused(client: Client, app_site: AppSite) -> None:
    client_id = app_site.client_document("/id", client_id="https://impostor.example/id")
    flow = Flow(client, client_id, app_site.url("/callback"))
    await _refused_with_a_page(flow, "is not its URL")


async def test_document_with_a_client_secret_method_is_refused(client: Client, app_site: AppSite) -> None:
    client_id = app_site.client_document("/id", token_endpoint_auth_method="client_secret_basic")
    flow = Flow(client, client_id, app_site.url("/callback"))
    await _refused_with_a_page(flow, "none")


async def test_http_client_id_on_a_public_host_is_refused(client: Client) -> None:
    flow = Flow(client, "http://app.example/id", "http://app.example/callback")
    await _refused_with_a_page(flow, "not an https URL")


async def test_good_document_is_cached(client: Client, app_site: AppSite) -> None:
    client_id = app_site.client_document()
    flow = Flow(client, client_id, app_site.url("/callback"))
    assert (await flow.authorize()).status == 303
    # Gone from the app's site, but still known to the provider for a while.
    app_site.documents.clear()
    assert (await flow.authorize()).status == 303


async def test_errors_after_the_redirect_uri_is_verified_go_to_the_app(
    client: Client, app_site: AppSite
) -> None:
    flow = Flow(client, app_site.client_document(), app_site.url("/callback"))
    for overrides, error in (
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": "", "code_challenge_method": ""}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "webid"}, "invalid_scope"),
        ({"request": "eyJ..."}, "request_not_supported"),
    ):
        answer = await flow.authorize(**overrides)
        assert answer.status == 303, overrides
        returned = query_of(answer.headers["Location"])
        assert answer.headers["Location"].startswith(flow.redirect_uri + "?")
        assert returned["error"] == error, (overrides, returned)
        assert returned["state"] == flow.state
        assert returned["iss"] == str(client.make_url("/"))


async def test_missing_client_id_is_an_error_page(client: Client) -> None:
    answer = await client.get("/.oidc/auth", params={"response_type": "code"}, allow_redirects=False)
    assert answer.status == 400
    assert "Location" not in answer.headers
