"""Notification messages: ActivityStreams 2.0 activities in JSON-LD, or any RDF format a receiver accepts."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pod.http import conneg
from pod.ldp.changes import Activity, Change
from pod.ldp.identifiers import ResourceIdentifier
from pod.notifications.channels import ACTIVITYSTREAMS_CONTEXT, NOTIFICATION_CONTEXT
from pod.notifications.xsd import format_datetime
from pod.rdf import formats

# The formats a channel's `accept` can choose, JSON-LD first (Solid Notifications Protocol §2).
MESSAGE_MEDIA_TYPES: tuple[str, ...] = (
    formats.JSON_LD,
    *(t for t in formats.RDF_MEDIA_TYPES if t != formats.JSON_LD),
)


def message_media_type(accept: str | None) -> str | None:
    """The format for a channel's `accept` feature (an Accept header value); None: nothing fits."""
    return conneg.negotiate(conneg.parse_accept(accept), MESSAGE_MEDIA_TYPES)


@dataclass(slots=True)
class Notification:
    """One activity about one topic. Rendered once per format, however many channels receive it."""

    activity: str  # Create, Update, Delete, Add or Remove
    object: str
    published: float
    target: str | None = None
    state: str | None = None
    id: str = field(default_factory=lambda: f"urn:uuid:{uuid.uuid4()}")
    _rendered: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def of_change(cls, change: Change, url_of: Callable[[ResourceIdentifier], str]) -> Notification:
        """The message for a change; `url_of` turns an identifier into its URL."""
        if change.activity in (Activity.ADD, Activity.REMOVE):
            assert change.object is not None
            # Solid Notifications Protocol §3.4: Add/Remove: object is the member, target the container.
            return cls(
                change.activity.value, url_of(change.object), change.time, target=url_of(change.identifier)
            )
        return cls(change.activity.value, url_of(change.identifier), change.time, state=change.etag)

    def json_ld(self) -> dict[str, Any]:
        """Solid Notifications Protocol §3.4: id, type, object, target, state, published."""
        message: dict[str, Any] = {
            "@context": [ACTIVITYSTREAMS_CONTEXT, NOTIFICATION_CONTEXT],
            "id": self.id,
            "type": self.activity,
            "object": self.object,
        }
        if self.target is not None:
            message["target"] = self.target
        if self.state is not None:
            message["state"] = self.state
        message["published"] = format_datetime(self.published)
        return message

    def render(self, media_type: str) -> str:
        """The message as text in `media_type` (one of MESSAGE_MEDIA_TYPES), computed once."""
        text = self._rendered.get(media_type)
        if text is None:
            document = json.dumps(self.json_ld())
            if media_type != formats.JSON_LD:
                graph = formats.parse(document.encode("utf-8"), formats.JSON_LD, self.object)
                document = formats.serialize(graph, media_type).decode("utf-8")
            text = self._rendered[media_type] = document
        return text
