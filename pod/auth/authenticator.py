"""The Authenticator: from a request's method, URL and headers to the Credentials WAC decides on.

No Authorization header means an anonymous request. A `DPoP` (or, when allowed, `Bearer`)
token that fails any check is a 401 naming the check, with the challenges of RFC 9449 §7.1.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping

from multidict import MultiMapping

from pod.auth.credentials import ANONYMOUS, Credentials
from pod.auth.solid_oidc import (
    ALGORITHMS,
    InvalidToken,
    IssuerKeys,
    MemoryReplayCache,
    ReplayCache,
    SolidOidcVerifier,
    TokenPolicy,
)
from pod.auth.webid import WebIdProfiles
from pod.config import Settings
from pod.errors import Unauthorized
from pod.outbound import OutboundClient

log = logging.getLogger("pod.auth")

# RFC 6750 §2.1 / RFC 9449 §7.1: the token is a token68.
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_UNSAFE_IN_QUOTED_STRING = re.compile(r'[^\x20-\x7e]|["\\]')


def _quoted(text: str) -> str:
    # Reasons quote attacker-supplied values: keep the header value printable and unbreakable.
    return '"' + _UNSAFE_IN_QUOTED_STRING.sub("?", text[:300]) + '"'


def www_authenticate(error_description: str | None = None, *, scheme: str = "DPoP") -> str:
    """The WWW-Authenticate value: a DPoP and a Bearer challenge, the error on the scheme used.

    Without a description it is the plain challenge a 401 for an anonymous request carries.
    """
    error = (
        f', error="invalid_token", error_description={_quoted(error_description)}'
        if error_description is not None
        else ""
    )
    dpop = f'DPoP algs="{" ".join(ALGORITHMS)}"'
    # RFC 9449 §7.2: a server that knows both schemes offers both challenges.
    if scheme.lower() == "bearer":
        return f"Bearer{error[1:]}, {dpop}" if error else f"Bearer, {dpop}"
    return f"{dpop}{error}, Bearer"


class Authenticator:
    """Turns the credentials a request carries into Credentials, or refuses them with a 401."""

    def __init__(
        self,
        verifier: SolidOidcVerifier,
        *,
        allow_bearer: bool = False,
        trusted_webid: str | None = None,
    ) -> None:
        self.verifier = verifier
        self.allow_bearer = allow_bearer
        self.trusted_webid = trusted_webid

    async def credentials(self, method: str, url: str, headers: Mapping[str, str]) -> Credentials:
        """Who sent `method url` with these headers; `url` is as seen through the base URL, no query.

        Raises Unauthorized (401, with WWW-Authenticate) when credentials are present but invalid.
        """
        origin = headers.get("Origin")
        if self.trusted_webid is not None:
            # Development only (loudly logged at start-up): every request is this agent.
            return Credentials(agent=self.trusted_webid, origin=origin)
        authorizations = _all(headers, "Authorization")
        if not authorizations:
            # Solid Protocol §2.1 / WAC: no credentials → the public agent; WAC decides.
            return Credentials(origin=origin) if origin is not None else ANONYMOUS
        scheme, _, token = authorizations[0].strip().partition(" ")
        scheme, token = scheme.lower(), token.strip()
        try:
            if len(authorizations) > 1:
                raise InvalidToken("more than one Authorization header")
            if scheme not in ("dpop", "bearer"):
                raise InvalidToken(f"the Authorization scheme {scheme[:20]!r} is not supported (use DPoP)")
            if not _TOKEN68.fullmatch(token):
                raise InvalidToken(f"the {scheme} Authorization header holds no well-formed token")
            if scheme == "bearer":
                if not self.allow_bearer:
                    raise InvalidToken("Bearer tokens are not accepted by this server; use DPoP")
                found = await self.verifier.verify_bearer(token)
            else:
                proofs = _all(headers, "DPoP")
                # RFC 9449 §4.3 (1) and (2): exactly one DPoP header, holding one JWT.
                if len(proofs) != 1:
                    raise InvalidToken("a DPoP token needs exactly one DPoP proof header")
                found = await self.verifier.verify_dpop(token, proofs[0].strip(), method, url)
        except InvalidToken as error:
            reason = str(error)
            log.info("refused credentials for %s %s: %s", method, url, reason)
            raise Unauthorized(
                f"invalid credentials: {reason}",
                headers={"WWW-Authenticate": www_authenticate(reason, scheme=scheme)},
            ) from error
        return dataclasses.replace(found, origin=origin)


def _all(headers: Mapping[str, str], name: str) -> list[str]:
    if isinstance(headers, MultiMapping):
        return list(headers.getall(name, []))
    value = headers.get(name)
    return [] if value is None else [value]


def make_authenticator(
    settings: Settings, outbound: OutboundClient, replay_cache: ReplayCache | None = None
) -> Authenticator:
    """The Authenticator the settings ask for, fetching through `outbound`."""
    policy = TokenPolicy(clock_tolerance=settings.clock_tolerance, dpop_window=settings.dpop_window)
    verifier = SolidOidcVerifier(
        IssuerKeys(outbound),
        WebIdProfiles(outbound),
        replay_cache if replay_cache is not None else MemoryReplayCache(),
        policy,
    )
    if settings.trusted_webid is not None:
        log.warning(
            "!!! INSECURE: --trusted-webid is set: EVERY request is treated as %s, whatever it carries. "
            "For development and tests only; never on a reachable server. !!!",
            settings.trusted_webid,
        )
    return Authenticator(verifier, allow_bearer=settings.allow_bearer, trusted_webid=settings.trusted_webid)
