"""acl:agentGroup documents on another server: fetched, cached, and never a stuck or looping request."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from aiohttp import web

from pod.federation.people import Person
from tests.federation.conftest import as_person

TURTLE = {"Content-Type": "text/turtle"}
VCARD = "http://www.w3.org/2006/vcard/ns#"
PUBLIC_READ = """@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#public> a acl:Authorization; acl:agentClass <http://xmlns.com/foaf/0.1/Agent>;
    acl:accessTo <{doc}>; acl:mode acl:Read.
<#owner> a acl:Authorization; acl:agent <{owner}>; acl:accessTo <{doc}>;
    acl:mode acl:Read, acl:Write, acl:Control.
"""


async def put(http: aiohttp.ClientSession, person: Person, url: str, text: str) -> None:
    status, _, body = await as_person(http, person, "PUT", url, body=text.encode(), headers=TURTLE)
    assert status in (201, 204), body


async def group_on_b(http: aiohttp.ClientSession, bob: Person, members: str) -> str:
    """A public vcard:Group document in Bob's pod on B; returns the group's IRI."""
    document = bob.pod + "public/friends.ttl"
    await put(http, bob, document, f"<#friends> a <{VCARD}Group>; <{VCARD}hasMember> {members}.")
    await put(http, bob, document + ".acl", PUBLIC_READ.format(doc=document, owner=bob.webid))
    return document + "#friends"


async def shared_with_group(http: aiohttp.ClientSession, alice: Person, group: str) -> str:
    """A document in Alice's pod on A whose ACL lets the members of `group` read it."""
    document = alice.pod + "private/group.ttl"
    await put(http, alice, document, '<#it> <http://purl.org/dc/terms/title> "for the group".')
    acl = f"""@prefix acl: <http://www.w3.org/ns/auth/acl#>.
<#owner> a acl:Authorization; acl:agent <{alice.webid}>; acl:accessTo <{document}>;
    acl:mode acl:Read, acl:Write, acl:Control.
<#group> a acl:Authorization; acl:agentGroup <{group}>; acl:accessTo <{document}>; acl:mode acl:Read."""
    await put(http, alice, document + ".acl", acl)
    return document


async def test_a_member_of_a_group_on_another_server_may_read(
    http: aiohttp.ClientSession, alice: Person, bob: Person
) -> None:
    group = await group_on_b(http, bob, f"<{bob.webid}>")
    document = await shared_with_group(http, alice, group)
    assert (await as_person(http, bob, "GET", document))[0] == 200
    assert (await as_person(http, bob, "GET", document))[0] == 200  # from the cache this time
    assert (await as_person(http, None, "GET", document))[0] == 401


async def test_a_group_that_names_itself_as_member_is_no_loop(
    http: aiohttp.ClientSession, alice: Person, bob: Person
) -> None:
    group = await group_on_b(http, bob, "<#friends>")
    document = await shared_with_group(http, alice, group)
    # WAC: membership is one level of vcard:hasMember; a group in itself admits nobody more.
    assert (await as_person(http, bob, "GET", document))[0] == 403


async def rogue_server(aiohttp_server: Any, handler: Any) -> str:
    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    server = await aiohttp_server(app)
    return str(server.make_url("/"))


async def test_a_group_document_that_redirects_in_a_loop_denies_quickly(
    http: aiohttp.ClientSession, aiohttp_server: Any, alice: Person, bob: Person
) -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound(str(request.url))  # to itself, for ever

    group = await rogue_server(aiohttp_server, loop) + "group.ttl#g"
    document = await shared_with_group(http, alice, group)
    started = time.monotonic()
    assert (await as_person(http, bob, "GET", document))[0] == 403
    assert time.monotonic() - started < 5


async def test_a_hanging_group_server_times_out_and_never_holds_the_request(
    http: aiohttp.ClientSession, aiohttp_server: Any, alice: Person, bob: Person
) -> None:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    group = await rogue_server(aiohttp_server, hang) + "group.ttl#g"
    document = await shared_with_group(http, alice, group)
    started = time.monotonic()
    # The outbound client's timeout (5 s) bounds the wait; the rule that names the group is denied.
    assert (await as_person(http, bob, "GET", document))[0] == 403
    assert time.monotonic() - started < 10
    # The failure is remembered: the next request does not wait again.
    started = time.monotonic()
    assert (await as_person(http, bob, "GET", document))[0] == 403
    assert time.monotonic() - started < 2
