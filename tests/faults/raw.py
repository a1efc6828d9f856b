"""Raw HTTP over a socket: for requests no well-behaved client library would send."""

from __future__ import annotations

import asyncio


async def exchange(port: int, request: bytes, timeout: float = 10.0) -> bytes:
    """Send bytes as they are; everything the server answers until it closes (or the timeout)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        received = b""
        try:
            async with asyncio.timeout(timeout):
                while chunk := await reader.read(65536):
                    received += chunk
        except TimeoutError:
            pass
        return received
    finally:
        writer.close()


def status_of(response: bytes) -> int | None:
    """The status code of the first response in `response`, or None when there is none."""
    line = response.split(b"\r\n", 1)[0].split()
    if len(line) < 2 or not line[0].startswith(b"HTTP/"):
        return None
    return int(line[1])


async def send_then_close(port: int, head: bytes, body_part: bytes) -> None:
    """Announce a body, send only part of it, and hang up (a client that went away)."""
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head + body_part)
    await writer.drain()
    await asyncio.sleep(0.2)
    writer.transport.abort()  # no FIN handshake courtesy: as a dropped connection
