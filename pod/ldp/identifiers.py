"""Resource identifiers: request paths checked and made canonical, slash semantics, auxiliary resources."""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote_to_bytes

from pod.errors import BadRequest, UriTooLong

# Longest name (in UTF-8 bytes) a path segment may have; leaves room on disk for encoding.
MAX_NAME_BYTES = 200
MAX_DEPTH = 64
# Longest path (its names' UTF-8 bytes together), so that as a file path it stays under PATH_MAX
# (4096) with the data folder's own path in front; a name's encoding can still overflow (then 414).
MAX_PATH_BYTES = 3072

_PERCENT_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# RFC 3986 pchar minus "%": the characters a canonical segment keeps as they are.
_SEGMENT_SAFE = "!$&'()*+,;=:@-._~"
# A path of such characters only (no percent-escape) is canonical as it is.
_CANONICAL_PATH = re.compile(r"[A-Za-z0-9!$&'()*+,;=:@\-._~/]*")


class AuxiliaryKind(enum.Enum):
    """Solid Protocol §4.3 Auxiliary Resources: the kinds this server manages."""

    ACL = ".acl"
    DESCRIPTION = ".meta"


@functools.lru_cache(maxsize=4096)
def _encode_segment(segment: str) -> str:
    """A decoded name as it appears in a canonical path (names repeat: the answers are kept)."""
    return quote(segment, safe=_SEGMENT_SAFE)


_AUXILIARY_SUFFIXES = tuple(kind.value for kind in AuxiliaryKind)
_ACL_SUFFIX = AuxiliaryKind.ACL.value


@dataclass(frozen=True, slots=True)
class ResourceIdentifier:
    """A resource named by its decoded path segments; a trailing empty segment marks a container."""

    segments: tuple[str, ...]
    is_container: bool
    # The canonical percent-encoded path below the base URL, starting with '/' (computed once).
    # Given only by the methods below, which derive it from a related identifier's path.
    path: str = field(default="", compare=False, repr=False)
    _parent: ResourceIdentifier | None = field(init=False, compare=False, repr=False, default=None)

    def __hash__(self) -> int:
        return hash(self.path)  # equal identifiers have equal paths; a str caches its hash

    def __post_init__(self) -> None:
        if self.path:
            return
        encoded = "/".join(map(_encode_segment, self.segments))
        path = "/" + encoded + ("/" if self.is_container and self.segments else "")
        object.__setattr__(self, "path", path)

    @property
    def name(self) -> str:
        return self.segments[-1] if self.segments else ""

    @property
    def is_root(self) -> bool:
        return not self.segments

    @property
    def parent(self) -> ResourceIdentifier | None:
        if not self.segments:
            return None
        parent = self._parent
        if parent is None:  # asked for again and again on every request: made once
            parent = _container(self.segments[:-1])
            object.__setattr__(self, "_parent", parent)
        return parent

    def ancestors(self) -> list[ResourceIdentifier]:
        """The containers above this resource, nearest first, ending with the root."""
        found = []
        ancestor = self.parent
        while ancestor is not None:
            found.append(ancestor)
            ancestor = ancestor.parent
        return found

    def child(self, name: str, *, container: bool = False) -> ResourceIdentifier:
        assert self.is_container, "only containers have children"
        name = check_name(name)
        path = self.path + _encode_segment(name) + ("/" if container else "")
        return ResourceIdentifier((*self.segments, name), container, path)

    def with_slash_toggled(self) -> ResourceIdentifier:
        """The identifier that differs only in the trailing slash (Solid Protocol §3.1)."""
        if not self.segments:
            return ResourceIdentifier((), not self.is_container)
        path = self.path[:-1] if self.is_container else self.path + "/"
        return ResourceIdentifier(self.segments, not self.is_container, path)

    @property
    def auxiliary_kind(self) -> AuxiliaryKind | None:
        if self.is_container or not self.segments:
            return None
        name = self.segments[-1]
        if not name.endswith(_AUXILIARY_SUFFIXES):
            return None
        return AuxiliaryKind.ACL if name.endswith(_ACL_SUFFIX) else AuxiliaryKind.DESCRIPTION

    @property
    def is_auxiliary(self) -> bool:
        """Whether `auxiliary_kind` is not None, told from the path alone (cheaper, for listings):
        a container's path ends with '/', and the suffixes are written as they are."""
        return self.path.endswith(_AUXILIARY_SUFFIXES)

    @property
    def has_auxiliary_container(self) -> bool:
        """Whether this path makes a container of an auxiliary name (like `/c/.acl/x`): never allowed."""
        containers = self.segments if self.is_container else self.segments[:-1]
        return any(name.endswith(_AUXILIARY_SUFFIXES) for name in containers)

    @property
    def subject(self) -> ResourceIdentifier:
        """For an auxiliary resource, the resource it is about; otherwise itself."""
        kind = self.auxiliary_kind
        if kind is None:
            return self
        stem = self.name[: -len(kind.value)]
        if not stem:  # "/c/.acl" is about the container "/c/"
            return ResourceIdentifier(self.segments[:-1], True)
        return ResourceIdentifier((*self.segments[:-1], stem), False)

    def auxiliary(self, kind: AuxiliaryKind) -> ResourceIdentifier:
        """The auxiliary resource of the given kind that is about this resource."""
        # The suffixes need no percent-encoding: the path is this one's with the suffix added.
        path = self.path + kind.value
        if self.is_container:
            return ResourceIdentifier((*self.segments, kind.value), False, path)
        return ResourceIdentifier((*self.segments[:-1], self.name + kind.value), False, path)

    def is_ancestor_of(self, other: ResourceIdentifier) -> bool:
        return (
            self.is_container
            and len(other.segments) > len(self.segments)
            and other.segments[: len(self.segments)] == self.segments
        )

    def __str__(self) -> str:
        return self.path


