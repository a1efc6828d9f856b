"""Builds the accounts-and-pods half of the identity provider and wires its routes into the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from pod.config import Settings
from pod.errors import MethodNotAllowed, NotFound
from pod.idp import api, claims, pages, pod_data
from pod.idp.accounts import Accounts
from pod.idp.pods import Pods
from pod.idp.service import SERVICE, AccountService
from pod.idp.sessions import SESSIONS, Sessions
from pod.ldp.operations import Resources
from pod.ldp.storages import Storages
from pod.storage.base import Store
from pod.storage.internal import FileInternalState, InternalState, MemoryInternalState

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_internal_state(settings: Settings) -> InternalState:
    """Where accounts, sessions and the storage registry are kept: `$pod/`, or memory."""
    if settings.storage == "memory":
        return MemoryInternalState()
    return FileInternalState(settings.data_dir)


def make_storages(settings: Settings, state: InternalState) -> Storages:
    """Multi-user: the root is a plain container above the pods; single-user: the root is the pod."""
    return Storages(frozenset(), state=state, root_is_storage=settings.single_user)


@dataclass(frozen=True)
class IdentityProvider:
    state: InternalState
    storages: Storages
    accounts: Accounts
    sessions: Sessions
    pods: Pods
    service: AccountService

    async def start(self) -> None:
        await self.storages.load()
        await self.sessions.start()


def build(settings: Settings, store: Store, storages: Storages) -> IdentityProvider:
    state = storages.state
    assert state is not None, "the identity provider needs Storages kept in an internal state"
    accounts = Accounts(state)
    sessions = Sessions(accounts, state, settings.base_url)
    pods = Pods(store, storages, accounts, settings.base_url)
    service = AccountService(accounts, sessions, pods, settings.base_url, settings.registration or "closed")
    return IdentityProvider(state, storages, accounts, sessions, pods, service)


def _only(methods: str, handler: Handler) -> Handler:
    allowed = [m.strip() for m in methods.split(",")]
    allow = ", ".join([*allowed, "OPTIONS"])

    async def route(request: web.Request) -> web.StreamResponse:
        if request.method == "OPTIONS":
            return web.Response(status=204, headers={"Allow": allow})
        if request.method not in allowed and not (request.method == "HEAD" and "GET" in allowed):
            raise MethodNotAllowed(f"{request.method} is not supported here", headers={"Allow": allow})
        return await handler(request)

    return route


async def _not_found(request: web.Request) -> web.StreamResponse:
    # `/.account/` is the server's own: nothing under it is ever an LDP resource (no PUT creates files).
    raise NotFound("there is no such account page or API endpoint")


def install(app: web.Application, settings: Settings, resources: Resources) -> IdentityProvider:
    """Add the account API and pages under `{base}.account/`; call before the LDP catch-all route."""
    idp = build(settings, resources.store, resources.storages)
    app[SERVICE] = idp.service
    app[SESSIONS] = idp.sessions
    app[IDENTITY_PROVIDER] = idp

    async def start(_app: web.Application) -> None:
        await idp.start()

    app.on_startup.append(start)
    prefix = settings.base_path + ".account/"
    account = prefix + "account/{account}/"
    routes: list[tuple[str, str, Handler]] = [
        (prefix, "GET", pages.index),
        (prefix + "login/", "GET", pages.logins),
        (prefix + "login/password/", "GET, POST", pages.password_login),
        (prefix + "login/password/register/", "GET, POST", pages.register),
        (prefix + "logout/", "GET, POST", pages.logout_page),
        # Issue 15: a migrated pod's account taken over with its claim code; a pod's archive.
        (prefix + claims.PATH, "GET, POST", claims.claim),
        (prefix + "account/", "GET, POST", api.create_account),
        (account, "GET, POST, DELETE", pages.account),
        (account + "logout/", "GET, POST", api.logout),
        (account + "login/password/", "GET, POST", api.password_logins),
        (account + "login/password/{login}/", "GET, POST, DELETE", api.password_login_resource),
        (account + "pod/", "GET, POST", api.pods),
        (account + "pod/{pod}/", "GET, DELETE", api.pod_resource),
        (account + "pod/{pod}/" + pod_data.ARCHIVE + "/", "GET", pod_data.download_archive),
        (account + "webid/", "GET, POST", api.webids),
        (account + "webid/{link}/", "GET, DELETE", api.webid_resource),
        (account + "client-credentials/", "GET, POST", api.client_credentials),
        (account + "client-credentials/{credential}/", "GET, DELETE", api.client_credential_resource),
    ]
    for path, methods, handler in routes:
        app.router.add_route("*", path, _only(methods, handler))
    app.router.add_route("*", prefix + r"{tail:[\s\S]*}", _not_found)
    return idp


IDENTITY_PROVIDER = web.AppKey("identity_provider", IdentityProvider)
