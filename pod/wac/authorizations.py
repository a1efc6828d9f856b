"""ACL documents read into authorizations (WAC §Authorization Rule, §Authorization Conformance)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from pod.errors import BadRequest
from pod.rdf import formats
from pod.wac import vocabulary as v
from pod.wac.modes import AccessModes, mode_from_iri, with_implied
from pod.wac.origins import normalize_origin


@dataclass(frozen=True, slots=True)
class Authorization:
    """One conforming acl:Authorization; Write already implies Append in `modes`."""

    modes: AccessModes
    agents: frozenset[str] = frozenset()
    agent_classes: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    origins: frozenset[str] = frozenset()  # normalized with normalize_origin

    @property
    def is_public(self) -> bool:
        """WAC §Access Subjects: foaf:Agent is everyone."""
        return v.FOAF_AGENT in self.agent_classes


@dataclass(frozen=True, slots=True)
class AclDocument:
    """The authorizations of one ACL document, indexed by the resource they are about."""

    access_to: dict[str, tuple[Authorization, ...]] = field(default_factory=dict)
    default: dict[str, tuple[Authorization, ...]] = field(default_factory=dict)

    def for_resource(self, url: str) -> tuple[Authorization, ...]:
        """WAC §Access Objects: the rules that name `url` with acl:accessTo."""
        return self.access_to.get(url, ())

    def for_members_of(self, container_url: str) -> tuple[Authorization, ...]:
        """WAC §Access Objects: the rules a container passes down with acl:default."""
        return self.default.get(container_url, ())


# An ACL document that exists but cannot be read grants nothing.
UNREADABLE = AclDocument()


def parse_acl_document(data: bytes, media_type: str | None, url: str) -> AclDocument:
    """The authorizations in an ACL document; a document that is not RDF raises BadRequest."""
    if not formats.is_rdf(media_type):
        raise BadRequest(f"an ACL document must be RDF, not {media_type or 'untyped'}")
    assert media_type is not None
    return authorizations_from(formats.parse(data, media_type, url))


def authorizations_from(triples: Iterable[ox.Triple]) -> AclDocument:
    properties: dict[ox.NamedNode | ox.BlankNode, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for triple in triples:
        subject, obj = triple.subject, triple.object
        if isinstance(subject, (ox.NamedNode, ox.BlankNode)) and isinstance(obj, ox.NamedNode):
            properties[subject][triple.predicate.value].add(obj.value)
    access_to: dict[str, list[Authorization]] = defaultdict(list)
    default: dict[str, list[Authorization]] = defaultdict(list)
    for values in properties.values():
        if v.AUTHORIZATION not in values[v.RDF_TYPE]:
            continue
        # WAC §Access Mode Extensions: unknown modes are skipped, never an error, never more access.
        modes = frozenset(m for m in map(mode_from_iri, values[v.MODE]) if m is not None)
        authorization = Authorization(
            modes=with_implied(modes),
            agents=frozenset(values[v.AGENT]),
            agent_classes=frozenset(values[v.AGENT_CLASS]),
            groups=frozenset(values[v.AGENT_GROUP]),
            origins=frozenset(normalize_origin(o) for o in values[v.ORIGIN]),
        )
        # WAC §Authorization Conformance: a mode, a subject and an access object, or it does not apply.
        has_subject = authorization.agents or authorization.agent_classes or authorization.groups
        if not authorization.modes or not (has_subject or authorization.origins):
            continue
        for url in values[v.ACCESS_TO]:
            access_to[url].append(authorization)
        for url in values[v.DEFAULT]:
            default[url].append(authorization)
    return AclDocument(
        {url: tuple(rules) for url, rules in access_to.items()},
        {url: tuple(rules) for url, rules in default.items()},
    )