ROOT = ResourceIdentifier((), True)


@functools.lru_cache(maxsize=8192)
def _container(segments: tuple[str, ...]) -> ResourceIdentifier:
    """The container with these segments, one object for all its members: each made once, with its
    own parent (and so every ancestor) made once too, so walking up a path creates nothing new."""
    return ResourceIdentifier(segments, True)


def check_name(name: str) -> str:
    """A single path segment as a resource name, or a 4xx saying why it cannot be one."""
    if name in ("", ".", ".."):
        raise BadRequest(f"{name!r} is not a resource name: empty and dot segments are not allowed")
    if "/" in name:
        raise BadRequest("a resource name may not contain an encoded slash (%2F)")
    if _CONTROL.search(name):
        raise BadRequest("a resource name may not contain control characters (%00-%1F, %7F)")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise UriTooLong(f"a resource name may be at most {MAX_NAME_BYTES} bytes long")
    return name


def decode_segment(raw: str) -> str:
    """Strictly percent-decode one raw path segment as UTF-8."""
    if "%" not in raw:
        return raw  # nothing to decode (the common case)
    if _PERCENT_ESCAPE.search(raw):
        raise BadRequest(f"malformed percent-encoding in path segment {raw[:80]!r}")
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest("path segment is not valid UTF-8 once percent-decoded") from error


def parse_path(raw_path: str) -> ResourceIdentifier:
    """Turn the raw (still percent-encoded) path below the base URL into an identifier.

    `raw_path` starts with '/'. Every bad input is a 4xx here, so nothing below this ever
    sees a dot segment, an encoded slash, NUL or an over-long name.
    """
    if not raw_path.startswith("/"):
        raise BadRequest("the request path must start with '/'")
    raw_segments = raw_path[1:].split("/")
    is_container = raw_segments[-1] == ""
    if is_container:
        raw_segments.pop()
    if len(raw_segments) > MAX_DEPTH:
        raise UriTooLong(f"paths may be at most {MAX_DEPTH} segments deep")
    segments = tuple(check_name(decode_segment(raw)) for raw in raw_segments)
    canonical = _CANONICAL_PATH.fullmatch(raw_path) is not None  # as it would be written: kept as it is
    # (A canonical path is ASCII, and decoding only shortens a path: no need to count its names.)
    if not (canonical and len(raw_path) <= MAX_PATH_BYTES) and (
        sum(len(name.encode("utf-8")) + 1 for name in segments) > MAX_PATH_BYTES
    ):
        raise UriTooLong(f"paths may be at most {MAX_PATH_BYTES} bytes long")
    identifier = ResourceIdentifier(segments, is_container, raw_path if canonical else "")
    if identifier.auxiliary_kind is not None and identifier.subject.name in (".", ".."):
        raise BadRequest(f"{identifier.name!r} would be an auxiliary resource of a dot segment")
    return identifier
