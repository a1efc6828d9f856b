"""Linked Data Notifications on a pod's inbox: receiving, listing, privacy between senders, limits."""

from __future__ import annotations

import json

import aiohttp
import pyoxigraph as ox

from pod.federation.people import Person
from pod.ldn.receiver import DEFAULT_MAX_NOTIFICATION_BYTES, LDP_INBOX
from pod.ldn.senders import DEFAULT_LIMIT
from pod.ldn.sending import discover_inbox
from pod.rdf import formats
from tests.federation.conftest import Servers, as_person

LDP_CONTAINS = ox.NamedNode("http://www.w3.org/ns/ldp#contains")
NOTE = json.dumps(
    {
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Announce",
        "summary": "hello",
        "object": {"@id": "https://example.org/thing"},
    }
).encode()
JSON_LD = {"Content-Type": "application/ld+json"}
TURTLE = {"Content-Type": "text/turtle"}


def graph(body: bytes, media_type: str, base: str) -> list[ox.Triple]:
    return list(formats.parse(body, media_type, base))


async def test_anyone_may_post_a_notification_and_gets_201_with_location(
    http: aiohttp.ClientSession, alice: Person
) -> None:
    inbox = alice.pod + "inbox/"
    status, headers, _ = await as_person(http, None, "POST", inbox, body=NOTE, headers=JSON_LD)
    # LDN §Receiver: 201 Created, Location the notification's URL, inside the inbox.
    assert status == 201
    assert headers["Location"].startswith(inbox)


async def test_the_owner_lists_the_inbox_and_reads_each_notification_as_json_ld(
    http: aiohttp.ClientSession, alice: Person, bob: Person
) -> None:
    inbox = alice.pod + "inbox/"
    like = b"<#n> a <https://www.w3.org/ns/activitystreams#Like>."
    _, posted, _ = await as_person(http, bob, "POST", inbox, body=like, headers=TURTLE)
    location = posted["Location"]
    status, _, body = await as_person(http, alice, "GET", inbox, headers={"Accept": "text/turtle"})
    assert status == 200
    # LDN §Consumer: the inbox lists its notifications with ldp:contains.
    assert ox.Triple(ox.NamedNode(inbox), LDP_CONTAINS, ox.NamedNode(location)) in graph(
        body, "text/turtle", inbox
    )
    status, headers, body = await as_person(
        http, alice, "GET", location, headers={"Accept": "application/ld+json"}
    )
    # LDN §Consumer: a notification is available as JSON-LD.
    assert status == 200 and headers["Content-Type"].startswith("application/ld+json")
    like = ox.NamedNode("https://www.w3.org/ns/activitystreams#Like")
    assert any(t.object == like for t in graph(body, "application/ld+json", location))


async def test_senders_cannot_list_read_overwrite_or_delete_notifications(
    http: aiohttp.ClientSession, alice: Person, bob: Person
) -> None:
    inbox = alice.pod + "inbox/"
    _, posted, _ = await as_person(http, None, "POST", inbox, body=NOTE, headers=JSON_LD)
    theirs = posted["Location"]
    # Append-only (acl/inbox.acl): Bob may add, nothing more.
    assert (await as_person(http, bob, "GET", inbox))[0] == 403
    assert (await as_person(http, bob, "GET", theirs))[0] == 403
    assert (await as_person(http, bob, "PUT", theirs, body=NOTE, headers=JSON_LD))[0] == 403
    assert (await as_person(http, bob, "DELETE", theirs))[0] == 403
    assert (await as_person(http, None, "GET", theirs))[0] == 401
    # A Slug naming someone else's notification gets a new name: never an overwrite.
    name = theirs.rsplit("/", 1)[1]
    status, mine, _ = await as_person(http, bob, "POST", inbox, body=NOTE, headers={**JSON_LD, "Slug": name})
    assert status == 201 and mine["Location"] != theirs
    status, _, body = await as_person(http, alice, "GET", theirs, headers={"Accept": "application/ld+json"})
    assert status == 200 and b"hello" in body


