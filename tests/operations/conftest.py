"""A multi-user server with one pod, `alice`, whose owner every request is (the dev-only trusted WebID)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from pod.app import make_app
from pod.config import Settings
from pod.idp.setup import IDENTITY_PROVIDER
from tests.conftest import free_port

Client = TestClient[Any, Any]
ADMIN_TOKEN = "operator-secret-token-0123456789"


@dataclass
class Served:
    client: Client
    settings: Settings
    webid: str
    account_id: str

    @property
    def base(self) -> str:
        return self.settings.base_url


ServerFactory = Callable[..., Awaitable[Served]]


@pytest.fixture
def serve(aiohttp_server: Any, aiohttp_client: Any, tmp_path: Path) -> ServerFactory:
    async def start(**overrides: Any) -> Served:
        port = overrides.pop("port", None) or free_port()
        base = f"http://127.0.0.1:{port}/"
        overrides.setdefault("trusted_webid", f"{base}alice/profile/card#me")
        overrides.setdefault("data_dir", tmp_path / "data")
        settings = Settings(host="127.0.0.1", port=port, admin_token=ADMIN_TOKEN, **overrides)
        server = await aiohttp_server(make_app(settings), port=port)
        client: Client = await aiohttp_client(server)
        idp = server.app[IDENTITY_PROVIDER]
        account = await idp.accounts.by_email("alice@example.org")
        if account is None:
            account = await idp.accounts.create()
            await idp.accounts.add_password(account.id, "alice@example.org", "correct horse battery")
            await idp.pods.create(account, "alice")
        return Served(client, settings, f"{base}alice/profile/card#me", account.id)

    return start
