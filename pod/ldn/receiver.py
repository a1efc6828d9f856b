"""The LDN receiver: which containers are inboxes, and what a notification POSTed to one must be.

An inbox is the `inbox/` container of a pod (the pod template makes it, with an ACL that lets
anyone append and only the owner read), or any container whose description (`.meta`) types it
`ldp:inbox` or names it as some resource's `ldp:inbox`. A POST to an inbox is an ordinary LDP
create (201 + Location, WAC-authorized by Append) with three more checks: the body is RDF that
parses, it is no larger than the notification size limit, and the sender is within its rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from pod.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from pod.ldn.senders import SenderLimits
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.ldp.operations import Content
from pod.ldp.storages import Storages
from pod.rdf import formats
from pod.storage.base import Store

LDP_INBOX = "http://www.w3.org/ns/ldp#inbox"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# The name of a pod's inbox in the pod template (pod.idp.pod_template).
INBOX_NAME = "inbox"
# Notifications are small messages; a document worth sending whole belongs in the sender's own pod.
# The setting `inbox_max_bytes` (--inbox-max-bytes, POD_INBOX_MAX_BYTES) chooses; this is its default.
DEFAULT_MAX_NOTIFICATION_BYTES = 256 * 1024
# LDN §Receiver: receivers MUST accept JSON-LD; Turtle is what Solid apps write too.
ACCEPTED_MEDIA_TYPES = (formats.JSON_LD, formats.TURTLE)


@dataclass(frozen=True, slots=True)
class InboxPolicy:
    max_bytes: int = DEFAULT_MAX_NOTIFICATION_BYTES


class InboxReceiver:
    """Recognises inboxes and checks the notifications posted to them."""

    def __init__(
        self,
        store: Store,
        storages: Storages,
        base_url: str,
        policy: InboxPolicy = InboxPolicy(),
        limits: SenderLimits | None = None,
    ) -> None:
        self.store = store
        self.storages = storages
        self.base_url = base_url
        self.policy = policy
        self.limits = limits if limits is not None else SenderLimits()

    def url(self, identifier: ResourceIdentifier) -> str:
        return self.base_url + identifier.path[1:]

    def pod_inbox(self, identifier: ResourceIdentifier) -> ResourceIdentifier | None:
        """The inbox of the pod `identifier` is in: `{pod}inbox/`, for pods that have owners."""
        storage = self.storages.storage_of(identifier)
        if storage is None or not self.storages.owners_of(storage):
            return None
        return storage.child(INBOX_NAME, container=True)

    async def is_inbox(self, container: ResourceIdentifier) -> bool:
        """Whether POSTs to this container are notifications (LDN §Receiver applies)."""
        if not container.is_container or container.auxiliary_kind is not None:
            return False
        if container == self.pod_inbox(container):
            return True
        description = container.auxiliary(AuxiliaryKind.DESCRIPTION)
        entry = await self.store.stat(description)
        if entry is None or not formats.is_rdf(entry.content_type):
            return False
        assert entry.content_type is not None
        try:
            graph = formats.parse(
                await self.store.read(description), entry.content_type, self.url(description)
            )
        except BadRequest:
            return False  # an unreadable description says nothing
        me = ox.NamedNode(self.url(container))
        inbox, rdf_type = ox.NamedNode(LDP_INBOX), ox.NamedNode(RDF_TYPE)
        return any(
            (t.subject == me and t.predicate == rdf_type and t.object == inbox)
            or (t.predicate == inbox and t.object == me)
            for t in graph
        )

    async def notification(self, inbox: ResourceIdentifier, content: Content, sender: str) -> Content:
        """The notification as the store will keep it, once the sender's rate, its size and its RDF pass.

        Raises 429 (over the rate), 413 (over the size), 415 (not JSON-LD or Turtle), 400 (does not parse).
        """
        inbox_url = self.url(inbox)
        self.limits.admit(inbox_url, sender)
        limit = self.policy.max_bytes
        if content.length is not None and content.length > limit:
            raise PayloadTooLarge(
                f"a notification may be at most {limit} bytes; this one is {content.length}"
            )
        if content.media_type not in ACCEPTED_MEDIA_TYPES:
            # LDN §Receiver: receivers MAY refuse what they cannot process; we keep what we serve as JSON-LD.
            raise UnsupportedMediaType(
                f"an inbox accepts notifications as {' or '.join(ACCEPTED_MEDIA_TYPES)}, "
                f"not {content.media_type or 'no media type'}"
            )
        body = await _capped(content, limit)
        # Parsed here so that a sender hears at once that its notification is not RDF (400 with the reason).
        formats.parse(body, content.media_type, inbox_url)
        return Content(content.media_type, body, len(body))


async def _capped(content: Content, limit: int) -> bytes:
    if isinstance(content.body, bytes):
        data = content.body
    else:
        chunks, total = [], 0
        async for chunk in content.body:
            total += len(chunk)
            if total > limit:
                raise PayloadTooLarge(f"a notification may be at most {limit} bytes")
            chunks.append(chunk)
        data = b"".join(chunks)
    if len(data) > limit:
        raise PayloadTooLarge(f"a notification may be at most {limit} bytes")
    return data
