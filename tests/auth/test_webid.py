"""WebID profiles and issuer trust (Solid-OIDC §6.1): the profile must name the token's issuer."""

from __future__ import annotations

import json

import pytest
from joserfc.jwk import ECKey

from auth.conftest import (
    RESOURCE,
    SIZE_CAP,
    SOLID,
    IdentityProvider,
    dpop_headers,
    proof,
    refusal,
    turtle_profile,
)
from pod.auth.authenticator import Authenticator
from pod.auth.webid import WebIdError, WebIdProfiles


async def refused_for_webid(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey, webid: str
) -> str:
    token = idp.access_token(client_key, webid=webid)
    return await refusal(authenticator, dpop_headers(token, proof(client_key, "GET", RESOURCE, token)))


async def accepted_webid(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey, webid: str
) -> str | None:
    token = idp.access_token(client_key, webid=webid)
    headers = dpop_headers(token, proof(client_key, "GET", RESOURCE, token))
    return (await authenticator.credentials("GET", RESOURCE, headers)).agent


async def test_turtle_profile_lists_its_issuers(profiles: WebIdProfiles, idp: IdentityProvider) -> None:
    assert await profiles.issuers(idp.webid) == frozenset({idp.issuer})


async def test_issuers_of_another_subject_in_the_profile_do_not_count(
    profiles: WebIdProfiles, idp: IdentityProvider
) -> None:
    document = idp.publish_profile("two", turtle_profile("someone-else", idp.issuer))
    assert await profiles.issuers(document + "#me") == frozenset()


async def test_json_ld_profile_is_read(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    body = json.dumps({"@id": "#me", f"{SOLID}oidcIssuer": {"@id": idp.issuer}})
    webid = idp.publish_profile("jsonld", body, "application/ld+json") + "#me"
    assert await accepted_webid(authenticator, idp, client_key, webid) == webid


async def test_json_ld_profile_with_the_solid_context_is_read(
    profiles: WebIdProfiles, idp: IdentityProvider
) -> None:
    body = json.dumps(
        {
            "@context": {"solid": SOLID, "oidcIssuer": {"@id": "solid:oidcIssuer", "@type": "@id"}},
            "@id": "#me",
            "oidcIssuer": idp.issuer,
        }
    )
    webid = idp.publish_profile("context", body, "application/ld+json") + "#me"
    assert await profiles.issuers(webid) == frozenset({idp.issuer})


async def test_issuer_not_listed_in_the_webid_profile_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    webid = idp.publish_profile("elsewhere", turtle_profile("me", "https://other-idp.example/")) + "#me"
    reason = await refused_for_webid(authenticator, idp, client_key, webid)
    assert f"does not list {idp.issuer} as its solid:oidcIssuer" in reason


async def test_profile_without_any_issuer_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    webid = idp.publish_profile("bare", "<#me> a <http://xmlns.com/foaf/0.1/Person> .") + "#me"
    assert "does not list" in await refused_for_webid(authenticator, idp, client_key, webid)


async def test_unreachable_profile_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    reason = await refused_for_webid(authenticator, idp, client_key, "http://127.0.0.1:9/profile#me")
    assert "WebID profile could not be fetched" in reason


async def test_missing_profile_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    reason = await refused_for_webid(authenticator, idp, client_key, idp.url("/profile/nobody") + "#me")
    assert "answered 404" in reason


async def test_slow_profile_is_refused_after_the_timeout(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    idp.publish_profile("slow", turtle_profile("me", idp.issuer))
    reason = await refused_for_webid(authenticator, idp, client_key, idp.url("/profile/slow") + "#me")
    assert "no answer from" in reason and "within 1.0 s" in reason


async def test_huge_profile_is_refused_at_the_size_cap(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    padding = "".join(f"<#p{n}> a <http://xmlns.com/foaf/0.1/Person> .\n" for n in range(SIZE_CAP // 30))
    webid = idp.publish_profile("huge", turtle_profile("me", idp.issuer) + padding) + "#me"
    reason = await refused_for_webid(authenticator, idp, client_key, webid)
    assert f"larger than {SIZE_CAP} bytes" in reason


async def test_profile_that_is_not_rdf_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    webid = idp.publish_profile("html", "<html><body>Alice</body></html>", "text/html") + "#me"
    assert "is not RDF (it is text/html)" in await refused_for_webid(authenticator, idp, client_key, webid)


async def test_profile_that_does_not_parse_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    webid = idp.publish_profile("broken", "<#me> solid:oidcIssuer <", "text/turtle") + "#me"
    assert "does not parse" in await refused_for_webid(authenticator, idp, client_key, webid)


async def test_json_ld_profile_with_an_unknown_remote_context_is_refused(
    profiles: WebIdProfiles, idp: IdentityProvider
) -> None:
    # A remote context would be a fetch at request time: never.
    body = json.dumps({"@context": "https://contexts.example/person.jsonld", "@id": "#me"})
    webid = idp.publish_profile("remote-context", body, "application/ld+json") + "#me"
    with pytest.raises(WebIdError, match="does not parse"):
        await profiles.issuers(webid)


async def test_profiles_are_cached(profiles: WebIdProfiles, idp: IdentityProvider) -> None:
    for _ in range(3):
        await profiles.check_issuer(idp.webid, idp.issuer)
    assert idp.hits["card"] == 1


async def test_profile_failures_are_remembered_briefly(
    profiles: WebIdProfiles, idp: IdentityProvider
) -> None:
    webid = idp.url("/profile/later") + "#me"
    for _ in range(3):
        with pytest.raises(WebIdError, match="answered 404"):
            await profiles.issuers(webid)
    assert idp.hits["later"] == 1


async def test_concurrent_checks_share_one_fetch(profiles: WebIdProfiles, idp: IdentityProvider) -> None:
    import asyncio

    await asyncio.gather(*(profiles.check_issuer(idp.webid, idp.issuer) for _ in range(10)))
    assert idp.hits["card"] == 1
