"""Hostile and odd input: a clear 4xx, never a 5xx, never a write outside the data folder
(DESIGN.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from rdf_helpers import (
    TURTLE,
    absolute,
    contained,
    make_container,
    put_bytes,
    put_turtle,
    raw_request,
)

Client = TestClient[Any, Any]

ESCAPED = "escaped.txt"

# Raw paths, sent byte for byte, that the server rejects with 400 (DESIGN.md: input is hostile).
UNSAFE_PATHS = {
    "dot-dot": f"/../{ESCAPED}",
    "dot-dot-deeper": f"/a/../../{ESCAPED}",
    "dot-dot-inside": f"/a/../{ESCAPED}",
    "trailing-dot-dot": "/a/..",
    "trailing-encoded-dot-dot": "/a/%2e%2e",
    "dot": f"/./{ESCAPED}",
    "encoded-dot": f"/%2e/{ESCAPED}",
    "encoded-dot-dot-lower": f"/%2e%2e/{ESCAPED}",
    "encoded-dot-dot-upper": f"/%2E%2E/{ESCAPED}",
    "encoded-dot-dot-deeper": f"/a/%2e%2e/%2e%2e/{ESCAPED}",
    "half-encoded-dot-dot": f"/.%2e/{ESCAPED}",
    "encoded-dot-dot-slash": f"/%2e%2e%2f{ESCAPED}",
    "encoded-slash-lower": "/a%2fb.txt",
    "encoded-slash-upper": "/a%2Fb.txt",
    "encoded-slash-dot-dot": f"/a%2F..%2F..%2F{ESCAPED}",
    "nul": "/nul%00.txt",
    "empty-segment": "/a//b.txt",
    "bad-percent-letters": "/bad%zz.txt",
    "bad-percent-truncated": "/bad%",
    "bad-percent-one-digit": "/bad%4.txt",
    "invalid-utf8": "/bad%C3%28.txt",
}
LONG_SEGMENT = "/" + "a" * 300 + ".txt"


def files_outside_data(tmp_path: Path) -> set[Path]:
    data = tmp_path / "data"
    return {p for p in tmp_path.rglob("*") if p != data and data not in p.parents}


def all_files(tmp_path: Path) -> set[Path]:
    """Everything on disk under the test's folder (empty for the memory store but for the folder)."""
    return set(tmp_path.rglob("*"))


def location(resp: Any) -> str:
    value = resp.headers.get("Location")
    assert value, "no Location header"
    return str(urljoin(str(resp.url), value))


# --- Unsafe paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("raw_path", UNSAFE_PATHS.values(), ids=UNSAFE_PATHS.keys())
async def test_put_to_unsafe_path_is_400(client: Client, raw_path: str) -> None:
    """DESIGN.md "Every input is hostile": paths with ../%2e%2e/%2f/NUL/empty or bad encoding are a
    400.
    """
    async with raw_request(
        client, "PUT", raw_path, data=b"pwned", headers={"Content-Type": "text/plain"}
    ) as resp:
        assert resp.status == 400, await resp.text()


@pytest.mark.parametrize("raw_path", UNSAFE_PATHS.values(), ids=UNSAFE_PATHS.keys())
async def test_put_to_unsafe_path_writes_nothing(client: Client, tmp_path: Path, raw_path: str) -> None:
    """DESIGN.md "Every input is hostile": a refused path writes nothing, inside or outside the data
    folder.
    """
    listed = await contained(client, "/")
    before = all_files(tmp_path)
    async with raw_request(
        client, "PUT", raw_path, data=b"pwned", headers={"Content-Type": "text/plain"}
    ) as resp:
        assert resp.status < 500
    assert all_files(tmp_path) == before
    assert await contained(client, "/") == listed
    assert (await client.get(f"/{ESCAPED}")).status == 404


@pytest.mark.parametrize("raw_path", UNSAFE_PATHS.values(), ids=UNSAFE_PATHS.keys())
async def test_get_of_unsafe_path_is_400(client: Client, raw_path: str) -> None:
    """DESIGN.md "Every input is hostile": reads are checked like writes."""
    async with raw_request(client, "GET", raw_path) as resp:
        assert resp.status == 400


