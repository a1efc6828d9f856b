"""Which URLs can be a topic: resources on this server (not another server's, not the server's own pages)."""

from __future__ import annotations

from urllib.parse import urlsplit

from pod.errors import UnprocessableContent
from pod.ldp.identifiers import ResourceIdentifier, parse_path
from pod.ldp.storages import Storages


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def topic_identifier(url: str, base_url: str, storages: Storages) -> ResourceIdentifier:
    """The resource a topic URL names; 422 when it is not a resource this server serves."""
    try:
        parts = urlsplit(url)
        same_origin = _origin(url) == _origin(base_url)
    except ValueError as error:
        raise UnprocessableContent(f"the topic is not a URL: {error}") from error
    base_path = urlsplit(base_url).path or "/"
    if not same_origin or not parts.path.startswith(base_path):
        raise UnprocessableContent(f"the topic {url[:200]} is not on this server ({base_url})")
    if parts.query:
        raise UnprocessableContent("a topic is a resource URL without a query")
    identifier = parse_path("/" + parts.path[len(base_path) :])  # a bad path is a 400, as for any request
    if storages.is_reserved(identifier):
        raise UnprocessableContent(f"{identifier} is served by the server itself: it is not a resource")
    return identifier
