"""Client ID Documents (Solid-OIDC §5.1): fetch the JSON-LD a URL client_id names, check it, cache it.

Fetched through the server's OutboundClient (timeouts, size cap, private-address policy) and
expanded with pyld against the bundled Solid-OIDC context only: a document naming any other remote
context is refused, never fetched. Failures are remembered briefly, like successes for longer.
pyld is imported on the first Client ID Document, not at start-up: most servers never see one.
"""

from __future__ import annotations

import json
from typing import Any

from pod.auth.remote_cache import RemoteCache, RemoteError
from pod.idp.oidc.clients import Client, is_acceptable_client_id_url, is_redirect_uri
from pod.idp.oidc.errors import OAuthError
from pod.outbound import FetchError, OutboundClient
from pod.rdf.contexts import bundled_context

OIDC_CONTEXT = "https://www.w3.org/ns/solid/oidc-context.jsonld"
OIDC = "http://www.w3.org/ns/solid/oidc#"
ACCEPT = "application/ld+json, application/json;q=0.5"


def _only_the_oidc_context(url: str, options: Any = None) -> dict[str, Any]:
    from pyld import jsonld

    # DESIGN "Dependencies": JSON-LD never fetches a remote context at request time.
    if url.split("#", 1)[0].rstrip("/") in (OIDC_CONTEXT, OIDC_CONTEXT.replace("https:", "http:", 1)):
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": {"@context": bundled_context(OIDC_CONTEXT)},
            "contentType": "application/ld+json",
        }
    raise jsonld.JsonLdError(
        f"the remote context {url[:200]} is not one this server knows", "loading remote context failed"
    )


def _names_oidc_context(context: object) -> bool:
    contexts = context if isinstance(context, list) else [context]
    return any(
        isinstance(item, str) and item.replace("http:", "https:", 1) == OIDC_CONTEXT for item in contexts
    )


def _ids(node: dict[str, Any], term: str) -> tuple[str, ...]:
    return tuple(v["@id"] for v in node.get(OIDC + term, []) if isinstance(v, dict) and "@id" in v)


def _value(node: dict[str, Any], term: str) -> str | None:
    for value in node.get(OIDC + term, []):
        if isinstance(value, dict):
            found = value.get("@value", value.get("@id"))
            if isinstance(found, str):
                return found
    return None


def _strings(document: dict[str, Any], name: str) -> tuple[str, ...]:
    value = document.get(name, [])
    values = [value] if isinstance(value, str) else value
    return tuple(item for item in values if isinstance(item, str)) if isinstance(values, list) else ()


def parse_client_document(url: str, body: bytes) -> Client:
    """The Client a fetched document describes; RemoteError says what is wrong with it."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise RemoteError(f"the Client ID Document at {url[:200]} is not JSON") from error
    if not isinstance(document, dict):
        raise RemoteError(f"the Client ID Document at {url[:200]} is not a JSON object")
    # Solid-OIDC §5.1: the document MUST use the normative Solid-OIDC JSON-LD context.
    if not _names_oidc_context(document.get("@context")):
        raise RemoteError(f"the Client ID Document at {url[:200]} does not use the Solid-OIDC @context")
    from pyld import jsonld

    try:
        expanded = jsonld.expand(document, {"base": url, "documentLoader": _only_the_oidc_context})
    except jsonld.JsonLdError as error:
        raise RemoteError(f"the Client ID Document at {url[:200]} is not valid JSON-LD: {error}") from error
    nodes = [node for node in expanded if isinstance(node, dict) and node.get("@id") == url]
    # Solid-OIDC §5.1 / RFC 7591 §2: the document's client_id is its own URL.
    if len(nodes) != 1:
        stated = document.get("client_id")
        raise RemoteError(
            f"the Client ID Document's client_id {str(stated)[:200]!r} is not its URL {url[:200]}"
        )
    node = nodes[0]
    redirect_uris = _ids(node, "redirect_uris")
    if not redirect_uris or not all(is_redirect_uri(uri) for uri in redirect_uris):
        raise RemoteError(f"the Client ID Document at {url[:200]} lists no usable redirect_uris")
    method = _value(node, "token_endpoint_auth_method") or "none"
    if method != "none":
        # Solid-OIDC §5.1: a document client has no secret to authenticate with.
        raise RemoteError("a Client ID Document client authenticates with token_endpoint_auth_method none")
    return Client(
        client_id=url,
        redirect_uris=redirect_uris,
        kind="document",
        # Not a term of the Solid-OIDC context (so not in the expansion): read from the JSON itself.
        post_logout_redirect_uris=tuple(
            u for u in _strings(document, "post_logout_redirect_uris") if is_redirect_uri(u)
        ),
        client_name=_value(node, "client_name"),
        logo_uri=_value(node, "logo_uri"),
        client_uri=_value(node, "client_uri"),
        grant_types=_strings(document, "grant_types") or ("authorization_code", "refresh_token"),
    )


class ClientDocuments:
    def __init__(self, outbound: OutboundClient, *, ttl: float = 300.0, failure_ttl: float = 10.0) -> None:
        self.outbound = outbound
        self._cache: RemoteCache[Client] = RemoteCache(
            self._load, ttl=ttl, failure_ttl=failure_ttl, max_entries=1000
        )

    async def get(self, url: str) -> Client:
        """The client the document at `url` describes, or OAuthError invalid_client saying why not."""
        if not is_acceptable_client_id_url(url):
            raise OAuthError("invalid_client", f"the client_id {url[:200]!r} is not an https URL")
        try:
            return await self._cache.get(url)
        except RemoteError as error:
            raise OAuthError("invalid_client", str(error)) from error

    async def _load(self, url: str) -> Client:
        try:
            fetched = await self.outbound.get(url, accept=ACCEPT)
        except FetchError as error:
            raise RemoteError(f"the Client ID Document could not be fetched: {error}") from error
        if fetched.status != 200:
            raise RemoteError(f"the Client ID Document at {url[:200]} answered {fetched.status}")
        # Solid-OIDC §5.1: served as application/ld+json (plain JSON tolerated: it is parsed as JSON-LD).
        if fetched.content_type not in ("application/ld+json", "application/json"):
            raise RemoteError(
                f"the Client ID Document at {url[:200]} is {fetched.content_type or 'untyped'}, not JSON-LD"
            )
        return parse_client_document(url, fetched.body)
