"""Two full servers (separate data folders, ports and OpenID providers), Alice on A and Bob on B."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from pod.app import make_app
from pod.config import Settings
from pod.federation.people import Person, create_person
from tests.conftest import free_port

PASSWORD = "a long test password"


@dataclass(frozen=True)
class Servers:
    a: str  # base URLs
    b: str
    app_a: web.Application
    app_b: web.Application
    data_a: Path
    data_b: Path


async def start_server(aiohttp_server: Any, data_dir: Path, **overrides: Any) -> tuple[str, web.Application]:
    """A full server on a fixed loopback port, its base URL the address it listens on (Settings overrides)."""
    port = free_port()
    settings = Settings(host="127.0.0.1", port=port, data_dir=data_dir, single_user=False, **overrides)
    app = make_app(settings)
    await aiohttp_server(app, port=port)
    return settings.base_url, app


@pytest.fixture
async def servers(aiohttp_server: Any, tmp_path: Path) -> Servers:
    a, app_a = await start_server(aiohttp_server, tmp_path / "a")
    b, app_b = await start_server(aiohttp_server, tmp_path / "b")
    return Servers(a, b, app_a, app_b, tmp_path / "a", tmp_path / "b")


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def alice(http: aiohttp.ClientSession, servers: Servers) -> Person:
    return await create_person(http, servers.a, "alice", PASSWORD)


@pytest.fixture
async def bob(http: aiohttp.ClientSession, servers: Servers) -> Person:
    return await create_person(http, servers.b, "bob", PASSWORD)


async def as_person(
    http: aiohttp.ClientSession,
    person: Person | None,
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request as `person` (None: anonymous): status, headers (last of each name) and body."""
    sent = dict(headers or {})
    if person is not None:
        sent.update(await person.session(http).headers(method, url))
    async with http.request(method, url, data=body, headers=sent, allow_redirects=False) as answer:
        return answer.status, dict(answer.headers), await answer.read()
