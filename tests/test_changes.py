"""The change feed: every successful write announces itself once, after it is durable.

Issue 9 ("one internal change feed"): create, update, delete, and for containers the add and
remove of a member; refused writes announce nothing.
"""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from rdf_helpers import TURTLE

from pod.app import RESOURCES
from pod.ldp.changes import Change

Client = TestClient[Any, Any]


def record(client: Client) -> list[tuple[str, str, str | None]]:
    """Subscribe to the server's feed; the list fills with (activity, path, object path)."""
    seen: list[tuple[str, str, str | None]] = []

    def listener(change: Change) -> None:
        member = change.object.path if change.object else None
        seen.append((change.activity.value, change.identifier.path, member))

    client.server.app[RESOURCES].changes.subscribe(listener)
    return seen


async def test_put_announces_created_containers_and_document(client: Client) -> None:
    """Solid Protocol §5.3: PUT creates intermediate containers; each creation and membership is announced."""
    seen = record(client)
    resp = await client.put("/a/b/doc.ttl", data=b"<#x> <#y> 1 .", headers={"Content-Type": TURTLE})
    assert resp.status == 201
    assert seen == [
        ("Create", "/a/", None),
        ("Add", "/", "/a/"),
        ("Create", "/a/b/", None),
        ("Add", "/a/", "/a/b/"),
        ("Create", "/a/b/doc.ttl", None),
        ("Add", "/a/b/", "/a/b/doc.ttl"),
    ]


async def test_document_events_carry_the_new_etag(client: Client) -> None:
    """Issue 9: an event carries the new ETag of the document it is about."""
    events: list[Change] = []
    client.server.app[RESOURCES].changes.subscribe(events.append)
    resp = await client.put("/doc.ttl", data=b"<#x> <#y> 1 .", headers={"Content-Type": TURTLE})
    assert resp.status == 201
    etag = (await client.head("/doc.ttl")).headers["ETag"].strip('"')
    assert events[0].etag == etag


async def test_replace_and_patch_announce_updates(client: Client) -> None:
    """Replacing or patching an existing document is one Update each."""
    await client.put("/doc.ttl", data=b"<#x> <#y> 1 .", headers={"Content-Type": TURTLE})
    seen = record(client)
    await client.put("/doc.ttl", data=b"<#x> <#y> 2 .", headers={"Content-Type": TURTLE})
    await client.patch(
        "/doc.ttl",
        data=b"INSERT DATA { <#x> <#y> 3 . }",
        headers={"Content-Type": "application/sparql-update"},
    )
    assert seen == [("Update", "/doc.ttl", None), ("Update", "/doc.ttl", None)]


async def test_post_and_delete_announce_membership(client: Client) -> None:
    """A container's member added by POST and removed by DELETE: Create/Add, then Delete/Remove."""
    await client.put("/c/", headers={"Content-Type": TURTLE})
    seen = record(client)
    resp = await client.post("/c/", data=b"hi", headers={"Content-Type": "text/plain", "Slug": "n.txt"})
    assert resp.status == 201
    await client.delete("/c/n.txt")
    assert seen == [
        ("Create", "/c/n.txt", None),
        ("Add", "/c/", "/c/n.txt"),
        ("Delete", "/c/n.txt", None),
        ("Remove", "/c/", "/c/n.txt"),
    ]


async def test_refused_writes_announce_nothing(client: Client) -> None:
    """Writes refused with a 4xx (bad RDF, failed precondition, missing resource) announce nothing."""
    await client.put("/doc.ttl", data=b"<#x> <#y> 1 .", headers={"Content-Type": TURTLE})
    seen = record(client)
    await client.put("/doc.ttl", data=b"not turtle", headers={"Content-Type": TURTLE})
    await client.put("/doc.ttl", data=b"<#x> <#y> 1 .", headers={"Content-Type": TURTLE, "If-Match": '"x"'})
    await client.delete("/missing.ttl")
    assert seen == []
