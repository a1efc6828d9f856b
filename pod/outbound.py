"""The one HTTP client for fetches the server makes itself: WebID profiles, JWKS, group documents, webhooks.

Every fetch has a timeout and a size cap, follows only http(s) redirects (a few), and by policy
refuses hosts that resolve to private, loopback or link-local addresses — checked on the
addresses actually connected to, so a DNS answer cannot point the server at its own network.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

MAX_REDIRECTS = 3
# Request headers that carry credentials: never sent on to another origin by a redirect
# (as browsers do for Authorization; a receiver must not be able to bounce them elsewhere).
CREDENTIAL_HEADERS = frozenset({"authorization", "dpop", "cookie", "proxy-authorization"})


class FetchError(Exception):
    """A fetch that failed or was refused; the message says why (safe to show to the requester)."""


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    timeout: float = 5.0
    max_bytes: int = 1024 * 1024
    # Loopback and private networks: allowed for development and tests, refused in production.
    allow_private: bool = False
    # Private networks fetched from even when allow_private is off (CIDR strings): an
    # organisation's own identity provider on its internal network, say.
    allowed_networks: tuple[str, ...] = ()

    def allows(self, address: str) -> bool:
        """Whether a connection to this IP address is allowed."""
        if self.allow_private or _is_public(address):
            return True
        ip = _plain_ip(address)
        return any(ip in ipaddress.ip_network(network, strict=False) for network in self.allowed_networks)


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str | None  # without parameters, lower-cased
    headers: dict[str, str]
    body: bytes


def _plain_ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _is_public(address: str) -> bool:
    ip = _plain_ip(address)
    return ip.is_global and not ip.is_multicast


class _PolicyResolver(AbstractResolver):
    """Resolves names but keeps only the addresses the policy allows (the ones connected to)."""

    def __init__(self, policy: FetchPolicy) -> None:
        self._resolver = DefaultResolver()
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        allowed = [r for r in results if self._policy.allows(r["host"])]
        if not allowed:
            # With an errno and a strerror: aiohttp's connection error shows only the strerror.
            raise OSError(errno.EACCES, f"{host} resolves only to private or loopback addresses")
        return allowed

    async def close(self) -> None:
        await self._resolver.close()


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class OutboundClient:
    """Fetches with one shared aiohttp session; create once per app, close on shutdown."""

    def __init__(self, policy: FetchPolicy = FetchPolicy()) -> None:
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            resolver: AbstractResolver = (
                DefaultResolver() if self.policy.allow_private else _PolicyResolver(self.policy)
            )
            connector = aiohttp.TCPConnector(resolver=resolver, limit=64, ttl_dns_cache=60)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.policy.timeout),
                headers={"User-Agent": "pod (Solid pod server)"},
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"only http and https URLs are fetched, not {url[:200]!r}")
        if not self.policy.allow_private:
            try:
                allowed = self.policy.allows(parts.hostname.strip("[]"))
            except ValueError:
                return  # a name, not an address: the resolver checks what it resolves to
            if not allowed:
                raise FetchError(f"{parts.hostname} is a private or loopback address")

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        redirect_allowed: Callable[[str], bool] | None = None,
    ) -> Fetched:
        """One request, redirects followed by hand so that each hop is checked.

        `redirect_allowed`, when given, must accept every URL a redirect leads to (an allow-list).
        """
        session = self._client_session()
        try:
            async with asyncio.timeout(self.policy.timeout):
                for _ in range(MAX_REDIRECTS + 1):
                    self._check_url(url)
                    async with session.request(
                        method, url, headers=headers, data=data, allow_redirects=False
                    ) as response:
                        if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                            target = urljoin(url, response.headers["Location"])
                            if redirect_allowed is not None and not redirect_allowed(target):
                                raise FetchError(f"{url[:200]} redirects to {target[:200]}: not allowed")
                            if headers and _origin(target) != _origin(url):
                                headers = {
                                    k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS
                                }
                            url = target
                            if response.status == 303:
                                method, data = "GET", None
                            continue
                        body = await self._read_capped(response)
                        content_type = response.headers.get("Content-Type")
                        return Fetched(
                            str(response.url),
                            response.status,
                            content_type.split(";", 1)[0].strip().lower() if content_type else None,
                            dict(response.headers),
                            body,
                        )
                raise FetchError(f"more than {MAX_REDIRECTS} redirects")
        except TimeoutError as error:
            raise FetchError(
                f"no answer from {urlsplit(url).netloc} within {self.policy.timeout} s"
            ) from error
        except (aiohttp.ClientError, OSError, ValueError) as error:
            raise FetchError(f"could not fetch {url[:200]}: {error}") from error

    async def get(self, url: str, *, accept: str = "*/*", **headers: Any) -> Fetched:
        return await self.request("GET", url, headers={"Accept": accept, **headers})

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        cap = self.policy.max_bytes
        if response.content_length is not None and response.content_length > cap:
            raise FetchError(f"the response is larger than {cap} bytes")
        chunks, total = [], 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            total += len(chunk)
            if total > cap:
                raise FetchError(f"the response is larger than {cap} bytes")
            chunks.append(chunk)
        return b"".join(chunks)
