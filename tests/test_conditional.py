"""Conditional requests (RFC 9110 §13): validators on reads (304) and on writes (412), and their
order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp.test_utils import TestClient
from rdf_helpers import (
    TURTLE,
    absolute,
    assert_isomorphic,
    graph_of,
    http_date,
    put_bytes,
    put_turtle,
    turtle_graph,
)

Client = TestClient[Any, Any]

DOC = """@prefix ex: <http://example.org/ns#>.
<#me> ex:name "Alice".
"""
OTHER = """@prefix ex: <http://example.org/ns#>.
<#me> ex:name "Bob".
"""
TURTLE_HEADERS = {"Content-Type": TURTLE}


def http_date_str(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


async def etag_of(client: Client, path: str) -> str:
    resp = await client.get(path, headers={"Accept": TURTLE})
    assert resp.status == 200
    return resp.headers["ETag"]


async def last_modified_of(client: Client, path: str) -> datetime:
    return http_date(await client.get(path, headers={"Accept": TURTLE}))


async def assert_still(client: Client, path: str, body: str) -> None:
    resp = await client.get(path, headers={"Accept": TURTLE})
    assert resp.status == 200
    assert_isomorphic(await graph_of(resp), turtle_graph(body, absolute(client, path)))


# --- If-None-Match on reads ---------------------------------------------------------------------


async def test_if_none_match_with_current_etag_is_304_on_get(client: Client) -> None:
    """RFC 9110 §13.1.2 If-None-Match: a GET whose ETag matches is 304 Not Modified."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.get("/doc.ttl", headers={"Accept": TURTLE, "If-None-Match": etag})
    assert resp.status == 304
    assert await resp.read() == b""


async def test_not_modified_response_carries_the_etag(client: Client) -> None:
    """RFC 9110 §15.4.5 304: the response includes the ETag a 200 would have had."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.get("/doc.ttl", headers={"Accept": TURTLE, "If-None-Match": etag})
    assert resp.status == 304
    assert resp.headers.get("ETag") == etag


async def test_if_none_match_with_current_etag_is_304_on_head(client: Client) -> None:
    """RFC 9110 §13.1.2 If-None-Match: HEAD is treated like GET."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.head("/doc.ttl", headers={"Accept": TURTLE, "If-None-Match": etag})
    assert resp.status == 304


async def test_if_none_match_with_other_etag_is_200(client: Client) -> None:
    """RFC 9110 §13.1.2 If-None-Match: no match means the condition is true."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"If-None-Match": '"not-the-etag"'})
    assert resp.status == 200


async def test_if_none_match_list_containing_current_etag_is_304(client: Client) -> None:
    """RFC 9110 §13.1.2 If-None-Match: any member of the list matching is enough."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.get("/doc.ttl", headers={"Accept": TURTLE, "If-None-Match": f'"other", {etag}'})
    assert resp.status == 304


async def test_if_none_match_uses_weak_comparison(client: Client) -> None:
    """RFC 9110 §13.1.2 If-None-Match: weak comparison, so W/"x" matches "x"."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.get("/doc.ttl", headers={"Accept": TURTLE, "If-None-Match": "W/" + etag})
    assert resp.status == 304


async def test_if_none_match_star_on_existing_is_304_on_get(client: Client) -> None:
    """RFC 9110 §13.1.2 If-None-Match: * matches any current representation."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"If-None-Match": "*"})
    assert resp.status == 304


async def test_etag_of_another_representation_does_not_match(client: Client) -> None:
    """DESIGN.md "ETags identify a representation": conditionals are evaluated after content
    negotiation.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.get("/doc.ttl", headers={"Accept": "application/ld+json", "If-None-Match": etag})
    assert resp.status == 200


# --- If-Modified-Since ------------------------------------------------------------------------


async def test_if_modified_since_equal_to_last_modified_is_304(client: Client) -> None:
    """RFC 9110 §13.1.3 If-Modified-Since: not modified since the date a client last saw is 304."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"Accept": TURTLE})
    since = resp.headers["Last-Modified"]
    again = await client.get("/doc.ttl", headers={"Accept": TURTLE, "If-Modified-Since": since})
    assert again.status == 304


