"""The one HTTP client for fetches the server makes itself: WebID profiles, JWKS, group documents, webhooks.

Every fetch has a timeout and a size cap, follows only http(s) redirects (a few), and by policy
refuses hosts that resolve to private, loopback or link-local addresses — checked on the
addresses actually connected to, so a DNS answer cannot point the server at its own network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

MAX_REDIRECTS = 3


class FetchError(Exception):
    """A fetch that failed or was refused; the message says why (safe to show to the requester)."""


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    timeout: float = 5.0
    max_bytes: int = 1024 * 1024
    # Loopback and private networks: allowed for development and tests, refused in production.
    allow_private: bool = False


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # after redirects
    status: int
    content_type: str | None  # without parameters, lower-cased
    headers: dict[str, str]
    body: bytes


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class _PublicOnlyResolver(AbstractResolver):
    """Resolves names but keeps only public addresses (the ones the connection will use)."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        public = [r for r in results if _is_public(r["host"])]
        if not public:
            raise OSError(f"{host} resolves only to private or loopback addresses")
        return public

    async def close(self) -> None:
        await self._resolver.close()


class OutboundClient:
    """Fetches with one shared aiohttp session; create once per app, close on shutdown."""

    def __init__(self, policy: FetchPolicy = FetchPolicy()) -> None:
        self.policy = policy
        self._session: aiohttp.ClientSession | None = None

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            resolver: AbstractResolver = (
                DefaultResolver() if self.policy.allow_private else _PublicOnlyResolver()
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
                if not _is_public(parts.hostname.strip("[]")):
                    raise FetchError(f"{parts.hostname} is a private or loopback address")
            except ValueError:
                pass  # a name, not an address: the resolver checks what it resolves to

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
    ) -> Fetched:
        """One request, redirects followed by hand so that each hop is checked."""
        session = self._client_session()
        try:
            async with asyncio.timeout(self.policy.timeout):
                for _ in range(MAX_REDIRECTS + 1):
                    self._check_url(url)
                    async with session.request(
                        method, url, headers=headers, data=data, allow_redirects=False
                    ) as response:
                        if response.status in (301, 302, 303, 307, 308) and "Location" in response.headers:
                            url = urljoin(url, response.headers["Location"])
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
