"""Where a webhook may point: https, to public addresses — unless the server runs in development mode,
where http to loopback (a receiver on the developer's machine) is allowed too. The outbound client
checks the addresses again on every delivery, so a DNS answer that changes later gains nothing."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from pod.config import LOOPBACK_HOSTS
from pod.errors import UnprocessableContent

MAX_URL_LENGTH = 2048


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check_send_to(url: str, *, development: bool) -> str:
    """`url` if notifications may be POSTed there; otherwise a 422 saying why."""
    if len(url) > MAX_URL_LENGTH:
        raise UnprocessableContent(f"sendTo is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UnprocessableContent(f"sendTo is not a URL: {error}") from error
    if not host or parts.scheme not in ("http", "https"):
        raise UnprocessableContent("sendTo must be an absolute https URL")
    if parts.username is not None or parts.password is not None:
        raise UnprocessableContent("sendTo may not carry credentials in the URL")
    loopback = host in LOOPBACK_HOSTS
    # WebhookChannel2023 §2: sendTo MUST use https. Development mode: http to loopback too.
    if parts.scheme != "https" and not (development and loopback):
        raise UnprocessableContent("sendTo must be an https URL")
    if development:
        return url
    try:
        addresses = [host] if _is_ip(host) else await _resolve(host, port)
    except OSError as error:
        raise UnprocessableContent(f"the host of sendTo, {host[:200]}, does not resolve: {error}") from error
    # SSRF: the server's own network is not a notification receiver.
    if not addresses or not all(_is_public(address) for address in addresses):
        raise UnprocessableContent(f"sendTo points at a private or loopback address ({host[:200]})")
    return url


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]
