"""DPoP proof checks (RFC 9449 §4.3): each bad proof is a 401 naming the check that failed."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from joserfc.jwk import ECKey, OKPKey, RSAKey
from multidict import CIMultiDict

from auth.conftest import RESOURCE, IdentityProvider, dpop_headers, proof, refusal, sign
from pod.auth.authenticator import Authenticator
from pod.auth.solid_oidc import MemoryReplayCache, normalise_url


def b64_json(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


async def refused_proof(authenticator: Authenticator, token: str, proof_jwt: str, method: str = "GET") -> str:
    return await refusal(authenticator, dpop_headers(token, proof_jwt), method)


async def accepted(
    authenticator: Authenticator, token: str, proof_jwt: str, method: str = "GET"
) -> str | None:
    credentials = await authenticator.credentials(method, RESOURCE, dpop_headers(token, proof_jwt))
    return credentials.agent


# -- accepted --------------------------------------------------------------------------------------


async def test_proof_signed_with_an_eddsa_key_is_accepted(
    authenticator: Authenticator, idp: IdentityProvider
) -> None:
    client_key = OKPKey.generate_key("Ed25519")
    token = idp.access_token(client_key)
    assert await accepted(authenticator, token, proof(client_key, "GET", RESOURCE, token, alg="EdDSA"))


async def test_proof_signed_with_an_rs256_key_is_accepted(
    authenticator: Authenticator, idp: IdentityProvider
) -> None:
    client_key = RSAKey.generate_key(2048)
    token = idp.access_token(client_key)
    assert await accepted(authenticator, token, proof(client_key, "GET", RESOURCE, token, alg="RS256"))


async def test_proof_htu_is_compared_normalised_and_without_query(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §4.3 (9) with RFC 3986 §6.2.2/§6.2.3: case, default port, escapes; no query or fragment.
    token = idp.access_token(client_key)
    htu = "HTTPS://Pod.Example:443/alice/notes/%74oday.ttl?page=2#top"
    assert await accepted(authenticator, token, proof(client_key, "GET", RESOURCE, token, htu=htu))


def test_url_normalisation_keeps_reserved_escapes_and_removes_dot_segments() -> None:
    assert normalise_url("http://a.example/x%2fy") == "http://a.example/x%2Fy"
    assert normalise_url("http://a.example/a/./b/../c") == "http://a.example/a/c"
    assert normalise_url("http://a.example") == "http://a.example/"
    assert normalise_url("http://[::1]:3000/x") == "http://[::1]:3000/x"


# -- structure and algorithm -----------------------------------------------------------------------


async def test_missing_proof_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key)
    reason = await refusal(authenticator, {"Authorization": f"DPoP {token}"})
    assert "exactly one DPoP proof header" in reason


async def test_two_proof_headers_are_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §4.3 (1): not more than one DPoP header field.
    token = idp.access_token(client_key)
    headers: CIMultiDict[str] = CIMultiDict(Authorization=f"DPoP {token}")
    headers.add("DPoP", proof(client_key, "GET", RESOURCE, token))
    headers.add("DPoP", proof(client_key, "GET", RESOURCE, token))
    assert "exactly one DPoP proof header" in await refusal(authenticator, headers)  # type: ignore[arg-type]


async def test_proof_typ_must_be_dpop_jwt(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key)
    bad = proof(client_key, "GET", RESOURCE, token, header={"typ": "JWT"})
    assert 'typ is not "dpop+jwt"' in await refused_proof(authenticator, token, bad)


async def test_proof_with_alg_none_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key)
    header = {"typ": "dpop+jwt", "alg": "none", "jwk": client_key.as_dict(private=False)}
    claims = {"jti": "j1", "htm": "GET", "htu": RESOURCE, "iat": int(time.time())}
    bad = f"{b64_json(header)}.{b64_json(claims)}.AAAA"
    assert "DPoP proof algorithm 'none' is not allowed" in await refused_proof(authenticator, token, bad)


async def test_proof_with_a_symmetric_jwk_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key)
    header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}
    claims = {"jti": "j1", "htm": "GET", "htu": RESOURCE, "iat": int(time.time())}
    bad = f"{b64_json(header)}.{b64_json(claims)}.AAAA"
    assert "not an asymmetric key" in await refused_proof(authenticator, token, bad)


async def test_proof_without_jwk_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key)
    header = {"typ": "dpop+jwt", "alg": "ES256"}
    claims = {"jti": "j1", "htm": "GET", "htu": RESOURCE, "iat": int(time.time())}
    bad = sign(header, claims, client_key)
    assert "DPoP proof jwk is not a JWK object" in await refused_proof(authenticator, token, bad)


async def test_proof_jwk_with_private_parts_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §4.3 (7).
    token = idp.access_token(client_key)
    bad = proof(client_key, "GET", RESOURCE, token, header={"jwk": client_key.as_dict(private=True)})
    assert "contains private key members" in await refused_proof(authenticator, token, bad)


async def test_proof_not_signed_by_its_embedded_jwk_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §4.3 (6).
    token = idp.access_token(client_key)
    other = ECKey.generate_key("P-256")
    bad = proof(other, "GET", RESOURCE, token, header={"jwk": client_key.as_dict(private=False)})
    assert "signature does not verify with its jwk" in await refused_proof(authenticator, token, bad)


@pytest.mark.parametrize("claim", ["jti", "htm", "htu", "iat"])
async def test_proof_missing_a_required_claim_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey, claim: str
) -> None:
    # RFC 9449 §4.3 (3).
    token = idp.access_token(client_key)
    dropped: dict[str, Any] = {claim: None}
    bad = proof(client_key, "GET", RESOURCE, token, **dropped)
    assert f"no {'numeric ' if claim == 'iat' else ''}{claim} claim" in await refused_proof(
        authenticator, token, bad
    )


MALFORMED_PARTS: dict[str, Any] = {
    "header-base64": lambda h, p, s: f"{h[:-1]}+.{p}.{s}",
    "header-json": lambda h, p, s: f"{b64_json('x')[:-2]}.{p}.{s}",
    "payload-base64": lambda h, p, s: f"{h}.{p[:-1]}/.{s}",
    "payload-json": lambda h, p, s: f"{h}.{base64.urlsafe_b64encode(b'{').rstrip(b'=').decode()}.{s}",
    "signature-base64": lambda h, p, s: f"{h}.{p}.{s[:-1]}+",
    "four-parts": lambda h, p, s: f"{h}.{p}.{s}.{s}",
}


@pytest.mark.parametrize("damage", sorted(MALFORMED_PARTS))
async def test_malformed_base64_or_json_in_any_proof_part_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey, damage: str
) -> None:
    token = idp.access_token(client_key)
    header, payload, signature = proof(client_key, "GET", RESOURCE, token).split(".")
    reason = await refused_proof(authenticator, token, MALFORMED_PARTS[damage](header, payload, signature))
    assert "DPoP proof" in reason


# -- binding to the request ------------------------------------------------------------------------


async def test_proof_for_another_method_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §4.3 (8).
    token = idp.access_token(client_key)
    bad = proof(client_key, "GET", RESOURCE, token)
    assert "is for method 'GET', not DELETE" in await refused_proof(authenticator, token, bad, "DELETE")


async def test_proof_for_another_url_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §4.3 (9).
    token = idp.access_token(client_key)
    bad = proof(client_key, "GET", "https://pod.example/bob/private.ttl", token)
    assert "is for URL 'https://pod.example/bob/private.ttl'" in await refused_proof(
        authenticator, token, bad
    )


async def test_replayed_proof_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §11.1: a jti is accepted once within the window.
    token = idp.access_token(client_key)
    once = proof(client_key, "GET", RESOURCE, token)
    assert await accepted(authenticator, token, once)
    assert "already used (jti replayed)" in await refused_proof(authenticator, token, once)


async def test_proof_older_than_the_window_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §4.3 (11).
    token = idp.access_token(client_key)
    stale = proof(client_key, "GET", RESOURCE, token, iat=int(time.time()) - 301)
    assert "older than 300 s (iat)" in await refused_proof(authenticator, token, stale)


async def test_proof_from_the_future_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key)
    early = proof(client_key, "GET", RESOURCE, token, iat=int(time.time()) + 600)
    assert "proof is issued in the future" in await refused_proof(authenticator, token, early)


# -- binding to the token --------------------------------------------------------------------------


async def test_proof_signed_by_another_key_than_cnf_jkt_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §4.3 (12): a stolen token with the thief's own (valid) proof.
    token = idp.access_token(client_key)
    thief = ECKey.generate_key("P-256")
    stolen = proof(thief, "GET", RESOURCE, token)
    assert "signed by another key than the token's cnf.jkt" in await refused_proof(
        authenticator, token, stolen
    )


async def test_proof_ath_mismatch_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §4.3 (12): the proof was made for another access token.
    token = idp.access_token(client_key)
    other_token = idp.access_token(client_key)
    bad = proof(client_key, "GET", RESOURCE, other_token)
    assert "ath does not match the access token" in await refused_proof(authenticator, token, bad)


async def test_proof_without_ath_is_accepted_as_inrupts_clients_send_it(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §7 wants ath, but Inrupt's solid-client-authn (all versions) never sends it, so every
    # app built on it would fail; CSS accepts it too. The proof is still bound to the token by cnf.jkt.
    token = idp.access_token(client_key)
    without_ath = proof(client_key, "GET", RESOURCE, None)
    assert await accepted(authenticator, token, without_ath) == idp.webid


async def test_proof_without_ath_by_another_key_is_still_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key)
    thief = ECKey.generate_key("P-256")
    stolen = proof(thief, "GET", RESOURCE, None)
    assert "signed by another key than the token's cnf.jkt" in await refused_proof(
        authenticator, token, stolen
    )


# -- the replay cache ------------------------------------------------------------------------------


async def test_replay_cache_forgets_entries_after_their_ttl() -> None:
    now = [1000.0]
    cache = MemoryReplayCache(clock=lambda: now[0])
    assert await cache.add("k:1", ttl=360)
    assert not await cache.add("k:1", ttl=360)
    now[0] += 361
    assert await cache.add("k:2", ttl=360)
    assert len(cache) == 1
    assert await cache.add("k:1", ttl=360)


async def test_replay_cache_is_bounded() -> None:
    cache = MemoryReplayCache(max_entries=3)
    for number in range(10):
        assert await cache.add(f"k:{number}", ttl=360)
    assert len(cache) == 3
