"""The WAC access modes (WAC §Access Modes)."""

from __future__ import annotations

import enum


class AccessMode(enum.Enum):
    READ = "http://www.w3.org/ns/auth/acl#Read"
    APPEND = "http://www.w3.org/ns/auth/acl#Append"
    WRITE = "http://www.w3.org/ns/auth/acl#Write"
    CONTROL = "http://www.w3.org/ns/auth/acl#Control"


AccessModes = frozenset[AccessMode]