async def test_if_modified_since_later_than_last_modified_is_304(client: Client) -> None:
    """RFC 9110 §13.1.3 If-Modified-Since: last modified before the given date is 304."""
    await put_turtle(client, "/doc.ttl", DOC)
    since = await last_modified_of(client, "/doc.ttl") + timedelta(seconds=1)
    resp = await client.get("/doc.ttl", headers={"Accept": TURTLE, "If-Modified-Since": http_date_str(since)})
    assert resp.status == 304


async def test_if_modified_since_earlier_than_last_modified_is_200(client: Client) -> None:
    """RFC 9110 §13.1.3 If-Modified-Since: modified after the given date sends the representation."""
    await put_turtle(client, "/doc.ttl", DOC)
    since = await last_modified_of(client, "/doc.ttl") - timedelta(hours=1)
    resp = await client.get("/doc.ttl", headers={"If-Modified-Since": http_date_str(since)})
    assert resp.status == 200


async def test_invalid_if_modified_since_is_ignored(client: Client) -> None:
    """RFC 9110 §13.1.3 If-Modified-Since: a value that is not an HTTP-date MUST be ignored."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.get("/doc.ttl", headers={"If-Modified-Since": "yesterday-ish"})
    assert resp.status == 200


async def test_if_none_match_takes_precedence_over_if_modified_since(client: Client) -> None:
    """RFC 9110 §13.2.2 step 3-4: with If-None-Match present, If-Modified-Since is not evaluated."""
    await put_turtle(client, "/doc.ttl", DOC)
    since = await last_modified_of(client, "/doc.ttl") + timedelta(seconds=1)
    resp = await client.get(
        "/doc.ttl",
        headers={"If-None-Match": '"not-the-etag"', "If-Modified-Since": http_date_str(since)},
    )
    assert resp.status == 200


async def test_matching_if_none_match_wins_over_old_if_modified_since(client: Client) -> None:
    """RFC 9110 §13.2.2 step 3: a matching If-None-Match gives 304 whatever If-Modified-Since says."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    since = await last_modified_of(client, "/doc.ttl") - timedelta(hours=1)
    resp = await client.get(
        "/doc.ttl",
        headers={
            "Accept": TURTLE,
            "If-None-Match": etag,
            "If-Modified-Since": http_date_str(since),
        },
    )
    assert resp.status == 304


# --- Preconditions on writes ------------------------------------------------------------------


async def test_put_with_matching_if_match_succeeds(client: Client) -> None:
    """RFC 9110 §13.1.1 If-Match: the current ETag lets the write through."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.put("/doc.ttl", data=OTHER.encode(), headers={**TURTLE_HEADERS, "If-Match": etag})
    assert resp.status in (200, 204)
    await assert_still(client, "/doc.ttl", OTHER)


async def test_put_with_stale_if_match_is_412(client: Client) -> None:
    """RFC 9110 §13.1.1 If-Match: a lost update is refused with 412 Precondition Failed."""
    await put_turtle(client, "/doc.ttl", DOC)
    stale = await etag_of(client, "/doc.ttl")
    await put_turtle(client, "/doc.ttl", DOC + "<#me> <http://example.org/ns#age> 1.\n")
    resp = await client.put("/doc.ttl", data=OTHER.encode(), headers={**TURTLE_HEADERS, "If-Match": stale})
    assert resp.status == 412
    assert (await client.get("/doc.ttl")).headers["ETag"] != stale


async def test_put_with_unknown_if_match_is_412_and_leaves_resource(client: Client) -> None:
    """RFC 9110 §13.1.1 If-Match: no match, no change."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.put("/doc.ttl", data=OTHER.encode(), headers={**TURTLE_HEADERS, "If-Match": '"nope"'})
    assert resp.status == 412
    await assert_still(client, "/doc.ttl", DOC)