@pytest.mark.parametrize("raw_path", UNSAFE_PATHS.values(), ids=UNSAFE_PATHS.keys())
async def test_delete_of_unsafe_path_is_400(client: Client, raw_path: str) -> None:
    """DESIGN.md "Every input is hostile": a DELETE cannot reach outside its path either."""
    await put_bytes(client, f"/{ESCAPED}", b"keep me", "text/plain")
    await put_bytes(client, "/a/b.txt", b"keep me too", "text/plain")
    async with raw_request(client, "DELETE", raw_path) as resp:
        assert resp.status == 400
    assert (await client.get(f"/{ESCAPED}")).status == 200
    assert (await client.get("/a/b.txt")).status == 200


@pytest.mark.parametrize("raw_path", ["/../", "/%2e%2e/", "/a%2f/", "/a//", "/%2E%2E%2F"])
async def test_post_to_unsafe_container_path_is_400(client: Client, tmp_path: Path, raw_path: str) -> None:
    """DESIGN.md "Every input is hostile": POST targets are checked like PUT targets."""
    before = files_outside_data(tmp_path)
    async with raw_request(
        client, "POST", raw_path, data=b"pwned", headers={"Content-Type": "text/plain"}
    ) as resp:
        assert resp.status == 400
    assert files_outside_data(tmp_path) == before


@pytest.mark.parametrize("raw_path", ["/new%0Aline.txt", "/cr%0D.txt", "/tab%09.txt", "/bell%07.txt"])
async def test_control_characters_in_names_round_trip_or_are_400(client: Client, raw_path: str) -> None:
    """Solid Protocol §3.1 URI Slash Semantics: a validly encoded name is created and read back,
    or refused as bad input; a PUT is never a 404 (nothing is missing) nor a 5xx.
    """
    async with raw_request(
        client, "PUT", raw_path, data=b"odd", headers={"Content-Type": "text/plain"}
    ) as resp:
        assert resp.status in (201, 400), resp.status
        created = resp.status == 201
    if created:
        async with raw_request(client, "GET", raw_path) as resp:
            assert resp.status == 200
            assert await resp.read() == b"odd"


async def test_unsafe_path_cannot_reach_a_file_beside_the_data_folder(client: Client, tmp_path: Path) -> None:
    """DESIGN.md "Every input is hostile": paths never escape the data folder, even to read."""
    (tmp_path / "secret.txt").write_text("top secret")
    for raw_path in ("/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt"):
        async with raw_request(client, "GET", raw_path) as resp:
            assert resp.status == 400
            assert "top secret" not in await resp.text()


async def test_overlong_segment_is_rejected(client: Client, tmp_path: Path) -> None:
    """DESIGN.md "Every input is hostile": a name over 255 bytes is a 414 or 400, not a file-system
    error.
    """
    before = files_outside_data(tmp_path)
    listed = await contained(client, "/")
    resp = await client.put(LONG_SEGMENT, data=b"x", headers={"Content-Type": "text/plain"})
    assert resp.status in (400, 414)
    assert files_outside_data(tmp_path) == before
    assert await contained(client, "/") == listed


async def test_overlong_segment_is_rejected_on_get(client: Client) -> None:
    """DESIGN.md "Every input is hostile": reading an over-long name is a 414 or 400 too."""
    resp = await client.get(LONG_SEGMENT)
    assert resp.status in (400, 414)


async def test_long_multibyte_name_is_created_or_refused_cleanly(client: Client) -> None:
    """DESIGN.md Storage on disk: 100 'é' are 200 bytes but 600 percent-encoded; either works or is
    a 4xx.
    """
    name = "/" + "%C3%A9" * 100
    async with raw_request(client, "PUT", name, data=b"x", headers={"Content-Type": "text/plain"}) as resp:
        assert resp.status in (201, 400, 414), resp.status
        created = resp.status == 201
    if created:
        async with raw_request(client, "GET", name) as resp:
            assert resp.status == 200
            assert await resp.read() == b"x"


