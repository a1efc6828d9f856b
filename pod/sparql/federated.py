"""SPARQL 1.1 Federated Query: a query's SERVICE clauses, run by this server against allow-listed endpoints.

oxigraph never runs a SERVICE here (it would fetch over plain HTTP, unguarded). The server
finds the clauses first (pod.sparql.clauses), refuses any whose endpoint is not on the
operator's allow-list (400: the allow-list is what keeps a query from making this server
fetch arbitrary URLs, its own network included), and asks each allowed endpoint itself,
through the guarded outbound client (pod.outbound: private addresses refused on the
addresses actually connected to, a size cap, redirects only to allowed endpoints), for
`SELECT * WHERE { pattern }`. The answer takes the clause's place in the query as inline
data (`VALUES`), which SPARQL joins in exactly where the SERVICE pattern stood; then the
query runs as any other, on the asker's view of the pod.

Every call shares the query's time limit: a call that has not answered when it runs out is
a 504, a call that fails otherwise (refused, 5xx, not SPARQL results, too large) a 502 —
unless the clause says SILENT (SPARQL 1.1 Federated Query, "Service Execution Failure"): then
the failure counts as one solution with no bindings, and a SILENT call gets only half of the
remaining time, so that the rest of the query still has some.

Calls are anonymous. A call carries the asker's identity only when the operator allows it
(`--sparql-service-forward-identity`) *and* the asker sends, for that call, a DPoP proof made
with their own key for `POST <endpoint>` (header `SPARQL-Service-DPoP`): this server then sends
the asker's access token with that proof. A Solid-OIDC access token is meant for any Solid
server (its audience is "solid", Solid-OIDC §8.1) but useless without a fresh proof for the
exact method and URL (RFC 9449 §4.3, Solid-OIDC §9.3), which only the key holder can make;
so this server can never act as the asker anywhere the asker did not send a proof for, and
never on its own initiative. It checks what it can before forwarding (the proof is for POST
to an endpoint the query calls, bound to the asker's token by `ath`); the remote server
verifies the rest.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox

from pod.auth.credentials import Credentials
from pod.auth.solid_oidc import normalise_url
from pod.errors import BadRequest
from pod.outbound import FetchError, OutboundClient
from pod.sparql.clauses import ServiceClause, ServiceQuery, find_services, grammar, mentions_service
from pod.sparql.errors import BadGateway, GatewayTimeout

log = logging.getLogger("pod.sparql")

# At most this many SERVICE clauses per query: each is an outbound request made for whoever asks.
MAX_SERVICE_CLAUSES = 8
# The request header that carries the asker's DPoP proofs for SERVICE calls (comma-separated or repeated).
SERVICE_DPOP = "SPARQL-Service-DPoP"
# SPARQL 1.1 Protocol §2.1.6: the result formats asked for, JSON first.
ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/xml": ox.QueryResultsFormat.XML,
}
# SPARQL 1.1 Federated Query, "Service Execution Failure": a failed SERVICE SILENT is one empty solution.
EMPTY_SOLUTION = "VALUES () { () }"
# Below this many seconds left, the query itself would only be stopped at once.
MIN_QUERY_SECONDS = 0.05


def endpoint_url(iri: str) -> str:
    """The URL a SERVICE IRI is fetched at and checked against the allow-list as (RFC 3986 §6.2.2).

    Dot segments and escaped unreserved characters are normalised away, so that
    `https://a.example/allowed/../other` is checked as what it is: `https://a.example/other`.
    """
    parts = urlsplit(iri)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"SERVICE is refused: <{iri[:200]}> is no http(s) URL")
    if parts.username is not None or parts.password is not None:
        raise BadRequest(f"SERVICE is refused: <{iri[:200]}> carries a user name")
    try:
        url = normalise_url(iri)
    except ValueError as error:  # a port that is no number
        raise BadRequest(f"SERVICE is refused: <{iri[:200]}>: {error}") from error
    return url + (f"?{parts.query}" if parts.query else "")


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


class Allowlist:
    """Endpoints a SERVICE may call: exactly, or, for an entry ending in '/', any URL under it."""

    def __init__(self, entries: Iterable[str]) -> None:
        try:
            self.entries = tuple(endpoint_url(entry) for entry in entries)
        except BadRequest as error:  # a setting: the operator's mistake, said at start
            raise ValueError(f"the SPARQL SERVICE allow-list: {error.detail}") from None

    def __bool__(self) -> bool:
        return bool(self.entries)

    def allows(self, url: str) -> bool:
        """Whether a normalised endpoint URL (see endpoint_url) is allowed."""
        return any(url == entry or (entry.endswith("/") and url.startswith(entry)) for entry in self.entries)

    def allows_redirect(self, url: str) -> bool:
        try:
            return self.allows(endpoint_url(url))
        except BadRequest:
            return False


@dataclass
class ForwardedIdentity:
    """The asker's access token, and their DPoP proofs for SERVICE calls by endpoint (without query)."""

    token: str
    proofs: dict[str, list[str]] = field(default_factory=dict)

    def take(self, url: str) -> str | None:
        """The next proof for a call to `url` (each proof is used once: RFC 9449 §11.1)."""
        waiting = self.proofs.get(_without_query(url))
        return waiting.pop(0) if waiting else None