async def test_if_match_uses_strong_comparison(client: Client) -> None:
    """RFC 9110 §13.1.1 If-Match: strong comparison, so a weak tag never matches."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.put(
        "/doc.ttl", data=OTHER.encode(), headers={**TURTLE_HEADERS, "If-Match": "W/" + etag}
    )
    assert resp.status == 412
    await assert_still(client, "/doc.ttl", DOC)


async def test_if_match_on_put_is_evaluated_against_the_negotiated_representation(
    client: Client,
) -> None:
    """DESIGN.md "ETags identify a representation": a client that read JSON-LD may write with
    If-Match and the JSON-LD ETag when it asks for JSON-LD (RFC 9110 §13.1.1: the selected
    representation).
    """
    await put_turtle(client, "/doc.ttl", DOC)
    got = await client.get("/doc.ttl", headers={"Accept": "application/ld+json"})
    etag = got.headers["ETag"]
    resp = await client.put(
        "/doc.ttl",
        data=OTHER.encode(),
        headers={**TURTLE_HEADERS, "Accept": "application/ld+json", "If-Match": etag},
    )
    assert resp.status in (200, 204)
    await assert_still(client, "/doc.ttl", OTHER)


async def test_delete_with_unknown_if_match_is_412(client: Client) -> None:
    """RFC 9110 §13.1.1 If-Match: DELETE is refused when the tag does not match."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.delete("/doc.ttl", headers={"If-Match": '"nope"'})
    assert resp.status == 412
    assert (await client.get("/doc.ttl")).status == 200


async def test_delete_with_matching_if_match_succeeds(client: Client) -> None:
    """RFC 9110 §13.1.1 If-Match: the current ETag lets DELETE through."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.delete("/doc.ttl", headers={"If-Match": etag})
    assert resp.status in (200, 204)
    assert (await client.get("/doc.ttl")).status == 404


async def test_put_if_none_match_star_on_existing_is_412(client: Client) -> None:
    """Solid Protocol §5.3 Conditional Update note, RFC 9110 §13.1.2: If-None-Match * stops
    overwriting.
    """
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.put("/doc.ttl", data=OTHER.encode(), headers={**TURTLE_HEADERS, "If-None-Match": "*"})
    assert resp.status == 412
    await assert_still(client, "/doc.ttl", DOC)


async def test_put_if_none_match_star_on_new_resource_creates_it(client: Client) -> None:
    """Solid Protocol §5.3 Conditional Update note: If-None-Match * lets a creation through."""
    resp = await client.put("/doc.ttl", data=DOC.encode(), headers={**TURTLE_HEADERS, "If-None-Match": "*"})
    assert resp.status == 201
    await assert_still(client, "/doc.ttl", DOC)


async def test_put_if_none_match_current_etag_is_412(client: Client) -> None:
    """RFC 9110 §13.1.2 If-None-Match: a match on a method other than GET/HEAD is 412, not 304."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    resp = await client.put(
        "/doc.ttl", data=OTHER.encode(), headers={**TURTLE_HEADERS, "If-None-Match": etag}
    )
    assert resp.status == 412
    await assert_still(client, "/doc.ttl", DOC)


async def test_put_if_match_star_on_missing_resource_is_412(client: Client) -> None:
    """RFC 9110 §13.1.1 If-Match: * is false when there is no current representation."""
    resp = await client.put("/doc.ttl", data=DOC.encode(), headers={**TURTLE_HEADERS, "If-Match": "*"})
    assert resp.status == 412
    assert (await client.get("/doc.ttl")).status == 404


async def test_put_if_match_star_on_existing_resource_succeeds(client: Client) -> None:
    """RFC 9110 §13.1.1 If-Match: * is true when there is a current representation."""
    await put_turtle(client, "/doc.ttl", DOC)
    resp = await client.put("/doc.ttl", data=OTHER.encode(), headers={**TURTLE_HEADERS, "If-Match": "*"})
    assert resp.status in (200, 204)
    await assert_still(client, "/doc.ttl", OTHER)


async def test_put_if_unmodified_since_earlier_is_412(client: Client) -> None:
    """RFC 9110 §13.1.4 If-Unmodified-Since: modified after the date means 412."""
    await put_turtle(client, "/doc.ttl", DOC)
    since = await last_modified_of(client, "/doc.ttl") - timedelta(hours=1)
    resp = await client.put(
        "/doc.ttl",
        data=OTHER.encode(),
        headers={**TURTLE_HEADERS, "If-Unmodified-Since": http_date_str(since)},
    )
    assert resp.status == 412
    await assert_still(client, "/doc.ttl", DOC)


