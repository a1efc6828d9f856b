"""Find the client a client_id names: a Client ID Document for URLs, else a registered client."""

from __future__ import annotations

from pod.idp.oidc.client_documents import ClientDocuments
from pod.idp.oidc.clients import Client, is_url_client_id
from pod.idp.oidc.errors import OAuthError
from pod.idp.oidc.registration import RegisteredClients


class ClientLookup:
    def __init__(self, documents: ClientDocuments, registered: RegisteredClients) -> None:
        self.documents = documents
        self.registered = registered

    async def find(self, client_id: str) -> Client:
        """The client, or OAuthError invalid_client naming what is wrong."""
        if not client_id:
            raise OAuthError("invalid_request", "client_id is missing")
        # Solid-OIDC §5: a URL is dereferenced as a Client ID Document; §5.2: otherwise registered.
        if is_url_client_id(client_id):
            return await self.documents.get(client_id)
        client = await self.registered.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", f"no client is registered as {client_id[:100]!r}")
        return client
