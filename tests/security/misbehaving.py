"""A local HTTP server that misbehaves on purpose: redirects to where it must not, huge and slow bodies."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from aiohttp import web

BODY_CAP = 64 * 1024
TURTLE = "<#me> <http://www.w3.org/ns/solid/terms#oidcIssuer> <https://issuer.example/> ."


@dataclass
class Misbehaving:
    """Its routes; `hits` counts the requests each path received (to prove a refused one got none)."""

    elsewhere: str = ""  # base URL of another server (another origin) for cross-origin redirects
    hits: dict[str, int] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        # An issuer's configuration is fetched from under it: /x/.well-known/... behaves as /x.
        path = request.path.removesuffix("/.well-known/openid-configuration")
        self.hits[path] = self.hits.get(path, 0) + 1
        port = request.url.port
        if path == "/profile":
            return web.Response(text=TURTLE, content_type="text/turtle")
        if path == "/json":
            return web.json_response({"jwks_uri": f"http://127.0.0.1:{port}/json", "keys": []})
        if path == "/echo":
            return web.json_response({k: v for k, v in request.headers.items()})
        if path.startswith("/to/"):
            # /to/<anything>: a redirect to exactly that (scheme, address or name included).
            target = request.raw_path[len("/to/") :]
            return web.Response(status=int(request.query.get("status", "302")), headers={"Location": target})
        if path == "/to-127.0.0.2":
            raise web.HTTPFound(f"http://127.0.0.2:{port}/profile")
        if path == "/to-elsewhere":
            raise web.HTTPTemporaryRedirect(self.elsewhere + "echo")
        if path.startswith("/loop/"):
            raise web.HTTPFound(f"/loop/{int(path.rsplit('/', 1)[1]) + 1}")
        if path == "/huge":
            return web.Response(body=b"<#a> <#b> <#c> .\n" * (BODY_CAP // 8), content_type="text/turtle")
        if path == "/huge-chunked":
            response = web.StreamResponse(headers={"Content-Type": "text/turtle"})
            response.enable_chunked_encoding()
            await response.prepare(request)
            for _ in range(BODY_CAP // 1024 * 4):
                await response.write(b"#" * 1024 + b"\n")
            return response
        if path == "/slow":
            response = web.StreamResponse(headers={"Content-Type": "text/turtle"})
            await response.prepare(request)
            for _ in range(100):  # a byte every 0.1 s: alive, and never done within the timeout
                await response.write(b"#")
                await asyncio.sleep(0.1)
            return response
        if path == "/silent":
            await asyncio.sleep(30)
        return web.Response(status=404, text=json.dumps({"path": path}))
