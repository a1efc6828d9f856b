"""The access overview (issue 13): every grant in every ACL document of a pod, grouped by whom it is for."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from pod.errors import PodError
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.rdf import formats
from pod.storage.base import Entry, Store
from pod.wac import vocabulary as v
from pod.wac.modes import AccessMode, mode_from_iri, with_implied

Node = ox.NamedNode | ox.BlankNode
# Identifier → URL (pod.ldp.operations.Resources.url).
UrlOf = Callable[[ResourceIdentifier], str]
# How many ACL documents are read at once: enough to hide file latency, few enough for the event loop.
READ_AHEAD = 32


@dataclass(frozen=True, slots=True)
class Rule:
    """One acl:Authorization as written in one ACL document, with what it is about."""

    acl: ResourceIdentifier
    node: Node
    modes: frozenset[AccessMode]  # implied modes included (Write → Append)
    access_to: tuple[str, ...]
    default: tuple[str, ...]
    agents: frozenset[str]
    agent_classes: frozenset[str]
    groups: frozenset[str]
    origins: frozenset[str]


def rules_in(acl: ResourceIdentifier, triples: Iterable[ox.Triple]) -> list[Rule]:
    """The authorizations of one document (unlike pod.wac.authorizations, keeping where each is)."""
    properties: dict[Node, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for triple in triples:
        if isinstance(triple.subject, ox.NamedNode | ox.BlankNode) and isinstance(
            triple.object, ox.NamedNode
        ):
            properties[triple.subject][triple.predicate.value].append(triple.object.value)
    rules = []
    for node, values in properties.items():
        if v.AUTHORIZATION not in values[v.RDF_TYPE]:
            continue
        modes = frozenset(m for m in map(mode_from_iri, values[v.MODE]) if m is not None)
        rules.append(
            Rule(
                acl,
                node,
                with_implied(modes),
                tuple(sorted(set(values[v.ACCESS_TO]))),
                tuple(sorted(set(values[v.DEFAULT]))),
                frozenset(values[v.AGENT]),
                frozenset(values[v.AGENT_CLASS]),
                frozenset(values[v.AGENT_GROUP]),
                frozenset(values[v.ORIGIN]),
            )
        )
    return rules


async def acl_documents(store: Store, root: ResourceIdentifier) -> list[Entry]:
    """Every ACL document in the pod, the root's first, found by walking its containers."""
    found: list[Entry] = []
    pending = [root]
    while pending:
        container = pending.pop()
        for entry in await store.children(container):
            if entry.is_container:
                pending.append(entry.identifier)
            elif entry.identifier.auxiliary_kind is AuxiliaryKind.ACL:
                found.append(entry)
    return sorted(found, key=lambda e: e.identifier.path)


async def read_rules(store: Store, entry: Entry, url: str) -> list[Rule]:
    """The rules of one ACL document; one that is not RDF, or does not parse, grants nothing."""
    if not formats.is_rdf(entry.content_type):
        return []
    assert entry.content_type is not None
    try:
        triples = formats.parse(await store.read(entry.identifier), entry.content_type, url)
    except (PodError, OSError):
        return []
    return rules_in(entry.identifier, triples)


async def pod_rules(store: Store, root: ResourceIdentifier, url_of: UrlOf) -> list[Rule]:
    entries = await acl_documents(store, root)
    rules: list[Rule] = []
    for start in range(0, len(entries), READ_AHEAD):
        chunk = entries[start : start + READ_AHEAD]
        for found in await asyncio.gather(*(read_rules(store, e, url_of(e.identifier)) for e in chunk)):
            rules += found
    return rules


def _grant(rule: Rule, url_of: UrlOf) -> dict[str, object]:
    return {
        "acl": url_of(rule.acl),
        "accessTo": list(rule.access_to),
        "default": list(rule.default),
        "modes": sorted(m.name.lower() for m in rule.modes),
    }


def overview(rules: Iterable[Rule], owners: frozenset[str], url_of: UrlOf) -> dict[str, object]:
    """Grants grouped by whom they are for: people, groups, public, authenticated agents, origins."""
    people: dict[str, list[dict[str, object]]] = defaultdict(list)
    groups: dict[str, list[dict[str, object]]] = defaultdict(list)
    origins: dict[str, list[dict[str, object]]] = defaultdict(list)
    public: list[dict[str, object]] = []
    authenticated: list[dict[str, object]] = []
    for rule in rules:
        grant = _grant(rule, url_of)
        for agent in rule.agents:
            people[agent].append(grant)
        for group in rule.groups:
            groups[group].append(grant)
        for origin in rule.origins:
            origins[origin].append(grant)
        if v.FOAF_AGENT in rule.agent_classes:
            public.append(grant)
        if v.AUTHENTICATED_AGENT in rule.agent_classes:
            authenticated.append(grant)
    return {
        "people": [
            {"webId": who, "owner": who in owners, "grants": grants} for who, grants in sorted(people.items())
        ],
        "groups": [{"group": who, "grants": grants} for who, grants in sorted(groups.items())],
        "public": public,
        "authenticated": authenticated,
        "origins": [{"origin": who, "grants": grants} for who, grants in sorted(origins.items())],
    }
