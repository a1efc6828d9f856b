"""Shared fixtures: a real server on a loopback port, over the file store and the memory store."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from pod.app import make_app
from pod.config import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture(params=["file", "memory"])
def storage(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_client(aiohttp_server: Any, aiohttp_client: Any, tmp_path: Path, storage: str) -> ClientFactory:
    """Start a server with the given Settings overrides; its base URL is http://127.0.0.1:{port}/."""

    async def start(**overrides: Any) -> TestClient[Any, Any]:
        port = free_port()
        # The tests written before pods existed serve one storage at the root: single-user mode.
        overrides.setdefault("single_user", True)
        settings = Settings(
            host="127.0.0.1",
            port=port,
            data_dir=tmp_path / "data",
            storage=storage,
            **overrides,
        )
        server = await aiohttp_server(make_app(settings), port=port)
        return await aiohttp_client(server)  # type: ignore[no-any-return]

    return start


@pytest.fixture
async def client(make_client: ClientFactory) -> TestClient[Any, Any]:
    return await make_client()