async def test_delete_if_unmodified_since_earlier_is_412(client: Client) -> None:
    """RFC 9110 §13.1.4 If-Unmodified-Since: applies to DELETE as to any method."""
    await put_turtle(client, "/doc.ttl", DOC)
    since = await last_modified_of(client, "/doc.ttl") - timedelta(hours=1)
    resp = await client.delete("/doc.ttl", headers={"If-Unmodified-Since": http_date_str(since)})
    assert resp.status == 412
    assert (await client.get("/doc.ttl")).status == 200


async def test_put_if_unmodified_since_later_succeeds(client: Client) -> None:
    """RFC 9110 §13.1.4 If-Unmodified-Since: not modified since the date lets the write through."""
    await put_turtle(client, "/doc.ttl", DOC)
    since = await last_modified_of(client, "/doc.ttl") + timedelta(seconds=1)
    resp = await client.put(
        "/doc.ttl",
        data=OTHER.encode(),
        headers={**TURTLE_HEADERS, "If-Unmodified-Since": http_date_str(since)},
    )
    assert resp.status in (200, 204)


async def test_if_match_takes_precedence_over_if_unmodified_since(client: Client) -> None:
    """RFC 9110 §13.2.2 steps 1-2: with If-Match present, If-Unmodified-Since is not evaluated."""
    await put_turtle(client, "/doc.ttl", DOC)
    etag = await etag_of(client, "/doc.ttl")
    since = await last_modified_of(client, "/doc.ttl") - timedelta(hours=1)
    resp = await client.put(
        "/doc.ttl",
        data=OTHER.encode(),
        headers={**TURTLE_HEADERS, "If-Match": etag, "If-Unmodified-Since": http_date_str(since)},
    )
    assert resp.status in (200, 204)


async def test_if_modified_since_is_ignored_on_put(client: Client) -> None:
    """RFC 9110 §13.1.3: If-Modified-Since is ignored for methods other than GET and HEAD."""
    await put_turtle(client, "/doc.ttl", DOC)
    since = await last_modified_of(client, "/doc.ttl") + timedelta(seconds=1)
    resp = await client.put(
        "/doc.ttl",
        data=OTHER.encode(),
        headers={**TURTLE_HEADERS, "If-Modified-Since": http_date_str(since)},
    )
    assert resp.status in (200, 204)
    await assert_still(client, "/doc.ttl", OTHER)


# --- If-Range ---------------------------------------------------------------------------------

BYTES = b"0123456789"


async def test_if_range_with_current_etag_sends_the_range(client: Client) -> None:
    """RFC 9110 §13.1.5 If-Range: a matching validator lets the Range apply (206)."""
    await put_bytes(client, "/f.bin", BYTES, "application/octet-stream")
    etag = (await client.get("/f.bin")).headers["ETag"]
    resp = await client.get("/f.bin", headers={"Range": "bytes=2-5", "If-Range": etag})
    assert resp.status == 206
    assert await resp.read() == BYTES[2:6]


async def test_if_range_with_stale_etag_sends_the_whole_resource(client: Client) -> None:
    """RFC 9110 §13.1.5 If-Range: a validator that does not match means the Range is ignored (200)."""
    await put_bytes(client, "/f.bin", BYTES, "application/octet-stream")
    resp = await client.get("/f.bin", headers={"Range": "bytes=2-5", "If-Range": '"stale"'})
    assert resp.status == 200
    assert await resp.read() == BYTES


async def test_if_range_with_old_date_sends_the_whole_resource(client: Client) -> None:
    """RFC 9110 §13.1.5 If-Range: a date other than Last-Modified means the Range is ignored (200)."""
    await put_bytes(client, "/f.bin", BYTES, "application/octet-stream")
    since = await last_modified_of(client, "/f.bin") - timedelta(hours=1)
    resp = await client.get("/f.bin", headers={"Range": "bytes=2-5", "If-Range": http_date_str(since)})
    assert resp.status == 200
    assert await resp.read() == BYTES
