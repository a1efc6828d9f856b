"""The OpenID provider, built once from the settings and wired into the application's router."""

from __future__ import annotations

from aiohttp import web

from pod.auth.solid_oidc import (
    IssuerKeys,
    MemoryReplayCache,
    ReplayCache,
    SolidOidcVerifier,
    TokenPolicy,
)
from pod.auth.webid import WebIdProfiles
from pod.config import Settings
from pod.idp.oidc.authorization_endpoint import AuthorizationEndpoint
from pod.idp.oidc.client_auth import TOKEN_PATH
from pod.idp.oidc.client_documents import ClientDocuments
from pod.idp.oidc.client_lookup import ClientLookup
from pod.idp.oidc.codes import AuthorizationCodes
from pod.idp.oidc.consents import Consents, ConsentTrustedApps
from pod.idp.oidc.dpop import TokenEndpointProofs
from pod.idp.oidc.errors import OAuthError
from pod.idp.oidc.keys import SigningKeys
from pod.idp.oidc.logout import EndSession
from pod.idp.oidc.metadata_endpoints import MetadataEndpoints
from pod.idp.oidc.policy import LIFETIMES, Lifetimes
from pod.idp.oidc.refresh import RefreshTokens
from pod.idp.oidc.registration import RegisteredClients
from pod.idp.oidc.state import OidcState
from pod.idp.oidc.token_endpoint import TokenEndpoint
from pod.idp.oidc.tokens import TokenIssuer
from pod.outbound import OutboundClient
from pod.storage.internal import InternalState

# Mirrors CSS (node-oidc-provider mounted at /.oidc/); paths relative to the base URL.
PATHS = {
    "auth": ".oidc/auth",
    "token": TOKEN_PATH,
    "jwks": ".oidc/jwks",
    "reg": ".oidc/reg",
    "end_session": ".oidc/session/end",
    "consent": ".oidc/consent",
}
DISCOVERY_PATH = ".well-known/openid-configuration"


def signing_keys(settings: Settings, state: InternalState, lifetimes: Lifetimes = LIFETIMES) -> SigningKeys:
    """The provider's signing keys over this state (the server and `pod oidc rotate-key` share this)."""
    return SigningKeys(OidcState(state), retention=lifetimes.key_retention(settings.clock_tolerance))


class OidcProvider:
    def __init__(
        self,
        settings: Settings,
        outbound: OutboundClient,
        state: InternalState,
        *,
        replay_cache: ReplayCache | None = None,
        lifetimes: Lifetimes = LIFETIMES,
    ) -> None:
        self.settings = settings
        self.issuer = settings.base_url  # exactly as configured: the iss of every token
        self.urls = {name: settings.base_url + path for name, path in PATHS.items()}
        records = OidcState(state)
        self.keys = signing_keys(settings, state, lifetimes)
        self.consents = Consents(records)
        self.registered = RegisteredClients(records)
        self.clients = ClientLookup(ClientDocuments(outbound, ttl=lifetimes.client_document), self.registered)
        self.refresh_tokens = RefreshTokens(records, lifetimes.refresh_token)
        codes = AuthorizationCodes(lifetimes.code)
        policy = TokenPolicy(clock_tolerance=settings.clock_tolerance, dpop_window=settings.dpop_window)
        # The resource server's own proof checks (its key and profile caches stay unused here).
        verifier = SolidOidcVerifier(
            IssuerKeys(outbound), WebIdProfiles(outbound), MemoryReplayCache(), policy
        )
        proofs = TokenEndpointProofs(
            verifier,
            replay_cache if replay_cache is not None else MemoryReplayCache(),
            policy,
            self.urls["token"],
        )
        self.authorization = AuthorizationEndpoint(
            issuer=self.issuer,
            auth_url=self.urls["auth"],
            consent_url=self.urls["consent"],
            clients=self.clients,
            consents=self.consents,
            codes=codes,
            interaction_ttl=lifetimes.interaction,
        )
        self.token = TokenEndpoint(
            clients=self.clients,
            codes=codes,
            refresh_tokens=self.refresh_tokens,
            proofs=proofs,
            issuer=TokenIssuer(self.issuer, self.keys, lifetimes),
            lifetimes=lifetimes,
        )
        self.metadata = MetadataEndpoints(self.issuer, self.urls, self.keys, self.registered)
        self.end_session = EndSession(
            issuer=self.issuer, end_session_url=self.urls["end_session"], clients=self.clients, keys=self.keys
        )

    @property
    def trusted_apps(self) -> ConsentTrustedApps:
        """For WAC (pod.wac.origins.TrustedApps): origins of apps a local WebID approved."""
        return ConsentTrustedApps(self.consents)

    async def approved(self, webid: str, client_id_or_origin: str) -> bool:
        """Whether `webid` approved this app (its client_id, or an app at this origin) when asked."""
        return await self.consents.approved(webid, client_id_or_origin)

    async def start(self, app: web.Application) -> None:
        """On start-up: the first signing key exists before any request, expired refresh tokens go."""
        await self.keys.ensure()
        await self.refresh_tokens.prune()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        """Register the provider's routes; call before the LDP catch-all route."""
        base = self.settings.base_path
        router.add_get(base + DISCOVERY_PATH, self.metadata.discovery)
        router.add_get(base + PATHS["jwks"], self.metadata.jwks)
        router.add_route("GET", base + PATHS["auth"], self.authorization.authorize)
        router.add_route("POST", base + PATHS["auth"], self.authorization.authorize)
        router.add_post(base + PATHS["consent"], self.authorization.consent)
        router.add_post(base + PATHS["token"], self.token.handle)
        router.add_post(base + PATHS["reg"], self.metadata.register)
        router.add_route("GET", base + PATHS["end_session"], self.end_session.handle)
        router.add_route("POST", base + PATHS["end_session"], self.end_session.handle)
        # Anything else under these paths is the provider's too: never an LDP resource.
        router.add_route("*", base + DISCOVERY_PATH, _not_allowed)
        router.add_route("*", base + r".oidc/{tail:.*}", _not_found)


async def _not_allowed(request: web.Request) -> web.StreamResponse:
    return OAuthError("invalid_request", f"{request.method} is not allowed here", status=405).response()


async def _not_found(request: web.Request) -> web.StreamResponse:
    return OAuthError("invalid_request", "no such endpoint of the OpenID provider", status=404).response()


OIDC_PROVIDER = web.AppKey("oidc_provider", OidcProvider)
