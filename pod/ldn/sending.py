"""Sending a Linked Data Notification: discover the target's inbox, POST the notification to it.

LDN §Sender: the inbox of a target is found in a `Link` header with
`rel="http://www.w3.org/ns/ldp#inbox"` on the target, or else in the target's RDF as
`<target> ldp:inbox <inbox>` — a WebID profile names its person's inbox that way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urldefrag, urljoin

import aiohttp
import pyoxigraph as ox

from pod.errors import PodError
from pod.http.headers import link_targets
from pod.ldn.receiver import LDP_INBOX
from pod.rdf import formats

# Headers (Authorization, DPoP) that authenticate one request `method url`; None sends anonymously.
Authorize = Callable[[str, str], Awaitable[dict[str, str]]]
ACCEPT_RDF = "text/turtle, application/ld+json;q=0.9"
# Seconds a whole exchange (discovery, or the POST) may take: a hanging server is an error, not a wait.
TIMEOUT = 15.0
MAX_DISCOVERY_BYTES = 1024 * 1024


class NotifyError(Exception):
    """Why a notification could not be delivered, for the person at the terminal."""


async def _headers(authorize: Authorize | None, method: str, url: str) -> dict[str, str]:
    return await authorize(method, url) if authorize is not None else {}


async def discover_inbox(
    http: aiohttp.ClientSession, target: str, authorize: Authorize | None = None, timeout: float = TIMEOUT
) -> str:
    """The inbox URL of `target` (a WebID, a resource or an inbox itself), by Link header or RDF body."""
    document, _fragment = urldefrag(target)
    headers = {"Accept": ACCEPT_RDF, **await _headers(authorize, "GET", document)}
    limit = aiohttp.ClientTimeout(total=timeout)
    async with http.get(document, headers=headers, timeout=limit, allow_redirects=False) as answer:
        if answer.status in (401, 403) and document.endswith("/") and not _fragment:
            # An inbox is typically append-only (acl/inbox.acl): a sender may not read it, so a
            # container it may not read is taken to be the inbox it was given; the POST decides.
            return document
        if answer.status != 200:
            raise NotifyError(f"discovering the inbox: {document} answered {answer.status} {answer.reason}")
        # LDN §Discovery: the Link header first; it is on any response, whatever the body is.
        linked = link_targets(answer.headers.getall("Link", []), LDP_INBOX)
        if linked:
            return urljoin(str(answer.url), linked[0])
        media_type = (answer.content_type or "").lower()
        if not formats.is_rdf(media_type):
            raise NotifyError(f"{document} advertises no inbox (no Link rel=ldp:inbox, and it is not RDF)")
        body = await answer.content.read(MAX_DISCOVERY_BYTES + 1)
    if len(body) > MAX_DISCOVERY_BYTES:
        raise NotifyError(f"{document} is too large to look for an inbox in")
    try:
        graph = formats.parse(body, media_type, document)
    except PodError as error:
        raise NotifyError(f"{document} does not parse: {error.detail}") from error
    subject, inbox = ox.NamedNode(target), ox.NamedNode(LDP_INBOX)
    for triple in graph:
        if (
            triple.subject == subject
            and triple.predicate == inbox
            and isinstance(triple.object, ox.NamedNode)
        ):
            return triple.object.value
    raise NotifyError(f"{target} has no inbox (no Link rel=ldp:inbox, no <{target}> ldp:inbox triple)")


async def post_notification(
    http: aiohttp.ClientSession,
    inbox: str,
    body: bytes,
    media_type: str,
    authorize: Authorize | None = None,
    timeout: float = TIMEOUT,
) -> str:
    """POST one notification to `inbox`; returns its URL (the `Location` of the 201)."""
    headers = {"Content-Type": media_type, **await _headers(authorize, "POST", inbox)}
    limit = aiohttp.ClientTimeout(total=timeout)
    async with http.post(inbox, data=body, headers=headers, timeout=limit, allow_redirects=False) as answer:
        text = (await answer.content.read(4096)).decode("utf-8", "replace")
        # LDN §Receiver: 201 Created with Location, or 202 Accepted (no Location) when the receiver queues it.
        if answer.status == 202:
            return inbox
        if answer.status != 201 or "Location" not in answer.headers:
            retry = answer.headers.get("Retry-After")
            later = f" (retry after {retry} s)" if retry else ""
            raise NotifyError(
                f"{inbox} refused the notification: {answer.status} {answer.reason}{later} {text}"
            )
        return urljoin(inbox, answer.headers["Location"])


async def notify(
    http: aiohttp.ClientSession,
    target: str,
    body: bytes,
    media_type: str,
    authorize: Authorize | None = None,
    timeout: float = TIMEOUT,
) -> tuple[str, str]:
    """Discover the inbox of `target` and deliver the notification; returns (inbox, notification URL).

    Raises NotifyError saying why when it cannot be delivered, within `timeout` seconds per step.
    """
    try:
        inbox = await discover_inbox(http, target, authorize, timeout)
        return inbox, await post_notification(http, inbox, body, media_type, authorize, timeout)
    except TimeoutError as error:
        raise NotifyError(f"no answer within {timeout:g} s while notifying {target}") from error
    except aiohttp.ClientError as error:
        raise NotifyError(f"could not reach the server of {target}: {error}") from error
