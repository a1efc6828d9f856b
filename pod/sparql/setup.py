"""Wires the SPARQL endpoint into the app: its routes (before the LDP catch-all) and its life cycle."""

from __future__ import annotations

from aiohttp import web

from pod.config import Settings
from pod.ldp.operations import Resources
from pod.outbound import FetchPolicy, OutboundClient
from pod.sparql.endpoint import Handler, SparqlEndpoint
from pod.sparql.federated import Allowlist, RemoteEndpoints
from pod.sparql.index import Limits
from pod.sparql.location import ENDPOINT_NAME, WELL_KNOWN
from pod.sparql.service import SparqlService, index_folder
from pod.wac.access_control import AccessControl

SPARQL = web.AppKey("sparql", SparqlService)


def install(
    app: web.Application, settings: Settings, resources: Resources, access: AccessControl, fallback: Handler
) -> SparqlService:
    """Serve `{storage}.well-known/sparql` for the root and for each pod; other matches go to `fallback`."""
    service = SparqlService(
        resources,
        access,
        Limits(settings.sparql_timeout, settings.sparql_max_result_bytes),
        None if settings.storage == "memory" else index_folder(settings.data_dir),
    )
    app[SPARQL] = service
    # Issue 12: SERVICE calls to allow-listed endpoints, made by the server through its own guarded client:
    # answers capped like the endpoint's own, and the query's time limit (enforced around each call)
    # always shorter than the client's.
    client = OutboundClient(
        FetchPolicy(
            timeout=settings.sparql_timeout + 1,
            max_bytes=settings.sparql_max_result_bytes,
            allow_private=bool(settings.allow_private_fetch),
        )
    )
    remote = RemoteEndpoints(
        Allowlist(settings.sparql_service_allowlist),
        client,
        genid_base=f"{settings.base_url}.well-known/genid/",
        forward_identity=settings.sparql_service_forward_identity,
        insecure_forwarding=bool(settings.allow_private_fetch),
    )
    endpoint = SparqlEndpoint(service, remote, resources.storages, settings.base_path, fallback)
    tail = f"{WELL_KNOWN}/{ENDPOINT_NAME}"
    # The root (single-user mode) and `/{pod}/` (multi-user): pods are one segment below the root.
    app.router.add_route("*", settings.base_path + tail, endpoint.handle)
    app.router.add_route("*", settings.base_path + "{pod}/" + tail, endpoint.handle)

    async def start(_app: web.Application) -> None:
        await service.start()

    async def close(_app: web.Application) -> None:
        await service.close()
        await client.close()

    app.on_startup.append(start)
    app.on_cleanup.append(close)
    return service
