"""The HTTP side of the SPARQL endpoint: `{storage}.well-known/sparql`, one per storage, read-only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from pod.errors import NotAcceptable
from pod.http.authentication import CREDENTIALS
from pod.ldp.identifiers import ResourceIdentifier, parse_path
from pod.ldp.storages import Storages
from pod.sparql import protocol, results, scan, wire
from pod.sparql.errors import GatewayTimeout, error_for
from pod.sparql.federated import MIN_QUERY_SECONDS, SERVICE_DPOP, RemoteEndpoints, service_proofs
from pod.sparql.index import Dataset
from pod.sparql.location import ENDPOINT_NAME, WELL_KNOWN
from pod.sparql.service import SparqlService

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class SparqlEndpoint:
    """Answers queries on a storage's endpoint; any other path matching the route goes to `fallback`."""

    def __init__(
        self,
        service: SparqlService,
        remote: RemoteEndpoints,
        storages: Storages,
        base_path: str,
        fallback: Handler,
    ) -> None:
        self.service = service
        self.remote = remote
        self.storages = storages
        self.base_path = base_path
        self.fallback = fallback

    def storage_of(self, request: web.Request) -> ResourceIdentifier | None:
        raw_path = request.raw_path.split("?", 1)[0]
        if not raw_path.startswith(self.base_path):
            return None
        identifier = parse_path("/" + raw_path[len(self.base_path) :])
        if identifier.is_container or identifier.segments[-2:] != (WELL_KNOWN, ENDPOINT_NAME):
            return None
        storage = ResourceIdentifier(identifier.segments[:-2], True)
        return storage if self.storages.is_storage(storage) else None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        storage = self.storage_of(request)
        if storage is None:
            # `/x/.well-known/sparql` where /x/ is no storage: an ordinary path, or a reserved one.
            return await self.fallback(request)
        if request.method == "OPTIONS":
            return web.Response(status=204, headers={"Allow": protocol.ALLOW})
        query_request = await protocol.read_request(request)
        # The query's time limit covers everything from here: its SERVICE calls, then the query itself.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.service.limits.timeout
        shape = scan.inspect(query_request.query)
        solutions_type, graph_type = protocol.negotiate(request.headers.get("Accept"))
        self._check_acceptable(shape.form, solutions_type, graph_type)
        credentials = request[CREDENTIALS]
        base_iri = self.service.resources.url(storage)
        plan = await self.remote.plan(query_request.query, base_iri)
        proofs = service_proofs(request.headers.getall(SERVICE_DPOP, []))
        identity = self.remote.identity(request.headers, proofs, credentials, plan)
        text = await self.remote.inline(plan, deadline, identity) if plan.clauses else plan.text
        left = deadline - loop.time()
        if plan.clauses and left < MIN_QUERY_SECONDS:
            raise GatewayTimeout("the SERVICE calls took the whole of the query's time limit")
        dataset = Dataset(
            query=text,
            # SPARQL 1.1 Query §13.2: without FROM (or the protocol's dataset), the service chooses
            # the default graph — here the union of every graph the agent may read.
            union_default_graph=not shape.has_dataset_clause and not query_request.has_protocol_dataset,
            default_graphs=query_request.default_graphs,
            named_graphs=query_request.named_graphs,
            solutions_type=solutions_type,
            graph_type=graph_type,
        )
        answer = await self.service.query(storage, credentials, dataset, timeout=max(left, MIN_QUERY_SECONDS))
        if isinstance(answer, wire.Failure):
            raise error_for(answer.status, answer.detail)
        return web.Response(
            body=answer.body if request.method != "HEAD" else None,
            headers={
                "Content-Type": answer.media_type,
                # The answer depends on who asks (their dataset) and on the format asked for.
                "Vary": "Accept, Authorization, Origin",
                "Cache-Control": "no-store",
            },
        )

    @staticmethod
    def _check_acceptable(form: str, solutions_type: str | None, graph_type: str | None) -> None:
        if form in ("SELECT", "ASK") and solutions_type is None:
            raise NotAcceptable(f"{form} results are served as {', '.join(results.SOLUTION_FORMATS)}")
        if form in ("CONSTRUCT", "DESCRIBE") and graph_type is None:
            raise NotAcceptable(f"{form} results are served as {', '.join(results.GRAPH_FORMATS)}")
