"""make_app(settings): builds the server's objects once and wires them into an aiohttp Application."""

from __future__ import annotations

from aiohttp import web

from pod.auth.authenticator import make_authenticator
from pod.config import Settings
from pod.http.authentication import authentication_middleware
from pod.http.cors import add_cors_headers, preflight_middleware
from pod.http.errors import error_middleware
from pod.http.routes import LdpHandler
from pod.ldp.operations import Resources
from pod.ldp.storages import Storages
from pod.outbound import FetchPolicy, OutboundClient
from pod.storage.base import ProcessLocker, Store
from pod.storage.files import FileStore
from pod.storage.memory import MemoryStore

RESOURCES = web.AppKey("resources", Resources)
OUTBOUND = web.AppKey("outbound", OutboundClient)


def make_store(settings: Settings) -> Store:
    if settings.storage == "memory":
        return MemoryStore()
    return FileStore(settings.data_dir)


def make_app(settings: Settings) -> web.Application:
    resources = Resources(make_store(settings), ProcessLocker(), Storages(), settings.base_url)
    handler = LdpHandler(resources, settings.base_path, settings.max_body_size)
    app = web.Application(
        middlewares=[preflight_middleware, error_middleware], client_max_size=settings.max_body_size
    )
    app.on_response_prepare.append(add_cors_headers)
    app[RESOURCES] = resources
    outbound = app[OUTBOUND] = OutboundClient(FetchPolicy(allow_private=bool(settings.allow_private_fetch)))
    app.on_cleanup.append(lambda _app: outbound.close())
    # Innermost of the middlewares: its 401s get problem bodies (errors) and CORS headers.
    authenticator = make_authenticator(settings, outbound)
    app.middlewares.append(authentication_middleware(authenticator, settings.base_url))
    # [\s\S]: a decoded path may hold a newline, which the handler then refuses with a 400.
    app.router.add_route("*", r"/{tail:[\s\S]*}", handler.handle)
    return app
