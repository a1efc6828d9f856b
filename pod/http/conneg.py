"""Media-type negotiation: Accept headers with q-values (RFC 9110 §12.5.1)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pod.errors import BadRequest

_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_MEDIA_TYPE = re.compile(rf"^({_TOKEN})/({_TOKEN})$")


@dataclass(frozen=True, slots=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """How specifically this range matches a media type: 2 exact, 1 type/*, 0 */*, -1 not."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


@functools.lru_cache(maxsize=512)  # clients send the same few Accept headers again and again
def parse_accept(header: str | None) -> tuple[MediaRange, ...]:
    """The ranges of an Accept header; a missing or empty header accepts anything."""
    if not header or not header.strip():
        return (MediaRange("*", "*", 1.0),)
    ranges = []
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        kind, _, sub = fields[0].lower().partition("/")
        if not kind:
            continue
        if not sub:
            sub = "*" if kind == "*" else ""
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if sub:
            ranges.append(MediaRange(kind, sub, q))
    return tuple(ranges)


def negotiate(ranges: Sequence[MediaRange], available: Sequence[str]) -> str | None:
    """The available media type the client prefers most; ties go to the server's order."""
    return _negotiate(tuple(ranges), tuple(available))


@functools.lru_cache(maxsize=512)
def _negotiate(ranges: tuple[MediaRange, ...], available: tuple[str, ...]) -> str | None:
    chosen, best_q = None, 0.0
    for media_type in available:
        # The most specific matching range decides the quality of a type (RFC 9110 §12.5.1).
        matching = [(r.matches(media_type), r.q) for r in ranges if r.matches(media_type) >= 0]
        if matching and (q := max(matching)[1]) > best_q:
            chosen, best_q = media_type, q
    return chosen


def essence(content_type: str | None) -> str | None:
    """The media type of a Content-Type header without its parameters, lower-cased and checked."""
    if content_type is None:
        return None
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not _MEDIA_TYPE.match(media_type):
        raise BadRequest(f"the Content-Type {content_type[:100]!r} is not a media type")
    return media_type
