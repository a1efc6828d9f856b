"""Fixtures for the WAC tests: agents who authenticate for real (Solid-OIDC)."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from joserfc.jwk import ECKey, OKPKey, RSAKey
from rdf_helpers import absolute

from tests.auth.conftest import IdentityProvider, dpop_headers, idp_app, proof, turtle_profile

Client = TestClient[Any, Any]


class Agents:
    """Alice and Bob: WebID profiles on a real identity provider that names itself as their issuer."""

    def __init__(self, idp: IdentityProvider) -> None:
        self.idp = idp
        self.alice = idp.publish_profile("alice", turtle_profile("me", idp.issuer)) + "#me"
        self.bob = idp.publish_profile("bob", turtle_profile("me", idp.issuer)) + "#me"
        self.key = ECKey.generate_key("P-256")  # the app's DPoP key

    def headers(self, client: Client, webid: str, method: str, path: str) -> dict[str, str]:
        """Authorization and DPoP headers for one request `method path` as `webid`."""
        token = self.idp.access_token(self.key, webid=webid)
        return dpop_headers(token, proof(self.key, method, absolute(client, path), token))


@pytest.fixture
async def agents(aiohttp_server: Any) -> Agents:
    ref: list[IdentityProvider] = []
    server = await aiohttp_server(idp_app(ref))
    key = ECKey.generate_key("P-256", {"kid": "es256-1"})
    rsa_key = RSAKey.generate_key(2048, {"kid": "rs256-1"})
    ed_key = OKPKey.generate_key("Ed25519", {"kid": "eddsa-1"})
    ref.append(IdentityProvider(server, key, rsa_key, ed_key, [key]))
    return Agents(ref[0])
