"""Reading a query request as the SPARQL 1.1 Protocol defines it (§2.1 query operation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict, MultiMapping

from pod.errors import BadRequest, MethodNotAllowed, UnsupportedMediaType
from pod.http import conneg
from pod.sparql import results

SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
FORM = "application/x-www-form-urlencoded"
ALLOW = "GET, HEAD, POST, OPTIONS"


@dataclass(frozen=True, slots=True)
class QueryRequest:
    query: str
    default_graphs: tuple[str, ...] | None  # default-graph-uri parameters, None when there are none
    named_graphs: tuple[str, ...] | None  # named-graph-uri parameters

    @property
    def has_protocol_dataset(self) -> bool:
        return self.default_graphs is not None or self.named_graphs is not None


async def read_request(request: web.Request) -> QueryRequest:
    """The query and protocol dataset of a GET or POST (§2.1.1–§2.1.3); 4xx with the reason otherwise."""
    if request.method in ("GET", "HEAD"):
        # §2.1.1 query via GET: everything is in the query string.
        return _from_parameters(request.query)
    if request.method != "POST":
        raise MethodNotAllowed(
            f"{request.method} is not a SPARQL Protocol operation", headers={"Allow": ALLOW}
        )
    media_type = conneg.essence(request.headers.get("Content-Type"))
    if media_type == FORM:
        # §2.1.2 query via URL-encoded POST: the parameters are in the body.
        body = await _text(request)
        return _from_parameters(MultiDict(parse_qsl(body, keep_blank_values=True)))
    if media_type == SPARQL_QUERY:
        # §2.1.3 query via POST directly: the body is the query, the dataset in the query string.
        parameters = request.query
        if "query" in parameters:
            raise BadRequest("a direct POST carries the query in its body, not in a query parameter")
        return QueryRequest(await _text(request), *_dataset(parameters))
    if media_type == SPARQL_UPDATE:
        raise BadRequest(_UPDATE_REFUSED)
    raise UnsupportedMediaType(
        f"POST a query as {SPARQL_QUERY} or {FORM}, not {media_type or 'without a Content-Type'}"
    )


_UPDATE_REFUSED = (
    "this endpoint is read-only and answers no SPARQL Update: write with LDP requests "
    "(PUT, POST, PATCH) to the resources themselves, so that access control applies"
)


def _from_parameters(parameters: MultiMapping[str]) -> QueryRequest:
    if "update" in parameters:
        raise BadRequest(_UPDATE_REFUSED)
    queries = parameters.getall("query", [])
    if len(queries) != 1:
        # §2.1.1: exactly one query string.
        raise BadRequest("give exactly one 'query' parameter" + (f", not {len(queries)}" if queries else ""))
    return QueryRequest(queries[0], *_dataset(parameters))


def _dataset(
    parameters: MultiMapping[str],
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    defaults = tuple(parameters.getall("default-graph-uri", []))
    named = tuple(parameters.getall("named-graph-uri", []))
    if not defaults and not named:
        return None, None
    return defaults, named


async def _text(request: web.Request) -> str:
    try:
        return (await request.read()).decode(request.charset or "utf-8")
    except (UnicodeDecodeError, LookupError) as error:
        raise BadRequest(f"the request body is not text in its charset: {error}") from error


def negotiate(accept: str | None) -> tuple[str | None, str | None]:
    """The media types for solutions (SELECT, ASK) and for graphs (CONSTRUCT, DESCRIBE), or None each."""
    ranges = conneg.parse_accept(accept)
    return (
        _choose(ranges, list(results.SOLUTION_FORMATS)),
        _choose(ranges, list(results.GRAPH_FORMATS)),
    )


def _choose(ranges: Sequence[conneg.MediaRange], canonical: list[str]) -> str | None:
    aliases = [alias for alias, target in results.ALIASES.items() if target in canonical]
    chosen = conneg.negotiate(ranges, canonical + aliases)
    return results.ALIASES.get(chosen, chosen) if chosen is not None else None
