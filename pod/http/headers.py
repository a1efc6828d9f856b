"""Request headers read into values (conditions, ranges, links) and the Solid response headers."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from pod.ldp.conditions import NO_CONDITIONS, Conditions, EntityTag
from pod.ldp.identifiers import AuxiliaryKind
from pod.ldp.operations import ByteRange, ResourceKind
from pod.rdf.formats import RDF_MEDIA_TYPES
from pod.rdf.patch import ACCEPT_PATCH

LDP = "http://www.w3.org/ns/ldp#"
PIM_STORAGE = "http://www.w3.org/ns/pim/space#Storage"
STORAGE_DESCRIPTION_REL = "http://www.w3.org/ns/solid/terms#storageDescription"

ACCEPT_PATCH_VALUE = ", ".join(ACCEPT_PATCH)
ACCEPT_RDF_OR_ANY = ", ".join((*RDF_MEDIA_TYPES, "*/*"))

_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*(?:,|$)')
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_BYTE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _entity_tags(value: str | None) -> tuple[EntityTag, ...]:
    if value is None:
        return ()
    if value.strip() == "*":
        return (EntityTag("*"),)
    tags = []
    position = 0
    while position < len(value):
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            break  # an unparseable list matches nothing, as a list of unknown tags would not
        tags.append(EntityTag(match.group(2), weak=bool(match.group(1))))
        position = match.end()
    return tuple(tags) or (EntityTag("\x00unparseable"),)


def _http_date(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None  # RFC 9110 §13.1.3: an invalid date is ignored
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


# The request headers that make a request conditional (RFC 9110 §13.1).
CONDITIONAL_HEADERS = ("If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since")


def conditions_from(headers: Mapping[str, str]) -> Conditions:
    for name in CONDITIONAL_HEADERS:
        if name in headers:
            break
    else:
        return NO_CONDITIONS  # most requests
    return Conditions(
        if_match=_entity_tags(headers.get("If-Match")),
        if_none_match=_entity_tags(headers.get("If-None-Match")),
        if_modified_since=_http_date(headers.get("If-Modified-Since")),
        if_unmodified_since=_http_date(headers.get("If-Unmodified-Since")),
    )


def byte_range_from(headers: Mapping[str, str]) -> ByteRange | None:
    """A single `bytes=` range; anything else (several ranges, other units) is served whole."""
    value = headers.get("Range")
    if value is None:
        return None
    match = _BYTE_RANGE.match(value.strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    start = int(match.group(1)) if match.group(1) else None
    end = int(match.group(2)) if match.group(2) else None
    if start is not None and end is not None and end < start:
        return None
    if_range: str | int | None = headers.get("If-Range")
    if isinstance(if_range, str) and not if_range.strip().startswith(('"', "W/")):
        # A date; one that does not parse can never match, so the whole resource is sent.
        if_range = _http_date(if_range) or -1
    return ByteRange(start, end, if_range.strip() if isinstance(if_range, str) else if_range)


def link_targets(headers_values: list[str], rel: str) -> list[str]:
    """The targets of the Link header values that have the given relation type."""
    targets = []
    for value in headers_values:
        for match in _LINK.finditer(value):
            params = match.group(2)
            for param in params.split(";"):
                name, _, param_value = param.strip().partition("=")
                if name.strip().lower() == "rel" and rel in param_value.strip().strip('"').split():
                    targets.append(match.group(1))
    return targets


@functools.lru_cache(maxsize=1024)
def http_date(seconds: int) -> str:
    return format_datetime(datetime.fromtimestamp(seconds, UTC), usegmt=True)


def type_links(kind: ResourceKind, *, is_storage: bool) -> list[str]:
    """Solid Protocol §4: the interaction model of a resource, as `rel="type"` links."""
    types = [LDP + "Resource"]
    if kind is ResourceKind.CONTAINER:
        types += [LDP + "Container", LDP + "BasicContainer"]
    elif kind is ResourceKind.RDF_DOCUMENT:
        types.append(LDP + "RDFSource")
    else:
        types.append(LDP + "NonRDFSource")
    if is_storage:
        types.append(PIM_STORAGE)
    return [f'<{t}>; rel="type"' for t in types]


def auxiliary_links(url_of: dict[str, str], kind: AuxiliaryKind | None) -> list[str]:
    """Solid Protocol §4.3: where a resource's ACL and description are, or what a description is about."""
    if kind is None:
        return [f'<{url_of["acl"]}>; rel="acl"', f'<{url_of["describedby"]}>; rel="describedby"']
    if kind is AuxiliaryKind.DESCRIPTION:
        return [f'<{url_of["describes"]}>; rel="describes"']
    return []


def allowed_methods(kind: ResourceKind | None, *, deletable: bool) -> list[str]:
    """The methods a resource supports, by what it is (or would be, when it does not exist yet)."""
    methods = ["OPTIONS", "HEAD", "GET"]
    if kind is None:
        return [*methods, "PUT", "PATCH"]
    if kind is ResourceKind.CONTAINER:
        methods += ["POST", "PATCH"]
    elif kind is ResourceKind.RDF_DOCUMENT:
        methods += ["PUT", "PATCH"]
    else:
        methods.append("PUT")
    if deletable:
        methods.append("DELETE")
    return methods


def accept_headers(methods: list[str]) -> dict[str, str]:
    """Solid Protocol §5.2: Accept-Patch, Accept-Post and Accept-Put for the methods in Allow."""
    headers = {}
    if "PATCH" in methods:
        headers["Accept-Patch"] = ACCEPT_PATCH_VALUE
    if "POST" in methods:
        headers["Accept-Post"] = ACCEPT_RDF_OR_ANY
    if "PUT" in methods:
        headers["Accept-Put"] = ACCEPT_RDF_OR_ANY
    return headers
