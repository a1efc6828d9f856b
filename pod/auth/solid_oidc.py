"""Solid-OIDC: verify a DPoP-bound access token and its DPoP proof, and say whose WebID it carries.

The access token is a JWT signed by an OpenID provider (its keys found through OIDC discovery);
the proof is a JWT signed by the client's own key, bound to this request (RFC 9449) and to the
token (`ath`, and the token's `cnf.jkt` names the proof key, RFC 7638). The WebID profile must
list the token's issuer (Solid-OIDC §6.1). Every failure is an InvalidToken saying which check
failed; nothing here knows about HTTP headers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from joserfc import jws
from joserfc.errors import JoseError, UnsupportedAlgorithmError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import JWKRegistry, Key
from joserfc.jws import CompactSignature, JWSRegistry

from pod.auth.credentials import Credentials
from pod.auth.remote_cache import RemoteCache, RemoteError
from pod.auth.webid import WebIdError, WebIdProfiles
from pod.config import LOOPBACK_HOSTS
from pod.outbound import FetchError, OutboundClient

# RFC 9449 §4.3 (5) and RFC 8725 §3.1: an explicit list of asymmetric algorithms; never none, never HS*.
ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA")
ASYMMETRIC_KEY_TYPES = frozenset({"EC", "RSA", "OKP"})
# RFC 7518 §6.2.2 and §6.3.2, RFC 8037 §2: the members that make a JWK a private key.
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
DPOP_PROOF_TYPE = "dpop+jwt"
MAX_JTI_LENGTH = 256


class InvalidToken(Exception):
    """A credential failed a check; the message names the check (it becomes error_description)."""


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    # Seconds a token's iat may lie in the future (and exp in the past) because clocks differ.
    clock_tolerance: int = 60
    # Seconds a DPoP proof is accepted after its iat; its jti is remembered as long.
    dpop_window: int = 300


class _AllowListRegistry(JWSRegistry):
    """joserfc's JWS registry restricted to ALGORITHMS."""

    # A proof's header carries its public key: an RSA-4096 JWK is ~900 bytes once encoded.
    max_header_length = 4096

    def get_alg(self, name: str) -> JWSAlgModel:
        if name not in ALGORITHMS:
            raise UnsupportedAlgorithmError(f"algorithm {name!r} is not allowed")
        # Looked up directly: joserfc warns on every EdDSA use (RFC 9864 prefers Ed25519), which is
        # noise for a verifier that must accept what Solid clients send today.
        return self.algorithms[name]


REGISTRY = _AllowListRegistry(algorithms=ALGORITHMS, strict_check_header=False)


# -- JWS parsing and checking ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Jwt:
    signed: CompactSignature
    header: dict[str, Any]
    claims: dict[str, Any]


def parse_jwt(value: str, what: str) -> Jwt:
    """Split and decode a compact JWS (signature not checked yet); the algorithm must be allowed."""
    try:
        signed = jws.extract_compact(value.encode("ascii"), registry=REGISTRY)
        header = signed.protected
        if not isinstance(header, dict):
            raise InvalidToken(f"the {what} header is not a JSON object")
        claims = json.loads(signed.payload)
    except (JoseError, ValueError, TypeError, AttributeError, KeyError) as error:
        # ValueError covers bad base64 (binascii.Error), bad JSON and non-ASCII input.
        raise InvalidToken(f"the {what} is not a well-formed JWS ({_describe(error)})") from error
    if not isinstance(claims, dict):
        raise InvalidToken(f"the {what} payload is not a JSON object")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        allowed = " ".join(ALGORITHMS)
        raise InvalidToken(f"the {what} algorithm {str(alg)[:20]!r} is not allowed (only {allowed})")
    if "b64" in header:
        # RFC 7797 unencoded payloads are not JWTs.
        raise InvalidToken(f"the {what} uses an unencoded payload (b64)")
    return Jwt(signed, header, claims)


