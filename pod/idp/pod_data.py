"""What the owner sees of a pod's data on the account pages (issue 15): how much it holds against
its quota, and its archive — the one `pod export` writes — to download, streamed as it is made.

The usage comes from the operator's ledger (pod.admin), handed in through USAGE_SOURCE so that the
account pages need not know how it is counted; without it (a bare identity provider) no usage
is shown.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from pod.admin.archive import PodExport
from pod.errors import NotFound
from pod.idp.owned import owned_pod
from pod.idp.service import SERVICE, AccountService
from pod.ldp.identifiers import ResourceIdentifier

log = logging.getLogger("pod.idp")
ARCHIVE = "archive"


@dataclass(frozen=True, slots=True)
class PodUsage:
    bytes: int
    quota: int | None  # None: unlimited


class UsageSource(Protocol):
    async def usage(self, storage: ResourceIdentifier) -> PodUsage: ...


USAGE_SOURCE = web.AppKey("pod_usage", UsageSource)


async def usage_of(request: web.Request, storage: ResourceIdentifier) -> PodUsage | None:
    source = request.app.get(USAGE_SOURCE)
    return None if source is None else await source.usage(storage)


def usage_json(usage: PodUsage) -> dict[str, Any]:
    """The pod resource's `usage` field: bytes used and the quota (null: none)."""
    return {"bytes": usage.bytes, "quota": usage.quota}


def size_text(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def usage_text(usage: PodUsage) -> str:
    if usage.quota is None:
        return f"{size_text(usage.bytes)} used (no quota)"
    share = 100 * usage.bytes / usage.quota if usage.quota else 100.0
    return f"{size_text(usage.bytes)} of {size_text(usage.quota)} used ({share:.0f}%)"


def archive_url(service: AccountService, account_id: str, pod_id: str) -> str:
    return service.account_url(account_id, "pod", pod_id, ARCHIVE)


async def download_archive(request: web.Request) -> web.StreamResponse:
    """`GET {account}/pod/{pod}/archive/`: the pod as `pod export` writes it (a tar), streamed."""
    service: AccountService = request.app[SERVICE]
    pod = await owned_pod(request, to="can download its archive")
    root, pod_url = pod.root, pod.url
    store = service.pods.store
    record = service.pods.storages.record(root)
    if record is None or await store.stat(root) is None:
        raise NotFound("the pod has no data")
    protected = {doc.path[len(root.path) :]: [list(t) for t in ts] for doc, ts in record.protected.items()}
    name = root.name or "pod"
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/x-tar",
            "Content-Disposition": f'attachment; filename="{name}-{time.strftime("%Y-%m-%d")}.tar"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
    )
    await response.prepare(request)
    if request.method == "HEAD":
        return response
    export = PodExport(store, root, pod_url, sorted(record.owners), protected)
    sent = 0
    async for chunk in export.chunks():
        await response.write(chunk)
        sent += len(chunk)
    await response.write_eof()
    log.info("sent the archive of %s: %d documents, %d bytes", pod_url, len(export.manifest.documents), sent)
    return response