async def test_a_notification_that_is_not_rdf_is_refused(http: aiohttp.ClientSession, alice: Person) -> None:
    inbox = alice.pod + "inbox/"
    status, _, _ = await as_person(
        http, None, "POST", inbox, body=b"hi", headers={"Content-Type": "text/plain"}
    )
    assert status == 415
    status, _, _ = await as_person(http, None, "POST", inbox, body=b"{not json", headers=JSON_LD)
    assert status == 400
    status, _, _ = await as_person(http, None, "POST", inbox, body=b"<a> <b> .", headers=TURTLE)
    assert status == 400
    status, _, _ = await as_person(http, alice, "GET", inbox, headers={"Accept": "text/turtle"})
    assert status == 200


async def test_a_notification_over_the_size_limit_is_refused(
    http: aiohttp.ClientSession, alice: Person
) -> None:
    padding = b"#" * DEFAULT_MAX_NOTIFICATION_BYTES
    big = b"<#n> a <https://www.w3.org/ns/activitystreams#Note>.\n" + padding
    status, _, _ = await as_person(http, None, "POST", alice.pod + "inbox/", body=big, headers=TURTLE)
    assert status == 413


async def test_an_inbox_flood_is_refused_per_sender_with_retry_after(
    http: aiohttp.ClientSession, alice: Person, bob: Person
) -> None:
    inbox = alice.pod + "inbox/"
    for _ in range(DEFAULT_LIMIT):
        assert (await as_person(http, None, "POST", inbox, body=NOTE, headers=JSON_LD))[0] == 201
    status, headers, _ = await as_person(http, None, "POST", inbox, body=NOTE, headers=JSON_LD)
    # RFC 6585 §4: 429 with Retry-After.
    assert status == 429 and int(headers["Retry-After"]) >= 1
    # A forged X-Forwarded-For does not make the same client another sender.
    forged = {**JSON_LD, "X-Forwarded-For": "203.0.113.9"}
    assert (await as_person(http, None, "POST", inbox, body=NOTE, headers=forged))[0] == 429
    # Another sender (Bob, by his WebID) is not held back by the flood.
    assert (await as_person(http, bob, "POST", inbox, body=NOTE, headers=JSON_LD))[0] == 201


async def test_an_inbox_holds_no_containers(http: aiohttp.ClientSession, alice: Person) -> None:
    link = {"Link": '<http://www.w3.org/ns/ldp#BasicContainer>; rel="type"', **TURTLE}
    status, _, _ = await as_person(http, None, "POST", alice.pod + "inbox/", body=b"", headers=link)
    assert status == 400


async def test_pod_resources_advertise_the_inbox_and_the_profile_names_it(
    http: aiohttp.ClientSession, alice: Person
) -> None:
    inbox = alice.pod + "inbox/"
    _, headers, _ = await as_person(http, None, "GET", alice.pod + "profile/card")
    # LDN §Discovery: discovery by a Link header on the target resource.
    assert f'<{inbox}>; rel="{LDP_INBOX}"' in headers["Link"]
    assert await discover_inbox(http, alice.webid) == inbox
    assert await discover_inbox(http, alice.pod + "profile/card") == inbox
    assert await discover_inbox(http, inbox) == inbox


async def test_a_container_described_as_an_inbox_receives_notifications(
    http: aiohttp.ClientSession, alice: Person
) -> None:
    box = alice.pod + "public/requests/"
    assert (await as_person(http, alice, "PUT", box, headers=TURTLE))[0] == 201
    typed = f"<{box}> a <{LDP_INBOX}>.".encode()
    assert (await as_person(http, alice, "PUT", box + ".meta", body=typed, headers=TURTLE))[0] in (
        201,
        205,
        204,
    )
    status, _, _ = await as_person(
        http, alice, "POST", box, body=b"plain", headers={"Content-Type": "text/plain"}
    )
    assert status == 415
    assert (await as_person(http, alice, "POST", box, body=NOTE, headers=JSON_LD))[0] == 201


async def test_a_forged_host_header_does_not_change_the_location(
    http: aiohttp.ClientSession, servers: Servers, alice: Person
) -> None:
    headers = {**JSON_LD, "Host": "evil.example"}
    status, answer, _ = await as_person(http, None, "POST", alice.pod + "inbox/", body=NOTE, headers=headers)
    assert status == 201 and answer["Location"].startswith(servers.a)