async def test_overlong_multibyte_segment_is_rejected(client: Client) -> None:
    """DESIGN.md "Every input is hostile": 150 'é' are 300 bytes, over the 255-byte name limit."""
    async with raw_request(
        client, "PUT", "/" + "%C3%A9" * 150, data=b"x", headers={"Content-Type": "text/plain"}
    ) as resp:
        assert resp.status in (400, 414)


# --- Body size ------------------------------------------------------------------------------------


async def test_body_over_limit_is_413(make_client: Any) -> None:
    """DESIGN.md "Every input is hostile": bodies have a size limit (RFC 9110 §15.5.14 413)."""
    client = await make_client(max_body_size=1024)
    resp = await client.put("/big.txt", data=b"x" * 2048, headers={"Content-Type": "text/plain"})
    assert resp.status == 413
    assert (await client.get("/big.txt")).status == 404


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_body_over_limit_creates_no_intermediate_containers(make_client: Any, chunked: bool) -> None:
    """DESIGN.md "Every input is hostile": a refused write creates nothing, not even its parents."""
    client = await make_client(max_body_size=1024)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"y" * 256

    data: Any = chunks() if chunked else b"x" * 2048
    resp = await client.put("/sub/deeper/big.txt", data=data, headers={"Content-Type": "text/plain"})
    assert resp.status == 413
    assert (await client.get("/sub/")).status == 404
    assert absolute(client, "/sub/") not in await contained(client, "/")


async def test_unparseable_rdf_creates_no_intermediate_containers(client: Client) -> None:
    """DESIGN.md "Every input is hostile": a 400 for bad RDF creates no parent containers either."""
    resp = await client.put("/sub/bad.ttl", data=b"<#a> <#b> .", headers={"Content-Type": TURTLE})
    assert resp.status == 400
    assert (await client.get("/sub/")).status == 404


async def test_body_over_limit_leaves_no_partial_file(make_client: Any, tmp_path: Path) -> None:
    """DESIGN.md "Writes are atomic": a refused upload leaves no temporary or partial file."""
    client = await make_client(max_body_size=1024)
    await contained(client, "/")
    before = all_files(tmp_path)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"y" * 256

    for data in (b"x" * 2048, chunks()):
        resp = await client.put("/sub/big.txt", data=data, headers={"Content-Type": "text/plain"})
        assert resp.status == 413
    assert all_files(tmp_path) == before


async def test_body_at_limit_is_accepted(make_client: Any) -> None:
    """DESIGN.md "Every input is hostile": the limit is inclusive; 1024 bytes fit in 1024."""
    client = await make_client(max_body_size=1024)
    resp = await client.put("/full.txt", data=b"x" * 1024, headers={"Content-Type": "text/plain"})
    assert resp.status == 201
    assert len(await (await client.get("/full.txt")).read()) == 1024


async def test_body_over_limit_leaves_existing_resource(make_client: Any) -> None:
    """DESIGN.md "Every input is hostile": a refused body changes nothing."""
    client = await make_client(max_body_size=1024)
    await put_bytes(client, "/file.txt", b"original", "text/plain")
    resp = await client.put("/file.txt", data=b"x" * 2048, headers={"Content-Type": "text/plain"})
    assert resp.status == 413
    assert await (await client.get("/file.txt")).read() == b"original"


async def test_chunked_body_over_limit_is_413(make_client: Any) -> None:
    """DESIGN.md "Every input is hostile": the limit holds without a Content-Length (chunked body)."""
    client = await make_client(max_body_size=1024)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"y" * 256

    resp = await client.put("/chunked.txt", data=chunks(), headers={"Content-Type": "text/plain"})
    assert resp.status == 413
    assert (await client.get("/chunked.txt")).status == 404


async def test_chunked_body_over_limit_leaves_existing_resource(make_client: Any) -> None:
    """DESIGN.md "Every input is hostile": a refused chunked body changes nothing."""
    client = await make_client(max_body_size=1024)
    await put_bytes(client, "/file.txt", b"original", "text/plain")

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"y" * 256

    resp = await client.put("/file.txt", data=chunks(), headers={"Content-Type": "text/plain"})
    assert resp.status == 413
    assert await (await client.get("/file.txt")).read() == b"original"


