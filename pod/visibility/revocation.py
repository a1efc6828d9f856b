"""Revoke or narrow whatever a person, group or agent class is granted, in every ACL document of a pod.

Each ACL document is edited, not rewritten: only the subject's own statements change, and an
authorization left with no subject at all goes entirely (WAC would ignore it, and the ACL shape
refuses it). Where the subject shared an authorization with others and keeps some modes, it
gets an authorization of its own with the modes kept, about the same resources and origins.
Each edited document is written through the normal write path — WAC (as the owner, through the
account pages), the ACL shape, an If-Match on what was read, change notifications — so a
revocation can never produce an ACL the server would refuse from anyone else.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from pod.auth.credentials import Credentials
from pod.errors import BadRequest, PodError
from pod.http.shapes import RequestAuthority
from pod.ldp.conditions import Conditions, EntityTag
from pod.ldp.identifiers import ResourceIdentifier
from pod.ldp.operations import Content, Resources
from pod.rdf import formats
from pod.visibility.app_control import DASHBOARD_CLIENT
from pod.visibility.grants import Rule, acl_documents, read_rules
from pod.wac import vocabulary as v
from pod.wac.access_control import AccessControl
from pod.wac.modes import AccessMode, AccessModes, with_implied
from pod.wac.requirements import requirements_for

RDF_TYPE = ox.NamedNode(v.RDF_TYPE)
# The kinds of subject a revocation names, and the ACL statement that names them.
KINDS = {"agent": v.AGENT, "group": v.AGENT_GROUP, "public": v.AGENT_CLASS, "authenticated": v.AGENT_CLASS}
CLASS_OF = {"public": v.FOAF_AGENT, "authenticated": v.AUTHENTICATED_AGENT}
MODE_NAMES = {m.name.lower(): m for m in AccessMode}


@dataclass(frozen=True)
class Subject:
    """Whose grants change: `kind` is agent, group, public or authenticated."""

    kind: str
    iri: str

    @classmethod
    def parse(cls, kind: object, iri: object) -> Subject:
        if kind not in KINDS:
            raise BadRequest(f"`kind` must be one of {', '.join(KINDS)}")
        assert isinstance(kind, str)
        if kind in CLASS_OF:
            return cls(kind, CLASS_OF[kind])
        if not isinstance(iri, str) or not iri.startswith(("http://", "https://")) or len(iri) > 2000:
            raise BadRequest(f"a {kind} is named by an http(s) IRI of at most 2000 characters")
        if not iri.isprintable() or any(c in iri for c in ' <>"{}|\\^`'):
            raise BadRequest(f"{iri[:80]!r} is not an IRI")
        return cls(kind, iri)

    @property
    def predicate(self) -> ox.NamedNode:
        return ox.NamedNode(KINDS[self.kind])

    def in_rule(self, rule: Rule) -> bool:
        if self.kind == "agent":
            return self.iri in rule.agents
        if self.kind == "group":
            return self.iri in rule.groups
        return self.iri in rule.agent_classes


def parse_modes(value: object) -> AccessModes:
    """The modes a narrowing keeps: a list of read/append/write/control (empty: revoke)."""
    if not isinstance(value, list) or not all(isinstance(m, str) and m.lower() in MODE_NAMES for m in value):
        raise BadRequest(f"`modes` must be a list of {', '.join(MODE_NAMES)}")
    return frozenset(MODE_NAMES[m.lower()] for m in value)


def _written(modes: AccessModes) -> AccessModes:
    """The modes to write for a set with implied ones in it (Write implies Append: write Write only)."""
    return modes - {AccessMode.APPEND} if AccessMode.WRITE in modes else modes


def narrowed(
    triples: list[ox.Triple], rules: list[Rule], subject: Subject, keep: AccessModes
) -> list[ox.Triple] | None:
    """The document with `subject` granted at most `keep` in each rule; None when nothing changes."""
    remove: set[ox.Triple] = set()
    add: list[ox.Triple] = []
    by_node: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = {}
    for triple in triples:
        if isinstance(triple.subject, ox.NamedNode | ox.BlankNode):
            by_node.setdefault(triple.subject, []).append(triple)
    name = ox.NamedNode(subject.iri)
    for rule in rules:
        if not subject.in_rule(rule) or rule.modes <= with_implied(keep):
            continue
        statements = by_node.get(rule.node, [])
        own = ox.Triple(rule.node, subject.predicate, name)
        remove.add(own)
        # Nobody left in it: the whole authorization goes. An acl:origin alone is no one: left behind,
        # "Bob in this app" would become "this app", which is not what the owner had granted.
        subjects = {v.AGENT, v.AGENT_CLASS, v.AGENT_GROUP}
        if not any(t.predicate.value in subjects and t != own for t in statements):
            remove.update(statements)
        kept = _written(rule.modes & with_implied(keep))
        if kept:
            node = ox.BlankNode()
            add.append(ox.Triple(node, RDF_TYPE, ox.NamedNode(v.AUTHORIZATION)))
            add.append(ox.Triple(node, subject.predicate, name))
            add += [
                ox.Triple(node, ox.NamedNode(v.MODE), ox.NamedNode(m.value)) for m in sorted(kept, key=str)
            ]
            for predicate in (v.ACCESS_TO, v.DEFAULT, v.ORIGIN):
                add += [
                    ox.Triple(node, t.predicate, t.object)
                    for t in statements
                    if t.predicate.value == predicate
                ]
    if not remove:
        return None
    return [t for t in triples if t not in remove] + add


@dataclass(frozen=True)
class Outcome:
    changed: list[str]  # the URLs of the ACL documents edited


async def narrow_everywhere(
    resources: Resources,
    access: AccessControl,
    root: ResourceIdentifier,
    owner: str,
    owners: frozenset[str],
    subject: Subject,
    keep: AccessModes,
) -> Outcome:
    """Narrow (or, keeping nothing, revoke) `subject`'s grants in every ACL document of the pod."""
    if subject.kind == "agent" and subject.iri in owners:
        # Issue 13: a revocation never locks the owner out.
        raise BadRequest("the pod's owners keep their access: their grants cannot be revoked here")
    credentials = Credentials(agent=owner, client_id=DASHBOARD_CLIENT)
    changed: list[str] = []
    for entry in await acl_documents(resources.store, root):
        url = resources.url(entry.identifier)
        rules = await read_rules(resources.store, entry, url)
        if not any(subject.in_rule(rule) for rule in rules):
            continue
        assert entry.content_type is not None  # read_rules found RDF in it
        triples = formats.parse(await resources.store.read(entry.identifier), entry.content_type, url)
        edited = narrowed(triples, rules, subject, keep)
        if edited is None:
            continue
        requirements = requirements_for("PUT", entry.identifier, exists=True, missing_containers=[])
        await access.authorize(credentials, requirements)
        body = formats.serialize(edited, entry.content_type)  # in the format it was kept in
        # If-Match on the version read: a concurrent edit is a 412, never silently overwritten.
        conditions = Conditions(if_match=(EntityTag(entry.etag),))
        try:
            await resources.replace(
                entry.identifier,
                Content(entry.content_type, body, len(body)),
                conditions,
                authority=RequestAuthority(access, credentials),
            )
        except PodError as error:
            done = f" (already changed: {', '.join(changed)})" if changed else ""
            error.detail = f"{url}: {error.detail}{done}"
            raise
        changed.append(url)
    return Outcome(changed)
