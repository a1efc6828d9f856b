"""Access-token checks (Solid-OIDC §8.1, RFC 9449 §6–7): each bad token is a 401 naming the check."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc.jwk import ECKey

from auth.conftest import (
    CLIENT_ID,
    RESOURCE,
    IdentityProvider,
    dpop_headers,
    proof,
    refusal,
    turtle_profile,
)
from pod.auth.authenticator import Authenticator, www_authenticate
from pod.auth.credentials import Credentials
from pod.auth.solid_oidc import ALGORITHMS, IssuerKeys, MemoryReplayCache, SolidOidcVerifier
from pod.auth.webid import WebIdProfiles
from pod.errors import Unauthorized
from pod.outbound import OutboundClient


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_json(value: object) -> str:
    return b64(json.dumps(value).encode())


async def present(authenticator: Authenticator, token: str, client_key: ECKey) -> Credentials:
    return await authenticator.credentials(
        "GET", RESOURCE, dpop_headers(token, proof(client_key, "GET", RESOURCE, token))
    )


async def refused(authenticator: Authenticator, token: str, client_key: ECKey) -> str:
    return await refusal(authenticator, dpop_headers(token, proof(client_key, "GET", RESOURCE, token)))


# -- accepted --------------------------------------------------------------------------------------


async def test_valid_token_yields_webid_client_and_issuer(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key)
    credentials = await present(authenticator, token, client_key)
    assert credentials == Credentials(agent=idp.webid, client_id=CLIENT_ID, issuer=idp.issuer)
    assert credentials.is_authenticated


async def test_origin_header_is_recorded_with_the_credentials(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key)
    headers = dpop_headers(token, proof(client_key, "GET", RESOURCE, token), Origin="https://app.example")
    credentials = await authenticator.credentials("GET", RESOURCE, headers)
    assert credentials.origin == "https://app.example"


async def test_token_signed_with_rs256_is_accepted(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, key=idp.rsa_key, alg="RS256")
    assert (await present(authenticator, token, client_key)).agent == idp.webid


async def test_token_signed_with_eddsa_is_accepted(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, key=idp.ed_key, alg="EdDSA")
    assert (await present(authenticator, token, client_key)).agent == idp.webid


async def test_client_id_falls_back_to_azp_and_may_be_absent(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    with_azp = idp.access_token(client_key, client_id=None, azp="https://other-app.example/id")
    assert (await present(authenticator, with_azp, client_key)).client_id == "https://other-app.example/id"
    without = idp.access_token(client_key, client_id=None)
    assert (await present(authenticator, without, client_key)).client_id is None


async def test_audience_may_be_the_single_string_solid(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, aud="solid")
    assert (await present(authenticator, token, client_key)).agent == idp.webid


async def test_iat_slightly_ahead_within_clock_tolerance_is_accepted(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, iat=int(time.time()) + 30)
    assert (await present(authenticator, token, client_key)).agent == idp.webid


# -- algorithm --------------------------------------------------------------------------------------


async def test_token_with_alg_none_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    claims = idp.claims(client_key.thumbprint())
    token = f"{b64_json({'alg': 'none', 'typ': 'at+jwt'})}.{b64_json(claims)}."
    # An empty signature is no token68 either; give it a dummy one so the alg check is what fails.
    assert "algorithm 'none' is not allowed" in await refused(authenticator, token + "AAAA", client_key)


async def test_token_hs256_signed_with_the_issuer_public_key_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # Algorithm confusion: an HMAC "signed" with the issuer's public key, which anyone can fetch.
    header = b64_json({"alg": "HS256", "typ": "at+jwt", "kid": idp.key.kid})
    payload = b64_json(idp.claims(client_key.thumbprint()))
    for secret in (idp.key.as_pem(private=False), json.dumps(idp.key.as_dict(private=False)).encode()):
        signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        token = f"{header}.{payload}.{b64(signature)}"
        assert "algorithm 'HS256' is not allowed" in await refused(authenticator, token, client_key)


# -- claims -----------------------------------------------------------------------------------------


async def test_expired_token_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    now = int(time.time())
    token = idp.access_token(client_key, iat=now - 7200, exp=now - 3600)
    assert "expired (exp)" in await refused(authenticator, token, client_key)


async def test_token_without_exp_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, exp=None)
    assert "no numeric exp claim" in await refused(authenticator, token, client_key)


async def test_token_issued_in_the_future_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, iat=int(time.time()) + 3600)
    assert "issued in the future (iat)" in await refused(authenticator, token, client_key)


async def test_token_whose_aud_lacks_solid_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, aud=[CLIENT_ID])
    assert 'does not include "solid"' in await refused(authenticator, token, client_key)


async def test_token_without_webid_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, webid=None)
    assert "no webid claim" in await refused(authenticator, token, client_key)


async def test_token_without_iss_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, iss=None)
    assert "no iss claim" in await refused(authenticator, token, client_key)


async def test_token_without_cnf_jkt_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(None)
    assert "no cnf.jkt" in await refused(authenticator, token, client_key)


async def test_http_webid_on_a_public_host_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    # Solid-OIDC §6: WebIDs use a secure protocol; only loopback hosts may use http.
    token = idp.access_token(client_key, webid="http://alice.example/profile#me")
    assert "WebID http://alice.example/profile#me is not an https URL" in await refused(
        authenticator, token, client_key
    )


async def test_http_issuer_on_a_public_host_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, iss="http://idp.example/")
    assert "issuer (iss) http://idp.example/ is not an https URL" in await refused(
        authenticator, token, client_key
    )


# -- signature and the issuer's keys ---------------------------------------------------------------


async def test_token_signed_by_another_key_with_the_issuer_kid_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    forger = ECKey.generate_key("P-256", {"kid": str(idp.key.kid)})
    token = idp.access_token(client_key, key=forger)
    assert "signature does not verify with the issuer's keys" in await refused(
        authenticator, token, client_key
    )


async def test_jwks_without_the_token_kid_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    stranger = ECKey.generate_key("P-256", {"kid": "not-published"})
    token = idp.access_token(client_key, key=stranger)
    assert "JWKS has no key with kid 'not-published'" in await refused(authenticator, token, client_key)


async def test_unknown_kid_refetches_the_jwks_so_rotated_keys_work(
    outbound: OutboundClient, idp: IdentityProvider, client_key: ECKey
) -> None:
    keys = IssuerKeys(outbound, refetch_interval=0)
    authenticator = Authenticator(SolidOidcVerifier(keys, WebIdProfiles(outbound), MemoryReplayCache()))
    await present(authenticator, idp.access_token(client_key), client_key)
    rotated = ECKey.generate_key("P-256", {"kid": "es256-2"})
    idp.published.append(rotated)
    credentials = await present(authenticator, idp.access_token(client_key, key=rotated), client_key)
    assert credentials.agent == idp.webid
    assert idp.hits["jwks"] == 2


async def test_unknown_kids_refetch_the_jwks_at_most_once_per_interval(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    await present(authenticator, idp.access_token(client_key), client_key)
    for number in range(5):
        stranger = ECKey.generate_key("P-256", {"kid": f"made-up-{number}"})
        await refused(authenticator, idp.access_token(client_key, key=stranger), client_key)
    # The first fetch is recent: made-up kids do not make the server fetch again and again.
    assert idp.hits["jwks"] == 1
    assert idp.hits["configuration"] == 1


async def test_issuer_keys_are_cached_between_requests(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    for _ in range(3):
        await present(authenticator, idp.access_token(client_key), client_key)
    assert idp.hits["jwks"] == 1


async def test_unreachable_issuer_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, iss="http://127.0.0.1:9/")
    assert "openid-configuration could not be fetched" in await refused(authenticator, token, client_key)


# -- malformed --------------------------------------------------------------------------------------

MALFORMED_PARTS = {
    # '+' and '/' are token68 characters but not base64url ones.
    "header-base64": lambda h, p, s: f"{h[:-1]}+.{p}.{s}",
    "header-json": lambda h, p, s: f"{b64(b'{not json')}.{p}.{s}",
    "header-not-object": lambda h, p, s: f"{b64_json(['alg'])}.{p}.{s}",
    "payload-base64": lambda h, p, s: f"{h}.{p[:-1]}/.{s}",
    "payload-json": lambda h, p, s: f"{h}.{b64(b'[1, 2')}.{s}",
    "payload-not-object": lambda h, p, s: f"{h}.{b64_json('claims')}.{s}",
    "signature-base64": lambda h, p, s: f"{h}.{p}.{s}===",
    "two-parts": lambda h, p, s: f"{h}.{p}",
}


@pytest.mark.parametrize("damage", sorted(MALFORMED_PARTS))
async def test_malformed_base64_or_json_in_any_token_part_is_refused(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey, damage: str
) -> None:
    header, payload, signature = idp.access_token(client_key).split(".")
    token = MALFORMED_PARTS[damage](header, payload, signature)
    reason = await refusal(authenticator, dpop_headers(token, proof(client_key, "GET", RESOURCE, token)))
    assert "access token" in reason


# -- schemes ----------------------------------------------------------------------------------------


async def test_request_without_authorization_is_anonymous(authenticator: Authenticator) -> None:
    credentials = await authenticator.credentials("GET", RESOURCE, {"Origin": "https://app.example"})
    assert credentials == Credentials(origin="https://app.example")
    assert not credentials.is_authenticated


async def test_unsupported_authorization_scheme_is_refused(authenticator: Authenticator) -> None:
    reason = await refusal(authenticator, {"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert "scheme 'basic' is not supported" in reason


async def test_dpop_scheme_without_a_token_is_refused(authenticator: Authenticator) -> None:
    assert "holds no well-formed token" in await refusal(authenticator, {"Authorization": "DPoP"})


async def test_bearer_token_is_refused_by_default(
    authenticator: Authenticator, idp: IdentityProvider
) -> None:
    token = idp.access_token(None)
    with pytest.raises(Unauthorized) as refused_bearer:
        await authenticator.credentials("GET", RESOURCE, {"Authorization": f"Bearer {token}"})
    assert "Bearer tokens are not accepted" in refused_bearer.value.detail
    # The error goes on the Bearer challenge (the scheme the client used); DPoP is offered too.
    challenge = refused_bearer.value.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="Bearer tokens')
    assert ', DPoP algs="ES256 ' in challenge


async def test_bearer_token_is_accepted_when_the_server_allows_it(
    verifier: SolidOidcVerifier, idp: IdentityProvider
) -> None:
    authenticator = Authenticator(verifier, allow_bearer=True)
    token = idp.access_token(None)
    credentials = await authenticator.credentials("GET", RESOURCE, {"Authorization": f"Bearer {token}"})
    assert credentials == Credentials(agent=idp.webid, client_id=CLIENT_ID, issuer=idp.issuer)


async def test_bearer_token_gets_the_same_checks_minus_the_proof(
    verifier: SolidOidcVerifier, idp: IdentityProvider
) -> None:
    authenticator = Authenticator(verifier, allow_bearer=True)
    token = idp.access_token(None, aud=[CLIENT_ID])
    reason = await refusal(authenticator, {"Authorization": f"Bearer {token}"})
    assert 'does not include "solid"' in reason


async def test_dpop_bound_token_is_refused_as_a_bearer_token(
    verifier: SolidOidcVerifier, idp: IdentityProvider, client_key: ECKey
) -> None:
    # RFC 9449 §7.2: otherwise a stolen DPoP-bound token would work without its key.
    authenticator = Authenticator(verifier, allow_bearer=True)
    token = idp.access_token(client_key)
    reason = await refusal(authenticator, {"Authorization": f"Bearer {token}"})
    assert "is DPoP-bound (cnf)" in reason


async def test_trusted_webid_makes_every_request_that_agent(verifier: SolidOidcVerifier) -> None:
    authenticator = Authenticator(verifier, trusted_webid="https://dev.example/profile#me")
    anonymous = await authenticator.credentials("GET", RESOURCE, {})
    garbage = await authenticator.credentials("GET", RESOURCE, {"Authorization": "DPoP nonsense"})
    assert anonymous.agent == garbage.agent == "https://dev.example/profile#me"


async def test_refusal_challenge_names_dpop_algorithms_error_and_reason(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    token = idp.access_token(client_key, aud=["nobody"])
    with pytest.raises(Unauthorized) as refused_token:
        await present(authenticator, token, client_key)
    challenge = refused_token.value.headers["WWW-Authenticate"]
    assert challenge.startswith(
        'DPoP algs="ES256 ES384 ES512 RS256 RS384 RS512 PS256 PS384 PS512 EdDSA", error="invalid_token", '
        'error_description="the access token audience (aud) does not include ?solid?"'
    )
    assert challenge.endswith(", Bearer")


async def test_issuer_listed_with_a_trailing_slash_difference_is_trusted(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    webid = idp.publish_profile("slashless", turtle_profile("me", idp.issuer.rstrip("/"))) + "#me"
    token = idp.access_token(client_key, webid=webid)
    assert (await present(authenticator, token, client_key)).agent == webid


async def test_token_signature_is_checked_before_the_webid_profile_is_fetched(
    authenticator: Authenticator, idp: IdentityProvider, client_key: ECKey
) -> None:
    forger = ECKey.generate_key("P-256", {"kid": str(idp.key.kid)})
    await refused(authenticator, idp.access_token(client_key, key=forger), client_key)
    assert "card" not in idp.hits


def test_plain_challenge_for_anonymous_401s_has_no_error() -> None:
    # RFC 6750 §3.1: a request without credentials gets the challenge but no error code.
    assert www_authenticate() == f'DPoP algs="{" ".join(ALGORITHMS)}", Bearer'