async def test_chunked_body_under_limit_is_accepted(make_client: Any) -> None:
    """RFC 9112 §7.1 Chunked Transfer Coding: a body without Content-Length is read in full."""
    client = await make_client(max_body_size=1024)

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"one ", b"two ", b"three"):
            yield part

    resp = await client.put("/chunked.txt", data=chunks(), headers={"Content-Type": "text/plain"})
    assert resp.status == 201
    assert await (await client.get("/chunked.txt")).read() == b"one two three"


async def test_post_body_over_limit_is_413_and_creates_nothing(make_client: Any) -> None:
    """DESIGN.md "Every input is hostile": POST has the same limit and leaves the container as it
    was.
    """
    client = await make_client(max_body_size=1024)
    await make_container(client, "/c/")
    resp = await client.post("/c/", data=b"z" * 4096, headers={"Content-Type": "text/plain"})
    assert resp.status == 413
    assert await contained(client, "/c/") == set()


async def test_rdf_body_over_limit_is_413(make_client: Any) -> None:
    """DESIGN.md "Every input is hostile": the limit applies before any parsing."""
    client = await make_client(max_body_size=1024)
    body = "".join(f"<#s{i}> <#p> <#o{i}>.\n" for i in range(200)).encode()
    resp = await client.put("/big.ttl", data=body, headers={"Content-Type": TURTLE})
    assert resp.status == 413
    assert (await client.get("/big.ttl")).status == 404


# --- Slug abuse -----------------------------------------------------------------------------------

HOSTILE_SLUGS = {
    "dot-dot-up": "../../x",
    "nested": "a/b",
    "dot": ".",
    "dot-dot": "..",
    "very-long": "s" * 1000,
    "encoded-slash": "a%2fb",
    "encoded-dot-dot": "%2e%2e%2f%2e%2e%2fx",
    "absolute": "/etc/passwd",
    "backslash": "..\\..\\x",
    "empty": "",
    "spaces": "   ",
}


@pytest.mark.parametrize("slug", HOSTILE_SLUGS.values(), ids=HOSTILE_SLUGS.keys())
async def test_hostile_slug_stays_inside_the_container(client: Client, tmp_path: Path, slug: str) -> None:
    """Solid Protocol §5.3 Writing Resources: POST creates /{container}/{id} only, whatever the
    Slug.
    """
    await make_container(client, "/c/")
    before = files_outside_data(tmp_path)
    listed = await contained(client, "/")
    resp = await client.post("/c/", data=b"posted", headers={"Content-Type": "text/plain", "Slug": slug})
    assert resp.status == 201 or 400 <= resp.status < 500, resp.status
    assert files_outside_data(tmp_path) == before
    assert await contained(client, "/") == listed
    if resp.status == 201:
        new = location(resp)
        container = absolute(client, "/c/")
        assert new.startswith(container)
        name = new[len(container) :]
        assert name and "/" not in name and name not in (".", "..", "%2e%2e", "%2E%2E")
        assert await contained(client, "/c/") == {new}
        got = await client.get(urlsplit(new).path)
        assert await got.read() == b"posted"


