"""Notification channels: their types, what one channel is, and the URLs the server gives them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from typing import Any

from pod.auth.credentials import Credentials
from pod.ldp.identifiers import ResourceIdentifier, parse_path
from pod.ldp.storages import NOTIFICATIONS, NOTIFY

# The JSON-LD context of channel descriptions and notification messages (bundled: pod.rdf.contexts).
NOTIFICATION_CONTEXT = "https://www.w3.org/ns/solid/notification/v1"
ACTIVITYSTREAMS_CONTEXT = "https://www.w3.org/ns/activitystreams"
# The path of the solid-0.1 socket below the notifications prefix.
LEGACY_NAME = "solid-0.1"
SENDER_NAME = "sender"


class ChannelType(enum.Enum):
    """The notification channel types this server offers, each with its own subscription service."""

    WEBSOCKET = "WebSocketChannel2023"
    WEBHOOK = "WebhookChannel2023"
    STREAMING = "StreamingHTTPChannel2023"

    @property
    def iri(self) -> str:
        return NOTIFY + self.value

    @classmethod
    def from_iri(cls, iri: str) -> ChannelType | None:
        return next((kind for kind in cls if kind.iri == iri), None)


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel, as the subscription service created it and the internal state keeps it."""

    id: str  # a UUID: the last segment of the channel's URL
    type: ChannelType
    topic: ResourceIdentifier
    owner: Credentials  # who subscribed: Read on the topic is checked again for every message
    end_at: float  # Unix seconds; every channel ends (the server has a maximum lifetime)
    start_at: float | None = None
    state: str | None = None  # the ETag the subscriber last saw
    rate: float | None = None  # seconds at least between two messages
    accept: str = "application/ld+json"  # the media type of the messages
    send_to: str | None = None  # WebhookChannel2023: where messages are POSTed
    capability: str | None = None  # SHA-256 (hex) of the secret in `receiveFrom`; the secret is not kept

    def to_json(self) -> dict[str, Any]:
        owner = self.owner
        return {
            "id": self.id,
            "type": self.type.value,
            "topic": self.topic.path,
            "owner": {
                "agent": owner.agent,
                "client_id": owner.client_id,
                "issuer": owner.issuer,
                "origin": owner.origin,
            },
            "end_at": self.end_at,
            "start_at": self.start_at,
            "state": self.state,
            "rate": self.rate,
            "accept": self.accept,
            "send_to": self.send_to,
            "capability": self.capability,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Channel:
        owner = data["owner"]
        return cls(
            id=str(data["id"]),
            type=ChannelType(data["type"]),
            topic=parse_path(str(data["topic"])),
            owner=Credentials(owner["agent"], owner["client_id"], owner["issuer"], owner["origin"]),
            end_at=float(data["end_at"]),
            start_at=data["start_at"],
            state=data["state"],
            rate=data["rate"],
            accept=str(data["accept"]),
            send_to=data["send_to"],
            capability=data["capability"],
        )


class NotificationUrls:
    """Where things live below `{base}.notifications/`: services, channels, sockets, streams."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.root = base_url + NOTIFICATIONS + "/"
        scheme, rest = base_url.split("://", 1)
        self.socket_root = ("wss" if scheme == "https" else "ws") + "://" + rest + NOTIFICATIONS + "/"

    def service(self, kind: ChannelType) -> str:
        return f"{self.root}{kind.value}/"

    def channel(self, channel: Channel) -> str:
        return f"{self.root}{channel.type.value}/{channel.id}"

    def receive_from(self, kind: ChannelType, secret: str) -> str:
        """The capability URL a receiver connects to (WebSocket) or reads from (Streaming HTTP)."""
        if kind is ChannelType.WEBSOCKET:
            return f"{self.socket_root}{kind.value}/socket/{secret}"
        return f"{self.root}{kind.value}/stream/{secret}"

    @property
    def legacy(self) -> str:
        """solid-0.1: the socket `Updates-Via` names."""
        return self.socket_root + LEGACY_NAME

    @property
    def sender_document(self) -> str:
        return self.root + SENDER_NAME

    @property
    def sender(self) -> str:
        """WebhookChannel2023 §3: the WebID webhook deliveries are authenticated as."""
        return self.sender_document + "#it"


@cache  # one base URL per server, asked on every LDP response
def updates_via(base_url: str) -> str:
    """solid-0.1: the value of the `Updates-Via` header on LDP responses."""
    return NotificationUrls(base_url).legacy
