"""The WAC access modes (WAC §Access Modes) and how they are named in a WAC-Allow header."""

from __future__ import annotations

import enum
import functools


class AccessMode(enum.Enum):
    READ = "http://www.w3.org/ns/auth/acl#Read"
    APPEND = "http://www.w3.org/ns/auth/acl#Append"
    WRITE = "http://www.w3.org/ns/auth/acl#Write"
    CONTROL = "http://www.w3.org/ns/auth/acl#Control"


AccessModes = frozenset[AccessMode]

NO_MODES: AccessModes = frozenset()
ALL_MODES: AccessModes = frozenset(AccessMode)

# WAC §wac-allow HTTP Header: the access-mode tokens, in the order this server lists them.
_HEADER_NAMES = {
    AccessMode.READ: "read",
    AccessMode.WRITE: "write",
    AccessMode.APPEND: "append",
    AccessMode.CONTROL: "control",
}


def with_implied(modes: AccessModes) -> AccessModes:
    """The modes together with those they imply: WAC §Access Modes, acl:Append is a subclass of acl:Write."""
    if AccessMode.WRITE in modes and AccessMode.APPEND not in modes:
        return modes | {AccessMode.APPEND}
    return modes


def mode_from_iri(iri: str) -> AccessMode | None:
    """The mode an IRI names; None for modes this server does not know (they never widen access)."""
    try:
        return AccessMode(iri)
    except ValueError:
        return None


def header_tokens(modes: AccessModes) -> str:
    """Space-separated lower-case mode names, as a WAC-Allow access-modes value."""
    granted = with_implied(modes)
    return " ".join(name for mode, name in _HEADER_NAMES.items() if mode in granted)


@functools.cache  # a few dozen combinations of modes exist: each header is made once
def wac_allow_value(user: AccessModes, public: AccessModes) -> str:
    """WAC §wac-allow HTTP Header: the field value for the `user` and `public` permission groups."""
    return f'user="{header_tokens(user)}",public="{header_tokens(public)}"'


def describe(modes: AccessModes) -> str:
    """Modes for a person to read in an error message: 'Read and Write'."""
    names = [mode.name.capitalize() for mode in AccessMode if mode in modes]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