@pytest.mark.parametrize("slug", [".acl", ".meta"])
async def test_slug_cannot_create_an_auxiliary_resource(client: Client, slug: str) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: POST creates contained resources, never a
    container's .acl/.meta.
    """
    await make_container(client, "/c/")
    resp = await client.post("/c/", data=b"<#a> <#b> <#c>.", headers={"Content-Type": TURTLE, "Slug": slug})
    assert resp.status == 201 or 400 <= resp.status < 500
    assert (await client.get("/c/" + slug)).status == 404
    if resp.status == 201:
        assert location(resp) != absolute(client, "/c/" + slug)


async def test_put_container_auxiliary_name_as_container_is_refused(client: Client) -> None:
    """Solid Protocol §4.3 Auxiliary Resources: /c/.acl is an RDF document, never a container."""
    await make_container(client, "/c/")
    resp = await client.put("/c/.acl/", data=b"", headers={"Content-Type": TURTLE})
    assert 400 <= resp.status < 500


# --- Concurrency ----------------------------------------------------------------------------------


async def test_concurrent_puts_all_succeed_and_one_body_wins(client: Client) -> None:
    """DESIGN.md "Writes are atomic and serialised per resource": no torn file after racing PUTs."""
    bodies = [bytes([65 + i]) * 200_000 for i in range(20)]
    responses = await asyncio.gather(
        *(client.put("/race.txt", data=b, headers={"Content-Type": "text/plain"}) for b in bodies)
    )
    assert all(r.status in (200, 201, 204) for r in responses), [r.status for r in responses]
    final = await (await client.get("/race.txt")).read()
    assert final in bodies


async def test_concurrent_puts_report_exactly_one_creation(client: Client) -> None:
    """RFC 9110 §9.3.4 PUT, DESIGN.md serialised writes: one PUT created the resource, the rest
    replaced it.
    """
    bodies = [bytes([97 + i]) * 10_000 for i in range(20)]
    responses = await asyncio.gather(
        *(client.put("/race.txt", data=b, headers={"Content-Type": "text/plain"}) for b in bodies)
    )
    assert [r.status for r in responses].count(201) == 1


async def test_concurrent_puts_leave_no_stray_files(client: Client) -> None:
    """DESIGN.md "Writes are atomic": temporary files never show up as contained resources."""
    bodies = [bytes([65 + i]) * 50_000 for i in range(20)]
    await asyncio.gather(
        *(client.put("/r/race.txt", data=b, headers={"Content-Type": "text/plain"}) for b in bodies)
    )
    assert await contained(client, "/r/") == {absolute(client, "/r/race.txt")}


async def test_concurrent_creations_share_intermediate_containers(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: racing PUTs that create the same intermediate
    containers all land.
    """
    responses = await asyncio.gather(
        *(
            client.put(f"/deep/x/{i}.txt", data=b"%d" % i, headers={"Content-Type": "text/plain"})
            for i in range(20)
        )
    )
    assert [r.status for r in responses] == [201] * 20
    assert await contained(client, "/deep/x/") == {absolute(client, f"/deep/x/{i}.txt") for i in range(20)}
    assert await contained(client, "/deep/") == {absolute(client, "/deep/x/")}


async def test_concurrent_posts_get_distinct_locations(client: Client) -> None:
    """Solid Protocol §5.3 Writing Resources: POST never overwrites, even when racing with one Slug."""
    await make_container(client, "/c/")
    responses = await asyncio.gather(
        *(
            client.post("/c/", data=b"%d" % i, headers={"Content-Type": "text/plain", "Slug": "same"})
            for i in range(20)
        )
    )
    assert [r.status for r in responses] == [201] * 20
    locations = {location(r) for r in responses}
    assert len(locations) == 20
    assert await contained(client, "/c/") == locations


# --- Names that must round-trip ------------------------------------------------------------


async def test_unicode_and_space_name_round_trips(client: Client) -> None:
    """Solid Protocol §3.1 URI Slash Semantics, DESIGN.md Storage on disk: any URL name round-trips."""
    async with raw_request(
        client,
        "PUT",
        "/caf%C3%A9%20x.txt",
        data=b"coffee",
        headers={"Content-Type": "text/plain"},
    ) as resp:
        assert resp.status == 201
    async with raw_request(client, "GET", "/caf%C3%A9%20x.txt") as resp:
        assert resp.status == 200
        assert await resp.read() == b"coffee"


async def test_unicode_name_is_listed_percent_encoded(client: Client) -> None:
    """Solid Protocol §4.2 Resource Containment: the containment triple names the resource's URL."""
    async with raw_request(
        client,
        "PUT",
        "/caf%C3%A9%20x.txt",
        data=b"coffee",
        headers={"Content-Type": "text/plain"},
    ) as resp:
        assert resp.status == 201
    assert absolute(client, "/caf%C3%A9%20x.txt") in await contained(client, "/")


async def test_lowercase_percent_encoding_names_the_same_resource(client: Client) -> None:
    """RFC 3986 §6.2.2.1: percent-encodings are case-insensitive, so %c3%a9 is %C3%A9."""
    async with raw_request(
        client, "PUT", "/caf%C3%A9.txt", data=b"coffee", headers={"Content-Type": "text/plain"}
    ) as resp:
        assert resp.status == 201
    async with raw_request(client, "GET", "/caf%c3%a9.txt") as resp:
        assert resp.status == 200
        assert await resp.read() == b"coffee"