class RemoteEndpoints:
    """Checks a query's SERVICE clauses against the allow-list, and runs them."""

    def __init__(
        self,
        allowlist: Allowlist,
        client: OutboundClient,
        *,
        genid_base: str,
        forward_identity: bool = False,
        insecure_forwarding: bool = False,
    ) -> None:
        self.allowlist = allowlist
        self.client = client
        # RDF 1.1 Concepts §3.5: blank nodes of remote answers become skolem IRIs minted here.
        self.genid_base = genid_base
        self.forward_identity = forward_identity
        # Solid-OIDC §11.1: tokens only over TLS; plain http only in development (loopback servers).
        self.insecure_forwarding = insecure_forwarding

    # -- before the query runs ----------------------------------------------------------------

    async def plan(self, query: str, base_iri: str) -> ServiceQuery:
        """The query's SERVICE clauses, each checked (400 when one may not run); none without the word."""
        if not mentions_service(query):
            return ServiceQuery(query, ())
        # The grammar is copied from rdflib's once, on the event loop, where SPARQL Update PATCHes are
        # parsed with the original: never copied while it is in use.
        grammar()
        # A full parse takes milliseconds to a second: not on the event loop.
        found = await asyncio.to_thread(find_services, query, base_iri)
        self.check(found)
        return found

    def check(self, found: ServiceQuery) -> None:
        """400 unless every SERVICE clause calls an allowed endpoint (and there are not too many)."""
        if len(found.clauses) > MAX_SERVICE_CLAUSES:
            raise BadRequest(f"a query may have at most {MAX_SERVICE_CLAUSES} SERVICE clauses")
        for clause in found.clauses:
            if not self.allowlist.allows(endpoint_url(clause.endpoint)):
                raise BadRequest(
                    f"SERVICE is refused: <{clause.endpoint[:200]}> is not on this server's allow-list of "
                    "SPARQL endpoints that queries may call"
                    + ("" if self.allowlist else " (the list is empty: SERVICE is off)")
                )

    def identity(
        self, headers: Mapping[str, str], proofs: list[str], credentials: Credentials, plan: ServiceQuery
    ) -> ForwardedIdentity | None:
        """The asker's identity for the calls they sent proofs for; None (anonymous calls) without proofs.

        400 when the asker sends proofs that cannot be used as asked: forwarding is off on this
        server, the request is not DPoP-authenticated, or a proof is not for a call the query makes.
        """
        if not proofs:
            return None
        if not self.forward_identity:
            raise BadRequest(
                f"this server does not forward identities to SERVICE endpoints: send no {SERVICE_DPOP} "
                "header, and the calls are made anonymously"
            )
        scheme, _, token = headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "dpop" or not token.strip() or not credentials.is_authenticated:
            raise BadRequest(
                f"{SERVICE_DPOP} needs a request authenticated with a DPoP-bound access token: "
                "the calls carry that token, each with its own proof"
            )
        token = token.strip()
        expected_ath = _b64(hashlib.sha256(token.encode("ascii", "replace")).digest())
        called = {_without_query(endpoint_url(clause.endpoint)) for clause in plan.clauses}
        identity = ForwardedIdentity(token)
        for proof in proofs:
            claims = _unverified_claims(proof)
            target = claims.get("htu")
            if not isinstance(target, str) or target.split("?", 1)[0] == "":
                raise BadRequest(f"a {SERVICE_DPOP} proof has no htu claim")
            try:
                url = _without_query(endpoint_url(target))
            except BadRequest as error:
                raise BadRequest(f"a {SERVICE_DPOP} proof's htu is unusable: {error.detail}") from None
            # RFC 9449 §4.3 (8), (9): the proof names the method and URL of the call it is for.
            if claims.get("htm") != "POST":
                raise BadRequest(f"a {SERVICE_DPOP} proof must be for POST (SERVICE calls are POSTs)")
            if url not in called:
                raise BadRequest(f"a {SERVICE_DPOP} proof is for {target[:200]}, which no SERVICE calls")
            # RFC 9449 §4.3 (12): bound to the token it travels with.
            if claims.get("ath") != expected_ath:
                raise BadRequest(f"a {SERVICE_DPOP} proof must carry the ath of this request's access token")
            if urlsplit(url).scheme != "https" and not self.insecure_forwarding:
                raise BadRequest(f"identities are forwarded over https only, not to {url[:200]}")
            identity.proofs.setdefault(url, []).append(proof)
        return identity

    # -- running the calls --------------------------------------------------------------------

    async def inline(self, plan: ServiceQuery, deadline: float, identity: ForwardedIdentity | None) -> str:
        """The query with each SERVICE clause replaced by its endpoint's answer (inline VALUES)."""
        calls = [asyncio.ensure_future(self._answer(clause, deadline, identity)) for clause in plan.clauses]
        try:
            answers = await asyncio.gather(*calls)
        finally:
            for call in calls:
                call.cancel()
        text = plan.text
        # From the last clause to the first, so that the earlier positions still hold.
        replacements = sorted(zip(plan.clauses, answers, strict=True), key=lambda pair: -pair[0].start)
        for clause, values in replacements:
            text = text[: clause.start] + values + text[clause.end :]
        return text

    async def _answer(
        self, clause: ServiceClause, deadline: float, identity: ForwardedIdentity | None
    ) -> str:
        loop = asyncio.get_running_loop()
        left = deadline - loop.time()
        budget = left / 2 if clause.silent else left
        url = endpoint_url(clause.endpoint)
        proof = identity.take(url) if identity is not None else None
        try:
            if budget <= 0:
                raise TimeoutError
            async with asyncio.timeout(budget):
                return await self._call(clause, url, identity.token if identity and proof else None, proof)
        except TimeoutError:
            if clause.silent:
                log.info("SERVICE SILENT <%s> timed out after %.1f s", url, budget)
                return EMPTY_SOLUTION
            raise GatewayTimeout(
                f"SERVICE <{clause.endpoint[:200]}> did not answer within the query's time limit"
            ) from None
        except BadGateway as error:
            if clause.silent:
                log.info("SERVICE SILENT <%s> failed: %s", url, error.detail)
                return EMPTY_SOLUTION
            raise

    async def _call(self, clause: ServiceClause, url: str, token: str | None, proof: str | None) -> str:
        headers = {"Content-Type": "application/sparql-query", "Accept": ACCEPT}
        if token is not None and proof is not None:
            headers |= {"Authorization": f"DPoP {token}", "DPoP": proof}
        where = f"SERVICE <{clause.endpoint[:200]}>"
        try:
            # SPARQL 1.1 Protocol §2.1.3: query via POST directly.
            answer = await self.client.request(
                "POST",
                url,
                headers=headers,
                data=clause.query.encode(),
                redirect_allowed=self.allowlist.allows_redirect,
            )
        except FetchError as error:
            raise BadGateway(f"{where} failed: {error}") from None
        if answer.status != 200:
            raise BadGateway(f"{where} answered {answer.status}{_said(answer.body)}")
        results_format = RESULT_FORMATS.get(answer.content_type or "")
        if results_format is None:
            raise BadGateway(f"{where} answered {answer.content_type or 'no media type'}, not SPARQL results")
        genid = f"{self.genid_base}{uuid.uuid4()}-"
        try:
            # Parsing up to the size cap takes a while: not on the event loop.
            return await asyncio.to_thread(
                inline_values, answer.body, results_format, clause.variables, genid
            )
        except (SyntaxError, ValueError) as error:
            raise BadGateway(f"{where} answered results that cannot be used: {error}") from None


