"""Browser origins in WAC (WAC §Web Origin Authorization) and the seam for apps an agent trusts."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

from pod.auth.credentials import Credentials

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_origin(value: str) -> str:
    """An origin as `scheme://host[:port]`, lower-cased, default port dropped (RFC 6454 §4).

    ACL documents write origins as IRIs (`<https://app.example/>`), browsers send
    `https://app.example`: both become the same string here.
    """
    parts = urlsplit(value.strip())
    if not parts.scheme or not parts.hostname:
        return value.strip().rstrip("/").lower()
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        return value.strip().rstrip("/").lower()
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


class TrustedApps(Protocol):
    """Whether the requesting agent has approved the app at an origin (DESIGN "Browser origins").

    Local accounts: apps approved on this server's consent screen (identity-provider issue).
    Remote agents: `acl:trustedApp` in their WebID profile, as NSS did (WebID issue). Until those
    land, `NoTrustedApps` is used and only the other ways for an origin to pass apply.
    """

    async def trusts(self, credentials: Credentials, origin: str) -> bool: ...


class NoTrustedApps:
    async def trusts(self, credentials: Credentials, origin: str) -> bool:
        return False