@pytest.mark.parametrize(
    "name", ["with+plus.txt", "semi;colon.txt", "tilde~.txt", "quote'.txt", "%25percent.txt"]
)
async def test_unusual_but_valid_names_round_trip(client: Client, name: str) -> None:
    """Solid Protocol §3.1 URI Slash Semantics, DESIGN.md Storage on disk: any URL name round-trips."""
    async with raw_request(
        client, "PUT", "/" + name, data=name.encode(), headers={"Content-Type": "text/plain"}
    ) as resp:
        assert resp.status == 201, await resp.text()
    async with raw_request(client, "GET", "/" + name) as resp:
        assert resp.status == 200
        assert await resp.read() == name.encode()


async def test_name_like_an_internal_file_is_an_ordinary_resource(client: Client) -> None:
    """DESIGN.md Storage on disk: no user name can collide with an internal file."""
    await put_bytes(client, "/doc.txt", b"subject", "text/plain")
    for name in ("/doc.txt$.txt", "/doc.txt.meta$", "/.internal", "/%24pod"):
        await put_bytes(client, name, b"other", "text/plain")
    # An auxiliary name is an RDF document (Solid Protocol §4.3).
    await put_turtle(client, "/doc.txt$.meta", "<#a> <#b> <#c> .")
    got = await client.get("/doc.txt")
    assert await got.read() == b"subject"
    assert got.headers["Content-Type"].startswith("text/plain")


# --- Malformed headers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Range": "bytes=abc"},
        {"Range": "bytes=5-2"},
        {"Range": "lines=1-2"},
        {"Accept": ";;;,,,q=zz"},
        {"Accept": "text/turtle;q=2"},
        {"If-Match": "not-quoted"},
        {"If-None-Match": '"unterminated'},
        {"If-Modified-Since": "not a date"},
        {"If-Unmodified-Since": "Tue, 99 Foo 2024 99:99:99 GMT"},
    ],
    ids=lambda h: next(iter(h)),
)
async def test_malformed_read_headers_are_never_a_server_error(
    client: Client, headers: dict[str, str]
) -> None:
    """RFC 9110 §5.5: malformed field values are ignored or refused with 4xx, never a 5xx."""
    await put_bytes(client, "/file.txt", b"0123456789", "text/plain")
    resp = await client.get("/file.txt", headers=headers)
    assert resp.status < 500


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "not a media type"},
        {"Content-Type": "text/turtle; charset=no-such-charset"},
        {"Content-Type": "text/turtle", "Link": "garbage"},
        {"Content-Type": "text/turtle", "Link": "<http://www.w3.org/ns/ldp#BasicContainer"},
        {"Content-Type": "text/turtle", "Slug": "\t"},
    ],
    ids=["content-type", "charset", "link", "link-unclosed", "slug-tab"],
)
async def test_malformed_write_headers_are_never_a_server_error(
    client: Client, headers: dict[str, str]
) -> None:
    """RFC 9110 §5.5: malformed field values are ignored or refused with 4xx, never a 5xx."""
    await make_container(client, "/c/")
    resp = await client.post("/c/", data=b"<#a> <#b> <#c>.", headers=headers)
    assert resp.status < 500


async def test_non_utf8_turtle_is_400(client: Client) -> None:
    """DESIGN.md "Every input is hostile": RDF that does not decode is RDF that does not parse."""
    resp = await client.put("/latin1.ttl", data=b'<#a> <#b> "caf\xe9".', headers={"Content-Type": TURTLE})
    assert resp.status == 400


async def test_path_longer_than_the_limit_is_414_not_a_server_error(client: Client) -> None:
    """DESIGN.md "Every input is hostile": a deep path of long names is refused before the disk sees it."""
    path = "/" + "/".join(["n" * 190] * 20) + "/doc.txt"
    resp = await client.put(path, data=b"x", headers={"Content-Type": "text/plain"})
    assert resp.status == 414
