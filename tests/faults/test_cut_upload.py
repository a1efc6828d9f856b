"""An upload cut off half-way (Content-Length announced, connection closed) changes nothing.

The reference server let an abandoned upload replace an existing document with its first part.
Here bodies are received in full before anything is created or replaced (pod.storage.staging).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pyoxigraph as ox

from tests.faults.raw import send_then_close
from tests.faults.report import record
from tests.faults.server import PodProcess

ANNOUNCED = 2_000_000
LDP_CONTAINS = "http://www.w3.org/ns/ldp#contains"


def head(method: str, path: str, content_type: str, length: int | None) -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (
        f"{method} /{path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n{framing}\r\n\r\n"
    ).encode()


def staged_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "$pod" / "staging").rglob("*") if p.is_file() and p.suffix != ".lock"]


async def wait_for_no_staged_files(data_dir: Path) -> None:
    """The server notices the hang-up and removes what it had staged (soon, not at once)."""
    for _ in range(100):
        if not staged_files(data_dir):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"staged files left behind: {staged_files(data_dir)}")


async def test_cut_off_uploads_leave_nothing_new_and_old_content_unchanged(
    pod_process: Callable[..., PodProcess],
) -> None:
    server = pod_process()
    old_bytes, old_turtle = os.urandom(300_000), b'<#it> <http://example.org/p> "old" .\n'
    async with aiohttp.ClientSession() as session:
        for path, body, kind in (
            ("docs/photo", old_bytes, "image/png"),
            ("docs/card.ttl", old_turtle, "text/turtle"),
        ):
            async with session.put(server.url + path, data=body, headers={"Content-Type": kind}) as response:
                assert response.status == 201

        half = os.urandom(ANNOUNCED // 2)
        turtle_half = b"".join(b'<#i%d> <http://example.org/p> "new" .\n' % i for i in range(20_000))[
            : ANNOUNCED // 2
        ]
        cuts = [
            head("PUT", "docs/photo", "image/png", ANNOUNCED),  # replaces an existing document
            head("PUT", "docs/card.ttl", "text/turtle", ANNOUNCED),  # an RDF document
            head("PUT", "docs/new.bin", "application/octet-stream", ANNOUNCED),  # a new document
            head("PUT", "fresh/deeper/new.bin", "application/octet-stream", ANNOUNCED),  # new containers
            head("POST", "docs/", "application/octet-stream", ANNOUNCED),  # POST
            head("PUT", "docs/chunked.bin", "application/octet-stream", None),  # chunked, no last chunk
        ]
        for number, request_head in enumerate(cuts):
            body = turtle_half if b"text/turtle" in request_head else half
            if b"chunked" in request_head:
                body = b"%x\r\n" % len(body) + body + b"\r\n"
            await send_then_close(server.port, request_head, body)
            await wait_for_no_staged_files(server.data_dir)
            assert server.alive, f"cut {number} killed the server"

        async with session.get(server.url + "docs/photo") as response:
            assert await response.read() == old_bytes, "a cut-off upload replaced a document"
        async with session.get(server.url + "docs/card.ttl") as response:
            assert await response.read() == old_turtle, "a cut-off upload replaced an RDF document"
        for path in ("docs/new.bin", "docs/chunked.bin", "fresh/", "fresh/deeper/new.bin"):
            async with session.get(server.url + path) as response:
                assert response.status == 404, f"{path} appeared"
        async with session.get(server.url + "docs/", headers={"Accept": "text/turtle"}) as response:
            listing = ox.parse(await response.read(), ox.RdfFormat.TURTLE, base_iri=server.url + "docs/")
        contained = {t.object.value for t in listing if t.predicate.value == LDP_CONTAINS}
        assert contained == {server.url + "docs/photo", server.url + "docs/card.ttl"}
    on_disk = sorted(p.name for p in (server.data_dir / "docs").iterdir())
    assert on_disk == ["card.ttl", "photo$.png"], f"a cut-off upload left a file: {on_disk}"
    record("cut-off uploads", cuts=len(cuts), announced_bytes=ANNOUNCED, sent_bytes=ANNOUNCED // 2)