def inline_values(
    body: bytes, results_format: ox.QueryResultsFormat, variables: Iterable[str], genid: str
) -> str:
    """SPARQL results as a `VALUES` block over the pattern's `variables` (the others are dropped).

    A remote endpoint may only bind the variables of its own pattern; blank nodes (which VALUES
    cannot hold) become IRIs under `genid`, one per label (RDF 1.1 Concepts §3.5, skolemization).
    """
    results = ox.parse_query_results(body, results_format)
    if not isinstance(results, ox.QuerySolutions):
        raise ValueError("they are an ASK answer, not solutions")
    announced = {variable.value for variable in results.variables}
    names = [name for name in variables if name in announced]
    rows = []
    for solution in results:
        terms = [_term(solution[name], genid) for name in names]
        rows.append("(" + " ".join(terms) + ")")
    head = " ".join(f"?{name}" for name in names)
    return f"VALUES ({head}) {{ {' '.join(rows)} }}"


def _term(value: Any, genid: str) -> str:
    if value is None:
        return "UNDEF"
    if isinstance(value, ox.BlankNode):
        return str(ox.NamedNode(genid + value.value))
    if isinstance(value, ox.NamedNode | ox.Literal):
        # N-Triples syntax, escaped by oxigraph: valid SPARQL, and nothing in it can end the term.
        return str(value)
    raise ValueError("they hold RDF-star triple terms, which this server does not pass on")


def _unverified_claims(jwt: str) -> dict[str, Any]:
    """The claims of a compact JWS, unverified (the remote server verifies the proof; we only route it)."""
    parts = jwt.strip().split(".")
    if len(parts) != 3:
        raise BadRequest(f"a {SERVICE_DPOP} value is not a JWT")
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError) as error:
        raise BadRequest(f"a {SERVICE_DPOP} value is not a JWT: {error}") from None
    if not isinstance(claims, dict):
        raise BadRequest(f"a {SERVICE_DPOP} value is not a JWT")
    return claims


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _said(body: bytes) -> str:
    text = body[:200].decode("utf-8", "replace").strip()
    return f": {text}" if text else ""


def service_proofs(values: Iterable[str]) -> list[str]:
    """The proofs in `SPARQL-Service-DPoP` header values (repeated, or separated by commas)."""
    return [proof.strip() for value in values for proof in value.split(",") if proof.strip()]