def signature_valid(jwt: Jwt, key: Key) -> bool:
    """Whether `key` verifies the JWS (False too when the key does not suit the algorithm)."""
    try:
        return jws.validate_compact(jwt.signed, key, registry=REGISTRY)
    except (JoseError, ValueError, TypeError):
        return False


def import_public_key(jwk: object, what: str) -> Key:
    """A public key from a JWK: asymmetric only, and never one that carries private members."""
    if not isinstance(jwk, dict):
        raise InvalidToken(f"the {what} is not a JWK object")
    if jwk.get("kty") not in ASYMMETRIC_KEY_TYPES:
        raise InvalidToken(f"the {what} is not an asymmetric key (kty {str(jwk.get('kty'))[:10]!r})")
    # RFC 9449 §4.3 (7): the jwk must not contain a private key.
    if PRIVATE_JWK_MEMBERS & jwk.keys():
        raise InvalidToken(f"the {what} contains private key members")
    try:
        return JWKRegistry.import_key(jwk)
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise InvalidToken(f"the {what} cannot be imported ({_describe(error)})") from error


def _describe(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text[:120]


def _number(claims: Mapping[str, Any], name: str, what: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidToken(f"the {what} has no numeric {name} claim")
    return float(value)


def _string(claims: Mapping[str, Any], name: str, what: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidToken(f"the {what} has no {name} claim")
    return value


def require_secure_url(url: str, what: str) -> None:
    """https, or http on a loopback host (local development and tests)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as error:
        raise InvalidToken(f"the {what} is not a URL") from error
    if not host or parts.scheme not in ("http", "https"):
        raise InvalidToken(f"the {what} is not an http(s) URL")
    # Solid-OIDC §6 (WebIDs MUST use a secure protocol); loopback hosts are exempt.
    if parts.scheme != "https" and host not in LOOPBACK_HOSTS:
        raise InvalidToken(f"the {what} {url[:200]} is not an https URL")


# -- URL comparison for htu --------------------------------------------------------------------------

_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_url(url: str) -> str:
    """RFC 3986 §6.2.2 and §6.2.3 normalisation, without query and fragment (RFC 9449 §4.3 (9))."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = _normalise_percent_encoding(parts.path) or "/"
    return f"{scheme}://{netloc}{_remove_dot_segments(path)}"


def _normalise_percent_encoding(path: str) -> str:
    # §6.2.2.1 and §6.2.2.2: upper-case escapes, decode the ones for unreserved characters.
    out: list[str] = []
    i = 0
    while i < len(path):
        if path[i] == "%" and _is_hex(path[i + 1 : i + 3]):
            char = chr(int(path[i + 1 : i + 3], 16))
            out.append(char if char in _UNRESERVED else "%" + path[i + 1 : i + 3].upper())
            i += 3
        else:
            out.append(path[i])
            i += 1
    return "".join(out)


def _is_hex(text: str) -> bool:
    return len(text) == 2 and all(c in "0123456789abcdefABCDEF" for c in text)


def _remove_dot_segments(path: str) -> str:
    # §6.2.2.3 (the algorithm of §5.2.4); aiohttp hands us raw paths, which may contain dots.
    output: list[str] = []
    for segment in path.split("/")[1:]:
        if segment == "..":
            if output:
                output.pop()
        elif segment != ".":
            output.append(segment)
    trailing = "/" if path.endswith(("/.", "/..")) else ""
    return "/" + "/".join(output) + trailing


# -- replay cache ------------------------------------------------------------------------------------


class ReplayCache(Protocol):
    """Remembers DPoP proof identifiers for as long as a proof is valid (in-process today; Redis later)."""

    async def add(self, key: str, ttl: float) -> bool:
        """Remember `key` for `ttl` seconds; False when it was already remembered (a replay)."""
        ...


class MemoryReplayCache:
    """ReplayCache for one process. Bounded: under a flood the oldest entries go first."""

    def __init__(self, max_entries: int = 1_000_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_entries = max_entries
        self._clock = clock
        self._expiry: OrderedDict[str, float] = OrderedDict()

    async def add(self, key: str, ttl: float) -> bool:
        now = self._clock()
        # Entries are added with one ttl, so they expire in insertion order: prune from the front.
        while self._expiry:
            oldest, expires = next(iter(self._expiry.items()))
            if expires > now:
                break
            del self._expiry[oldest]
        if key in self._expiry:
            return False
        self._expiry[key] = now + ttl
        if len(self._expiry) > self.max_entries:
            self._expiry.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._expiry)


# -- the issuer's keys -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuerKeySet:
    keys: tuple[tuple[str | None, Key], ...]  # (kid, key)

    def with_kid(self, kid: str) -> list[Key]:
        return [key for key_id, key in self.keys if key_id == kid]

    def all(self) -> list[Key]:
        return [key for _, key in self.keys]


class IssuerKeys:
    """Signing keys of OpenID providers, found by OIDC discovery and cached.

    An unknown `kid` refetches the JWKS (keys rotate), but at most once per `refetch_interval`
    per issuer, so that tokens naming made-up kids cannot make the server fetch on every request.
    """

    def __init__(
        self,
        outbound: OutboundClient,
        *,
        ttl: float = 600.0,
        refetch_interval: float = 60.0,
        failure_ttl: float = 10.0,
        max_entries: int = 1_000,
    ) -> None:
        self.outbound = outbound
        self.refetch_interval = refetch_interval
        self._cache: RemoteCache[IssuerKeySet] = RemoteCache(
            self._load, ttl=ttl, failure_ttl=failure_ttl, max_entries=max_entries
        )

    async def keys(self, issuer: str, kid: str | None) -> list[Key]:
        """The issuer's keys a token with this `kid` may be signed with (all of them if it has none)."""
        try:
            key_set = await self._cache.get(issuer)
            if kid is None:
                return key_set.all()
            if not key_set.with_kid(kid):
                key_set = await self._cache.get(issuer, refresh_if_older_than=self.refetch_interval)
        except RemoteError as error:
            raise InvalidToken(str(error)) from error
        found = key_set.with_kid(kid)
        if not found:
            raise InvalidToken(f"the issuer's JWKS has no key with kid {kid[:64]!r}")
        return found

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            fetched = await self.outbound.get(url, accept="application/json")
        except FetchError as error:
            raise RemoteError(f"the {what} could not be fetched: {error}") from error
        if fetched.status != 200:
            raise RemoteError(f"the {what} at {url[:200]} answered {fetched.status}")
        try:
            document = json.loads(fetched.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise RemoteError(f"the {what} at {url[:200]} is not JSON") from error
        if not isinstance(document, dict):
            raise RemoteError(f"the {what} at {url[:200]} is not a JSON object")
        return document

    async def _load(self, issuer: str) -> IssuerKeySet:
        # OIDC Discovery §4: the configuration lives under the issuer, at a well-known path.
        configuration = await self._get_json(
            issuer.rstrip("/") + "/.well-known/openid-configuration", "issuer's openid-configuration"
        )
        # OIDC Discovery §4.3: the configuration must be the issuer's own.
        stated = configuration.get("issuer")
        if not isinstance(stated, str) or stated.rstrip("/") != issuer.rstrip("/"):
            raise RemoteError(f"the openid-configuration of {issuer[:200]} names another issuer")
        jwks_uri = configuration.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise RemoteError(f"the openid-configuration of {issuer[:200]} has no jwks_uri")
        try:
            require_secure_url(jwks_uri, "jwks_uri")
        except InvalidToken as error:
            raise RemoteError(str(error)) from error
        jwks = await self._get_json(jwks_uri, "issuer's JWKS")
        listed = jwks.get("keys")
        if not isinstance(listed, list):
            raise RemoteError(f"the JWKS at {jwks_uri[:200]} has no keys list")
        keys: list[tuple[str | None, Key]] = []
        for jwk in listed:
            # RFC 7517 §5: keys that cannot be used are skipped, not fatal for the set.
            if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
                continue
            public = {name: value for name, value in jwk.items() if name not in PRIVATE_JWK_MEMBERS}
            try:
                key = import_public_key(public, "issuer key")
            except InvalidToken:
                continue
            kid = jwk.get("kid")
            keys.append((kid if isinstance(kid, str) else None, key))
        if not keys:
            raise RemoteError(f"the JWKS at {jwks_uri[:200]} has no usable signing key")
        return IssuerKeySet(tuple(keys))


# -- the verifier ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DpopProof:
    thumbprint: str  # RFC 7638 SHA-256 thumbprint of the proof key
    jti: str


@dataclass(frozen=True, slots=True)
class _AccessClaims:
    issuer: str
    webid: str
    client_id: str | None


class SolidOidcVerifier:
    """Checks an access token (with its DPoP proof, or alone as a Bearer token) → Credentials."""

    def __init__(
        self,
        keys: IssuerKeys,
        profiles: WebIdProfiles,
        replay_cache: ReplayCache,
        policy: TokenPolicy = TokenPolicy(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.profiles = profiles
        self.replay_cache = replay_cache
        self.policy = policy
        self._clock = clock

    async def verify_dpop(self, token: str, proof: str, method: str, url: str) -> Credentials:
        """A DPoP-bound token and the proof sent with it, for a request `method url`."""
        now = self._clock()
        access = parse_jwt(token, "access token")
        claims = self._check_claims(access.claims, now)
        cnf = access.claims.get("cnf")
        jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
        # RFC 9449 §6.1: a DPoP-bound token names the proof key's thumbprint in cnf.jkt.
        if not isinstance(jkt, str) or not jkt:
            raise InvalidToken("the access token has no cnf.jkt claim (it is not DPoP-bound)")
        checked = self.check_proof(proof, method, url, token, now)
        # RFC 9449 §4.3 (12): the proof key is the key the token is bound to.
        if not hmac.compare_digest(checked.thumbprint.encode(), jkt.encode()):
            raise InvalidToken("the DPoP proof is signed by another key than the token's cnf.jkt")
        await self._check_signature(access, claims.issuer)
        await self._check_issuer_trusted(claims)
        # RFC 9449 §11.1: a proof is used once; remembered (per key) for as long as it is fresh.
        ttl = self.policy.dpop_window + self.policy.clock_tolerance
        if not await self.replay_cache.add(f"{checked.thumbprint}:{checked.jti}", ttl):
            raise InvalidToken("the DPoP proof was already used (jti replayed)")
        return Credentials(agent=claims.webid, client_id=claims.client_id, issuer=claims.issuer)

    async def verify_bearer(self, token: str) -> Credentials:
        """A token sent without proof (only when the server is configured to allow that)."""
        access = parse_jwt(token, "access token")
        claims = self._check_claims(access.claims, self._clock())
        # RFC 9449 §7.2: a DPoP-bound token presented as a Bearer token is a downgrade; refuse it.
        if "cnf" in access.claims:
            raise InvalidToken("the access token is DPoP-bound (cnf); send it with the DPoP scheme")
        await self._check_signature(access, claims.issuer)
        await self._check_issuer_trusted(claims)
        return Credentials(agent=claims.webid, client_id=claims.client_id, issuer=claims.issuer)

    def _check_claims(self, claims: Mapping[str, Any], now: float) -> _AccessClaims:
        what = "access token"
        issuer = _string(claims, "iss", what)
        webid = _string(claims, "webid", what)
        require_secure_url(issuer, "issuer (iss)")
        require_secure_url(webid, "WebID")
        tolerance = self.policy.clock_tolerance
        # RFC 7519 §4.1.4: not accepted on or after exp.
        if now >= _number(claims, "exp", what) + tolerance:
            raise InvalidToken("the access token has expired (exp)")
        # RFC 7519 §4.1.6: a token issued in the future is not yet a token.
        if _number(claims, "iat", what) > now + tolerance:
            raise InvalidToken("the access token is issued in the future (iat)")
        audience = claims.get("aud")
        # A single string is allowed too: CSS issues its access tokens with `"aud": "solid"`.
        audiences = [audience] if isinstance(audience, str) else audience
        # Solid-OIDC §8.1: aud includes "solid", the audience of every Solid resource server.
        if not isinstance(audiences, list) or "solid" not in audiences:
            raise InvalidToken('the access token audience (aud) does not include "solid"')
        client_id = claims.get("client_id", claims.get("azp"))
        return _AccessClaims(issuer, webid, client_id if isinstance(client_id, str) else None)

    def check_proof(self, proof: str, method: str, url: str, token: str | None, now: float) -> DpopProof:
        """RFC 9449 §4.3 checks (2)–(12) of one DPoP proof for the request `method url`."""
        what = "DPoP proof"
        jwt = parse_jwt(proof, what)
        # RFC 9449 §4.3 (4): typ is dpop+jwt.
        if jwt.header.get("typ") != DPOP_PROOF_TYPE:
            raise InvalidToken(f'the DPoP proof typ is not "{DPOP_PROOF_TYPE}"')
        key = import_public_key(jwt.header.get("jwk"), "DPoP proof jwk")
        # RFC 9449 §4.3 (6): the signature verifies with the embedded jwk.
        if not signature_valid(jwt, key):
            raise InvalidToken("the DPoP proof signature does not verify with its jwk")
        # RFC 9449 §4.3 (3): jti, htm, htu and iat are present.
        jti = _string(jwt.claims, "jti", what)
        htm = _string(jwt.claims, "htm", what)
        htu = _string(jwt.claims, "htu", what)
        iat = _number(jwt.claims, "iat", what)
        if len(jti) > MAX_JTI_LENGTH:
            raise InvalidToken("the DPoP proof jti is too long")
        # RFC 9449 §4.3 (8): htm matches the request method.
        if htm != method:
            raise InvalidToken(f"the DPoP proof is for method {htm[:20]!r}, not {method}")
        # RFC 9449 §4.3 (9): htu matches the request URI, ignoring query and fragment.
        try:
            matches = normalise_url(htu) == normalise_url(url)
        except ValueError:
            matches = False
        if not matches:
            raise InvalidToken(f"the DPoP proof is for URL {htu[:200]!r}, not {url[:200]}")
        # RFC 9449 §4.3 (11) and §11.1: iat within the window (and not from the future).
        if iat < now - self.policy.dpop_window:
            raise InvalidToken(f"the DPoP proof is older than {self.policy.dpop_window} s (iat)")
        if iat > now + self.policy.clock_tolerance:
            raise InvalidToken("the DPoP proof is issued in the future (iat)")
        ath = jwt.claims.get("ath")
        if token is not None and ath is not None:
            expected = jws_b64(hashlib.sha256(token.encode("ascii")).digest())
            # RFC 9449 §4.3 (12): ath is the hash of the access token sent with it.
            if not isinstance(ath, str) or not hmac.compare_digest(ath.encode(), expected.encode()):
                raise InvalidToken("the DPoP proof ath does not match the access token")
        # A proof without ath is accepted all the same, although RFC 9449 §7 says it MUST be there:
        # Inrupt's solid-client-authn libraries (every version up to 5.0.0, hence most Solid apps and
        # SolidOS) never send it, and CSS accepts such proofs. The proof is still bound to the token by
        # cnf.jkt, so only the holder of the private key can make one (tests/interop, issue 8).
        return DpopProof(key.thumbprint(), jti)

    async def _check_signature(self, access: Jwt, issuer: str) -> None:
        kid = access.header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("the access token kid is not a string")
        candidates = await self.keys.keys(issuer, kid)
        # OIDC Core §3.1.3.7 (6): the issuer's key verifies the token.
        if not any(signature_valid(access, key) for key in candidates):
            raise InvalidToken("the access token signature does not verify with the issuer's keys")

    async def _check_issuer_trusted(self, claims: _AccessClaims) -> None:
        try:
            await self.profiles.check_issuer(claims.webid, claims.issuer)
        except WebIdError as error:
            raise InvalidToken(str(error)) from error


def jws_b64(data: bytes) -> str:
    """base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
