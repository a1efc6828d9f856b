"""make_app(settings): builds the server's objects once and wires them into an aiohttp Application."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from aiohttp import web

from pod.admin import setup as operator
from pod.auth.authenticator import make_authenticator
from pod.config import Settings
from pod.http.authentication import authentication_middleware
from pod.http.cors import add_cors_headers, preflight_middleware
from pod.http.databrowser import add_local_copy, make_databrowser
from pod.http.errors import error_middleware
from pod.http.routes import LdpHandler
from pod.http.shapes import ShippedShapes
from pod.idp import setup as identity_provider
from pod.idp.oidc import OIDC_PROVIDER, OidcProvider, client_basic_scheme
from pod.idp.sessions import ACCOUNT_TOKEN_SCHEME, TOKEN_SCHEME
from pod.ldn.receiver import InboxPolicy, InboxReceiver
from pod.ldn.senders import SenderLimits
from pod.ldp.operations import Resources
from pod.notifications import setup as notifications
from pod.outbound import FetchPolicy, OutboundClient
from pod.shapes.validator import ShapeValidator
from pod.sparql import setup as sparql
from pod.storage.base import ProcessLocker, Store
from pod.storage.files import FileStore
from pod.storage.io_threads import IO_THREADS
from pod.storage.memory import MemoryStore
from pod.visibility import setup as visibility
from pod.wac.access_control import AccessControl
from pod.wac.templates import ensure_root_acl

RESOURCES = web.AppKey("resources", Resources)
OUTBOUND = web.AppKey("outbound", OutboundClient)


def make_store(settings: Settings) -> Store:
    if settings.storage == "memory":
        return MemoryStore()
    return FileStore(settings.data_dir)


async def close_file_store(store: FileStore, _app: web.Application) -> None:
    store.close()  # its inotify instance: a process has few (fs.inotify.max_user_instances)


async def use_io_threads(_app: web.Application) -> None:
    # For `asyncio.to_thread` elsewhere (internal state, large parses); the FileStore has its own.
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="pod-io")
    )


def make_app(settings: Settings) -> web.Application:
    # The storage roots and their owners: pods come and go (pod.idp), kept in `$pod/storages.json`.
    storages = identity_provider.make_storages(settings, identity_provider.make_internal_state(settings))
    # Issue 15: every write goes through a store that counts each pod's bytes (quotas, usage).
    stored = make_store(settings)
    store = operator.metered(stored, storages)
    resources = Resources(store, ProcessLocker(), storages, settings.base_url)
    # Issue 11: writes into shape-constrained containers (and ACLs) are validated, within a time limit.
    resources.validator = ShapeValidator(resources.store, settings.base_url, settings.shapes_time_limit)
    outbound = OutboundClient(FetchPolicy(allow_private=bool(settings.allow_private_fetch)))
    access = AccessControl(resources.store, storages, settings.base_url, outbound, storages.owners_of)
    handler = LdpHandler(
        resources, access, settings.base_path, settings.max_body_size, body_timeout=settings.body_timeout
    )
    app = web.Application(
        middlewares=[preflight_middleware, error_middleware], client_max_size=settings.max_body_size
    )
    app.on_startup.append(use_io_threads)
    app.on_response_prepare.append(add_cors_headers)
    app[RESOURCES] = resources
    app[OUTBOUND] = outbound
    app.on_cleanup.append(lambda _app: outbound.close())
    if isinstance(stored, FileStore):
        app.on_cleanup.append(partial(close_file_store, stored))
    # WAC: the server root has an ACL from the start (acl/root.acl).
    app.on_startup.append(
        lambda _app: ensure_root_acl(resources.store, settings.base_url, single_user=settings.single_user)
    )
    # Innermost of the middlewares: its 401s get problem bodies (errors) and CORS headers.
    authenticator = make_authenticator(settings, outbound)
    # A `CSS-Account-Token` header is the account API's, not Solid-OIDC's; HTTP Basic at the token
    # endpoint authenticates an OAuth client.
    other_schemes = {TOKEN_SCHEME: ACCOUNT_TOKEN_SCHEME, "basic": client_basic_scheme(settings.base_url)}
    app.middlewares.append(authentication_middleware(authenticator, settings.base_url, other_schemes))
    # Issue 13: the owner's access log, access overview and app control; before the account API's catch-all.
    owner_view = visibility.install(app, settings, resources, access)
    # The account API and pages under `/.account/`: registered before the LDP catch-all.
    identity_provider.install(app, settings, resources)
    # The OpenID provider under `/.oidc/` and its discovery document: before the LDP catch-all.
    idp_state = app[identity_provider.IDENTITY_PROVIDER].state
    oidc = app[OIDC_PROVIDER] = OidcProvider(settings, outbound, idp_state)
    oidc.add_routes(app.router)
    # DESIGN "Browser origins": apps a local person approved on the consent screen pass WAC's origin check.
    access.trusted_apps = oidc.trusted_apps
    # Issue 13: in "only approved apps" mode, an app approved on the consent screen is approved.
    owner_view.apps.approvals = oidc.approved
    # A deleted pod takes its access log and app settings with it (a new pod of that name starts clean).
    app[identity_provider.IDENTITY_PROVIDER].pods.on_delete += [
        owner_view.access_log.forget,
        owner_view.apps.forget,
    ]
    app.on_startup.append(oidc.start)
    # People opening a resource in a browser get the SolidOS data browser (a local mashlib: /.mashlib/).
    handler.databrowser = make_databrowser(settings.mashlib_url, settings.base_url)
    add_local_copy(app, settings.mashlib_url, settings.base_path)
    # Issue 12: inboxes receive Linked Data Notifications (size, RDF and per-sender rate checks).
    handler.inboxes = InboxReceiver(
        resources.store,
        storages,
        settings.base_url,
        InboxPolicy(settings.inbox_max_bytes),
        SenderLimits(settings.inbox_rate_limit, settings.inbox_rate_window),
    )
    # The shipped SHACL shapes, read-only under `/.shapes/`: before the LDP catch-all.
    ShippedShapes(settings.base_path).add_routes(app.router)
    # Live notifications under `/.notifications/` (WebSocket, Webhook, Streaming HTTP, solid-0.1): before it.
    notifications.install(app, settings, resources, access, oidc.keys)
    # Issue 10: each storage's read-only SPARQL endpoint, `{storage}.well-known/sparql`: before it.
    sparql.install(app, settings, resources, access, handler.handle)
    # Issue 15: quotas, suspended accounts, `/.well-known/health` and `/metrics`: before the catch-all.
    operator.install(app, settings, resources)
    # [\s\S]: a decoded path may hold a newline, which the handler then refuses with a 400.
    app.router.add_route("*", r"/{tail:[\s\S]*}", handler.handle)
    return app
