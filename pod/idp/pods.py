"""Pods: checking a pod's name, creating a pod for an account (all or nothing), deleting it."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pod.errors import BadRequest, Conflict, NotFound, PodError
from pod.idp.accounts import Account, Accounts
from pod.idp.pod_template import TURTLE, PodLayout
from pod.ldp.identifiers import ROOT, ResourceIdentifier
from pod.ldp.storages import RESERVED_TOP_LEVEL, StorageRecord, Storages
from pod.storage.base import Store

log = logging.getLogger("pod.idp")

# A DNS label (so that subdomain pods can come later): lower-case letters, digits and inner
# hyphens, 1-63 characters. Anything else — `../`, upper case, `.account`, `$` — never matches.
POD_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
LOCK = "pods"


def check_pod_name(name: object) -> str:
    """The name when it may name a pod; 400 otherwise."""
    if not isinstance(name, str) or not POD_NAME.fullmatch(name):
        shown = repr(name)[:80]
        raise BadRequest(
            f"{shown} is not a valid pod name: use 1 to 63 lower-case letters, digits and hyphens "
            "(not at the start or end)"
        )
    if name in RESERVED_TOP_LEVEL:
        raise BadRequest(f"{name!r} is a path the server answers itself; choose another pod name")
    return name


@dataclass(frozen=True, slots=True)
class CreatedPod:
    pod_url: str
    webid: str
    pod_id: str  # the id of the pod's resource in the account API
    webid_link: str  # the id of the WebID link's resource in the account API


class Pods:
    """Creates and deletes pods in a store, registering them in Storages and in the account."""

    def __init__(self, store: Store, storages: Storages, accounts: Accounts, base_url: str) -> None:
        self.store = store
        self.storages = storages
        self.accounts = accounts
        self.base_url = base_url
        # What else keeps state about a pod (its access log, its app settings) forgets it here.
        self.on_delete: list[Callable[[ResourceIdentifier], Awaitable[None]]] = []

    @property
    def single_user(self) -> bool:
        return self.storages.root_is_storage

    def layout(self, name: str | None, person: str | None = None) -> PodLayout:
        if self.single_user:
            return PodLayout(ROOT, self.base_url, person or name or "Pod owner")
        name = check_pod_name(name)
        return PodLayout(ResourceIdentifier((name,), True), self.base_url, person or name)

    def root_of(self, pod_url: str) -> ResourceIdentifier:
        """The root container of a pod, from its URL."""
        if self.single_user:
            return ROOT
        return ResourceIdentifier((pod_url[len(self.base_url) :].strip("/"),), True)

    async def create(self, account: Account, name: str | None, person: str | None = None) -> CreatedPod:
        """Create pod `name` for the account: 400 bad name, 409 taken; nothing is left half-made.

        In single-user mode the root is the pod, and only the first account gets it.
        """
        layout = self.layout(name, person)
        async with self.accounts.state.lock(LOCK):
            await self._check_free(layout)
            undo = _Undo()
            try:
                await self._write(layout, undo)
                await self.storages.add(
                    StorageRecord(layout.root, frozenset({layout.webid}), layout.protected())
                )
                undo.storage = layout.root
                link = await self.accounts.link_webid(account.id, layout.webid)
                undo.webid = link
                pod_id = await self.accounts.add_pod(account.id, layout.pod_url)
            except BaseException:
                await self._roll_back(account, undo)
                raise
        log.info("created the pod %s for %s", layout.pod_url, layout.webid)
        return CreatedPod(layout.pod_url, layout.webid, pod_id, link)

    async def _check_free(self, layout: PodLayout) -> None:
        if self.single_user:
            if self.storages.owners_of(ROOT):
                raise Conflict("this is a single-user server and its pod belongs to an account already")
            for item in layout.items()[1:]:
                if not item.identifier.is_container and await self.store.stat(item.identifier) is not None:
                    raise Conflict(f"{item.identifier} exists already: the root cannot become a new pod")
            return
        root = layout.root
        if (
            self.storages.is_storage(root)
            or await self.store.stat(root) is not None
            or await self.store.stat(root.with_slash_toggled()) is not None
        ):
            raise Conflict(f"the pod name {root.name!r} is taken")

    async def _write(self, layout: PodLayout, undo: _Undo) -> None:
        if not layout.root.is_root:
            await self.store.make_container(layout.root)
            undo.created.append(layout.root)
        for item in layout.items():
            if item.body is None:
                if await self.store.stat(item.identifier) is None:
                    await self.store.make_container(item.identifier)
                    undo.created.append(item.identifier)
                continue
            if await self.store.stat(item.identifier) is not None:
                # Only the root's ACL (single-user mode) can be there already: keep it to restore.
                undo.replaced[item.identifier] = await self.store.read(item.identifier)
            else:
                undo.created.append(item.identifier)
            await self.store.write(item.identifier, item.body, TURTLE)

    async def _roll_back(self, account: Account, undo: _Undo) -> None:
        with contextlib.suppress(PodError):
            if undo.webid is not None:
                await self.accounts.unlink_webid(account.id, undo.webid)
        if undo.storage is not None:
            await self.storages.remove(undo.storage)
        for identifier in reversed(undo.created):
            with contextlib.suppress(PodError, OSError):
                await self.store.delete(identifier)
        for identifier, body in undo.replaced.items():
            with contextlib.suppress(PodError, OSError):
                await self.store.write(identifier, body, TURTLE)

    async def delete(self, account: Account, pod_id: str) -> str:
        """Delete one of the account's pods and everything in it; returns its URL."""
        links = await self.accounts.pod_links(account.id)
        pod_url = links.get(pod_id)
        if pod_url is None:
            raise NotFound("this account has no such pod")
        if self.single_user:
            raise Conflict("the pod of a single-user server is its root: it cannot be deleted")
        root = self.root_of(pod_url)
        async with self.accounts.state.lock(LOCK):
            record = self.storages.record(root)
            owners = record.owners if record is not None else frozenset()
            # Its WebIDs (and client credentials acting as them) go with the pod.
            for link, webid in (await self.accounts.webid_links(account.id)).items():
                if webid.startswith(pod_url) or webid in owners:
                    for resource, credential in await self.accounts.client_credentials(account.id):
                        if credential.webid == webid:
                            await self.accounts.delete_client_credential(account.id, resource)
                    with contextlib.suppress(PodError):
                        await self.accounts.unlink_webid(account.id, link)
            await self.storages.remove(root)
            await self.accounts.remove_pod(account.id, pod_id)
            if await self.store.stat(root) is not None:
                await self._delete_tree(root)
        for forget in self.on_delete:
            await forget(root)
        log.info("deleted the pod %s", pod_url)
        return pod_url

    async def release(self, account: Account) -> None:
        """Before an account goes: delete its pods (multi-user) or give up the root (single-user)."""
        for pod_id, pod_url in (await self.accounts.pod_links(account.id)).items():
            if self.single_user:
                if account.webids and self.storages.owners_of(ROOT) & set(account.webids):
                    await self.storages.remove(ROOT)
                await self.accounts.remove_pod(account.id, pod_id)
            else:
                with contextlib.suppress(NotFound):
                    await self.delete(account, pod_id)
                log.info("released %s", pod_url)

    async def _delete_tree(self, container: ResourceIdentifier) -> None:
        for child in await self.store.children(container):
            if child.identifier.is_container:
                await self._delete_tree(child.identifier)
            else:
                await self.store.delete(child.identifier)
        await self.store.delete(container)


@dataclass
class _Undo:
    """What a pod creation did so far, to take back if a later step fails."""

    created: list[ResourceIdentifier] = field(default_factory=list)
    replaced: dict[ResourceIdentifier, bytes] = field(default_factory=dict)
    storage: ResourceIdentifier | None = None
    webid: str | None = None
