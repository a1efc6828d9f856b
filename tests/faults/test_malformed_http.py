"""Malformed HTTP (bad request lines, bad chunking, oversized or smuggling headers): 4xx, never 5xx.

Each request goes on a connection of its own; after all of them the server still answers.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.faults.raw import exchange, status_of
from tests.faults.report import record
from tests.faults.server import PodProcess

MAX_HEADER_SIZE = 4096
HOST = b"Host: localhost\r\n"
PUT_HEAD = b"PUT /doc.txt HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"

MALFORMED = {
    "garbage request line": b"GARBAGE\r\n\r\n",
    "no version": b"GET /\r\n\r\n",
    "unknown version": b"GET / HTTP/9.9\r\n" + HOST + b"\r\n",
    "space in the target": b"GET /a b HTTP/1.1\r\n" + HOST + b"\r\n",
    "NUL in the target": b"GET /a\x00b HTTP/1.1\r\n" + HOST + b"\r\n",
    "control character in the method": b"G\x01T / HTTP/1.1\r\n" + HOST + b"\r\n",
    "bad percent-encoding": b"GET /%zz HTTP/1.1\r\n" + HOST + b"\r\n",
    "encoded dot segment": b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n" + HOST + b"\r\n",
    "encoded slash": b"GET /a%2fb HTTP/1.1\r\n" + HOST + b"\r\n",
    "request line too long": b"GET /" + b"a" * (MAX_HEADER_SIZE + 100) + b" HTTP/1.1\r\n" + HOST + b"\r\n",
    "header too long": b"GET / HTTP/1.1\r\n"
    + HOST
    + b"X-Big: "
    + b"b" * (MAX_HEADER_SIZE + 100)
    + b"\r\n\r\n",
    "too many headers": b"GET / HTTP/1.1\r\n"
    + HOST
    + b"".join(b"X-%d: v\r\n" % i for i in range(500))
    + b"\r\n",
    "header without colon": b"GET / HTTP/1.1\r\n" + HOST + b"NoColonHere\r\n\r\n",
    "space before colon": b"GET / HTTP/1.1\r\n" + HOST + b"X-Bad : v\r\n\r\n",
    "obsolete line folding": b"GET / HTTP/1.1\r\n" + HOST + b"X-Fold: a\r\n  b\r\n\r\n",
    "bad chunk size": PUT_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
    "chunk size overflow": PUT_HEAD
    + b"Transfer-Encoding: chunked\r\n\r\n"
    + b"f" * 40
    + b"\r\nhello\r\n0\r\n\r\n",
    "chunk without CRLF": PUT_HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
    "negative Content-Length": PUT_HEAD + b"Content-Length: -5\r\n\r\nhello",
    "non-numeric Content-Length": PUT_HEAD + b"Content-Length: 5x\r\n\r\nhello",
    "two different Content-Lengths": PUT_HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
    "Content-Length with chunked (smuggling)": PUT_HEAD
    + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "unknown Transfer-Encoding": PUT_HEAD + b"Transfer-Encoding: gzip, identity\r\n\r\nhello",
    "no Host in HTTP/1.1": b"GET /%zz HTTP/1.1\r\n\r\n",
}


@pytest.mark.parametrize("flag", [str(MAX_HEADER_SIZE)])
async def test_malformed_requests_get_4xx_and_the_server_carries_on(
    pod_process: Callable[..., PodProcess], flag: str
) -> None:
    server = pod_process("--max-header-size", flag)
    answers = {}
    for name, request in MALFORMED.items():
        answers[name] = status_of(await exchange(server.port, request, timeout=5))
    wrong = {name: status for name, status in answers.items() if status is None or not 400 <= status < 500}
    assert not wrong, f"not a 4xx: {wrong}"
    assert server.alive
    reply = await exchange(server.port, b"GET / HTTP/1.1\r\n" + HOST + b"Connection: close\r\n\r\n")
    assert status_of(reply) == 200
    record(
        "malformed HTTP",
        requests=len(MALFORMED),
        statuses=sorted({s for s in answers.values() if s is not None}),
    )
