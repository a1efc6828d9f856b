"""Reading a subscription request: the body (JSON-LD, or other RDF) → the channel the client asks for.

Only what the body says is checked here (syntax, types, one topic, feature values); what the server
allows (topics on this server, Read, sendTo, lifetimes) is the subscription service's business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from pod.errors import BadRequest, UnprocessableContent, UnsupportedMediaType
from pod.ldp.storages import NOTIFY
from pod.notifications.channels import NOTIFICATION_CONTEXT, ChannelType
from pod.notifications.xsd import parse_datetime, parse_duration
from pod.rdf import formats
from pod.rdf.contexts import is_bundled

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
# The protocol's own name for the context (§2); the same terms as the bundled notification/v1.
PROTOCOL_CONTEXT = "https://www.w3.org/ns/solid/notifications-context/v1"
_CONTEXT_ALIASES = {
    PROTOCOL_CONTEXT: NOTIFICATION_CONTEXT,
    "http" + PROTOCOL_CONTEXT[5:]: NOTIFICATION_CONTEXT,
}
JSON_TYPES = (formats.JSON_LD, "application/json")
MAX_TEXT = 1024  # longest state or accept value


@dataclass(frozen=True, slots=True)
class Requested:
    """A channel as asked for: type and topic, and the features the client set."""

    type: ChannelType
    topic: str
    start_at: float | None = None
    end_at: float | None = None
    state: str | None = None
    rate: float | None = None
    accept: str | None = None
    send_to: str | None = None


def _media_type_and_profile(content_type: str | None) -> tuple[str, str | None]:
    if content_type is None:
        raise UnsupportedMediaType("a subscription request is JSON-LD: send Content-Type application/ld+json")
    media_type = content_type.split(";", 1)[0].strip().lower()
    profile = None
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "profile":
            profile = value.strip().strip('"')
    return media_type, profile


def _check_contexts(node: Any) -> Any:
    """Bundled contexts only (never fetched); the protocol's context URL stands for the bundled copy."""
    if isinstance(node, list):
        return [_check_contexts(item) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        result[key] = _context(value) if key == "@context" else _check_contexts(value)
    return result


def _context(value: Any) -> Any:
    if isinstance(value, list):
        return [_context(item) for item in value]
    if isinstance(value, str):
        value = _CONTEXT_ALIASES.get(value, value)
        if not is_bundled(value):
            # Solid Notifications Protocol §2.2: an unrecognised JSON-LD context is a 422.
            raise UnprocessableContent(f"the JSON-LD context {value[:200]!r} is not one this server knows")
    return value


def _json_ld_graph(body: bytes, media_type: str, base_iri: str) -> list[ox.Triple]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the subscription request is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise UnprocessableContent("a subscription request is one JSON object: the channel asked for")
    document = _check_contexts(document)
    if media_type == "application/json" and "@context" not in document:
        document["@context"] = NOTIFICATION_CONTEXT  # plain JSON: read with the protocol's context
    context = document.get("@context", [])
    # The specifications' examples write the type as a bare name ("WebSocketChannel2023"), which the
    # context leaves undefined: read bare names in the notify vocabulary.
    document["@context"] = [*(context if isinstance(context, list) else [context]), {"@vocab": NOTIFY}]
    try:
        return formats.parse(json.dumps(document).encode("utf-8"), formats.JSON_LD, base_iri)
    except BadRequest as error:
        raise UnprocessableContent(error.detail) from error


def request_graph(body: bytes, content_type: str | None, base_iri: str) -> list[ox.Triple]:
    """The statements of a subscription request: 415 for formats (or JSON-LD profiles) not read here."""
    media_type, profile = _media_type_and_profile(content_type)
    if media_type in JSON_TYPES:
        # Solid Notifications Protocol §2.2: an unsupported profile parameter is a 415.
        if profile is not None and _CONTEXT_ALIASES.get(profile, profile) != NOTIFICATION_CONTEXT:
            raise UnsupportedMediaType(f"the JSON-LD profile {profile[:200]!r} is not supported")
        return _json_ld_graph(body, media_type, base_iri)
    if formats.is_rdf(media_type):
        return formats.parse(body, media_type, base_iri)
    raise UnsupportedMediaType(
        f"a subscription request is JSON-LD (or another RDF format), not {media_type[:100]}"
    )


def _one(values: list[ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple], name: str) -> Any:
    if len(values) > 1:
        raise UnprocessableContent(f"a channel has at most one {name}; this request has {len(values)}")
    return values[0] if values else None


def _literal(values: list[Any], name: str, *, limit: int = MAX_TEXT) -> str | None:
    value = _one(values, name)
    if value is None:
        return None
    if not isinstance(value, ox.Literal):
        raise UnprocessableContent(f"{name} is a literal value, not {value}")
    if len(value.value) > limit:
        raise UnprocessableContent(f"{name} is longer than {limit} characters")
    return str(value.value)


def _iri(values: list[Any], name: str) -> str | None:
    value = _one(values, name)
    if value is None:
        return None
    if isinstance(value, ox.Literal):  # JSON-LD without "@type": "@id" coercion gives a string
        return str(value.value)
    if not isinstance(value, ox.NamedNode):
        raise UnprocessableContent(f"{name} is a URL, not {value}")
    return str(value.value)


def requested_channel(graph: list[ox.Triple]) -> Requested:
    """The one channel a request describes: the node with a notify:topic."""
    subjects = {t.subject for t in graph if t.predicate.value == NOTIFY + "topic"}
    if not subjects:
        raise UnprocessableContent("the request names no topic: the resource to hear about")
    if len(subjects) > 1:
        raise UnprocessableContent("a request describes one channel")
    node = subjects.pop()
    properties: dict[str, list[Any]] = {}
    for triple in graph:
        if triple.subject == node:
            properties.setdefault(triple.predicate.value, []).append(triple.object)
    types = [
        ChannelType.from_iri(t.value) for t in properties.get(RDF_TYPE, []) if isinstance(t, ox.NamedNode)
    ]
    known = {t for t in types if t is not None}
    if len(known) != 1:
        offered = ", ".join(kind.value for kind in ChannelType)
        raise UnprocessableContent(f"the channel type must be one of {offered}")
    topic = _iri(properties.get(NOTIFY + "topic", []), "topic")
    assert topic is not None
    start_at = _literal(properties.get(NOTIFY + "startAt", []), "startAt")
    end_at = _literal(properties.get(NOTIFY + "endAt", []), "endAt")
    rate = _literal(properties.get(NOTIFY + "rate", []), "rate")
    return Requested(
        type=known.pop(),
        topic=topic,
        start_at=None if start_at is None else parse_datetime(start_at, "startAt"),
        end_at=None if end_at is None else parse_datetime(end_at, "endAt"),
        state=_literal(properties.get(NOTIFY + "state", []), "state"),
        rate=None if rate is None else parse_duration(rate, "rate"),
        accept=_literal(properties.get(NOTIFY + "accept", []), "accept"),
        send_to=_iri(properties.get(NOTIFY + "sendTo", []), "sendTo"),
    )
