"""Cross-server trust with no configuration: WebID profiles name their issuers, and nothing else counts."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from pod.auth.webid import WebIdError, WebIdProfiles
from pod.client.session import ClientCredential, SolidSession
from pod.federation.demo import grant_read
from pod.federation.people import Person
from pod.outbound import FetchPolicy, OutboundClient
from tests.federation.conftest import Servers, as_person

TURTLE = {"Content-Type": "text/turtle"}
ISSUER = "http://www.w3.org/ns/solid/terms#oidcIssuer"


async def shared_with(http: aiohttp.ClientSession, alice: Person, reader: Person) -> str:
    """A document in Alice's private container that `reader` may read."""
    document = alice.pod + "private/for-bob.ttl"
    body = b'<#it> <http://purl.org/dc/terms/title> "for Bob".'
    assert (await as_person(http, alice, "PUT", document, body=body, headers=TURTLE))[0] == 201
    acl = grant_read(document, alice.webid, reader.webid).encode()
    assert (await as_person(http, alice, "PUT", document + ".acl", body=acl, headers=TURTLE))[0] == 201
    return document


async def publish_webid(http: aiohttp.ClientSession, person: Person, *issuers: str) -> str:
    """A second WebID in the person's pod (a plain document they write), naming these issuers."""
    document = person.pod + "public/other-me.ttl"
    stated = " ".join(f"<{document}#me> <{ISSUER}> <{issuer}>." for issuer in issuers)
    status, _, body = await as_person(http, person, "PUT", document, body=stated.encode(), headers=TURTLE)
    assert status in (201, 204), body
    # A WebID profile is public (WebID 1.0 §4): anyone may read it, its owner controls it.
    acl = f"""@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>;
    acl:accessTo <{document}>; acl:mode acl:Read.
<#owner> a acl:Authorization; acl:agent <{person.webid}>; acl:accessTo <{document}>;
    acl:mode acl:Read, acl:Write, acl:Control."""
    status, _, body = await as_person(
        http, person, "PUT", document + ".acl", body=acl.encode(), headers=TURTLE
    )
    assert status in (201, 204), body
    return document + "#me"


async def account_controls(
    http: aiohttp.ClientSession, person: Person
) -> tuple[dict[str, str], dict[str, Any]]:
    auth = {"Authorization": f"CSS-Account-Token {person.account_token}", "Accept": "application/json"}
    async with http.get(person.server + ".account/", headers=auth) as answer:
        return auth, (await answer.json())["controls"]


async def credential_for(http: aiohttp.ClientSession, person: Person, webid: str) -> ClientCredential:
    """Link `webid` (inside the person's pod) to their account and make a client credential for it."""
    auth, controls = await account_controls(http, person)
    async with http.post(controls["account"]["webId"], json={"webId": webid}, headers=auth) as answer:
        assert answer.status == 200, await answer.text()
    made = {"name": "other", "webId": webid}
    async with http.post(controls["account"]["clientCredentials"], json=made, headers=auth) as answer:
        body = await answer.json()
        assert answer.status == 200, body
    return ClientCredential(body["id"], body["secret"])


async def test_a_token_from_bobs_own_server_is_accepted_on_alices(
    http: aiohttp.ClientSession, alice: Person, bob: Person
) -> None:
    document = await shared_with(http, alice, bob)
    assert (await as_person(http, bob, "GET", document))[0] == 200
    # Nobody else: the anonymous public and other WebIDs.
    assert (await as_person(http, None, "GET", document))[0] == 401


async def test_a_webid_on_b_naming_a_as_issuer_is_trusted_by_neither(
    http: aiohttp.ClientSession, servers: Servers, alice: Person, bob: Person
) -> None:
    document = await shared_with(http, alice, bob)
    other = await publish_webid(http, bob, servers.a)
    acl = grant_read(document, alice.webid, other).encode()
    assert (await as_person(http, alice, "PUT", document + ".acl", body=acl, headers=TURTLE))[0] in (201, 204)
    # B's provider issues a token for the WebID (it is in Bob's pod, linked to his account) ...
    token_from_b = SolidSession(http, servers.b, await credential_for(http, bob, other))
    async with http.get(document, headers=await token_from_b.headers("GET", document)) as answer:
        # ... but Solid-OIDC §6.1: the profile names only A, so B's token proves nothing on A.
        assert answer.status == 401
        assert "does not list" in await answer.text()
    # And A, though named, is not its provider: no account on A can take that WebID.
    auth, controls = await account_controls(http, alice)
    async with http.post(controls["account"]["webId"], json={"webId": other}, headers=auth) as answer:
        assert answer.status == 400
    made = {"name": "stolen", "webId": other}
    async with http.post(controls["account"]["clientCredentials"], json=made, headers=auth) as answer:
        assert answer.status >= 400


async def test_a_profile_change_takes_effect_at_the_next_failed_check(
    http: aiohttp.ClientSession, servers: Servers, bob: Person
) -> None:
    other = await publish_webid(http, bob, servers.b)
    outbound = OutboundClient(FetchPolicy(allow_private=True))
    try:
        profiles = WebIdProfiles(outbound, ttl=300, recheck_after=0)
        cautious = WebIdProfiles(outbound, ttl=300, recheck_after=60)
        await profiles.check_issuer(other, servers.b)
        await cautious.check_issuer(other, servers.b)
        await publish_webid(http, bob, servers.b, servers.a)
        # Cached for five minutes, yet the failed check looks again and sees the new issuer.
        await profiles.check_issuer(other, servers.a)
        # Refetches on failure are rate-limited: within `recheck_after`, the cached copy answers.
        with pytest.raises(WebIdError, match="does not list"):
            await cautious.check_issuer(other, servers.a)
    finally:
        await outbound.close()


async def test_a_forged_origin_is_not_trusted_with_bobs_access(
    http: aiohttp.ClientSession, alice: Person, bob: Person
) -> None:
    document = await shared_with(http, alice, bob)
    # WAC §Origin: an app Bob never approved (a forged or hostile Origin) does not get his access.
    status, _, _ = await as_person(http, bob, "GET", document, headers={"Origin": "https://evil.example"})
    assert status == 403
    # Alice's own server's origin is trusted.
    status, _, _ = await as_person(http, bob, "GET", document, headers={"Origin": alice.server.rstrip("/")})
    assert status == 200
