"""The ceiling for Python on this machine: a bare aiohttp app that answers every GET with one constant
Turtle body, served the way `pod serve` serves (web.run_app, uvloop when installed)."""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

BODY = b"""@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#me> a foaf:Person ; foaf:name "Bench Mark" .
"""


async def constant(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="text/turtle")


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/{tail:.*}", constant)  # HEAD too
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    loop: asyncio.AbstractEventLoop
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        loop = asyncio.new_event_loop()
    # aiohttp's access log stays off: logging is not configured, so the access logger is disabled.
    web.run_app(make_app(), host=args.host, port=args.port, print=None, loop=loop)


if __name__ == "__main__":
    main()
