"""What a new pod holds: the WebID profile, settings, type indexes, inbox, public and private containers.

The layout is the one SolidOS and Inrupt's libraries look for (it is Node Solid Server's new
account template, which CSS's default pod also follows for `profile/card#me`): the profile
links the storage, inbox, preferences file and both type indexes, so an app can find
everything else from the WebID. Documents are built as graphs and serialised, so a name
with quotes or angle brackets can never add statements.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.sparql.location import VOID_SPARQL_ENDPOINT, endpoint_url
from pod.wac.templates import acl_template

FOAF = "http://xmlns.com/foaf/0.1/"
SOLID = "http://www.w3.org/ns/solid/terms#"
PIM = "http://www.w3.org/ns/pim/space#"
LDP = "http://www.w3.org/ns/ldp#"
SCHEMA = "http://schema.org/"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OIDC_ISSUER = SOLID + "oidcIssuer"
PREFIXES = {"foaf": FOAF, "solid": SOLID, "pim": PIM, "ldp": LDP, "schema": SCHEMA, "dct": DCT}
TURTLE = "text/turtle"

PROFILE_CARD = ("profile", "card")
PREFERENCES = ("settings", "prefs.ttl")
PUBLIC_TYPE_INDEX = ("settings", "publicTypeIndex.ttl")
PRIVATE_TYPE_INDEX = ("settings", "privateTypeIndex.ttl")
CONTAINERS = (("profile",), ("settings",), ("inbox",), ("public",), ("private",))


@dataclass(frozen=True, slots=True)
class PodItem:
    """One resource of a new pod: a container (body None) or a Turtle document."""

    identifier: ResourceIdentifier
    body: bytes | None = None


@dataclass(frozen=True, slots=True)
class PodLayout:
    """Where a pod is and who it is for; computes the URLs and contents of its resources."""

    root: ResourceIdentifier
    base_url: str  # the server's base URL: the pod's solid:oidcIssuer
    name: str  # the person's name (foaf:name)

    def at(self, *segments: str, container: bool = False) -> ResourceIdentifier:
        return ResourceIdentifier((*self.root.segments, *segments), container)

    def url(self, identifier: ResourceIdentifier) -> str:
        return self.base_url + identifier.path[1:]

    @property
    def pod_url(self) -> str:
        return self.url(self.root)

    @property
    def profile(self) -> ResourceIdentifier:
        return self.at(*PROFILE_CARD)

    @property
    def webid(self) -> str:
        return self.url(self.profile) + "#me"

    def _doc(self, triples: list[tuple[str, str, str | ox.Literal]]) -> bytes:
        graph = [
            ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o if isinstance(o, ox.Literal) else ox.NamedNode(o))
            for s, p, o in triples
        ]
        data = ox.serialize(graph, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)
        assert data is not None
        return data

    def profile_document(self) -> bytes:
        me, card = self.webid, self.url(self.profile)
        return self._doc(
            [
                (card, RDF_TYPE, FOAF + "PersonalProfileDocument"),
                (card, FOAF + "maker", me),
                (card, FOAF + "primaryTopic", me),
                (me, RDF_TYPE, FOAF + "Person"),
                (me, RDF_TYPE, SCHEMA + "Person"),
                (me, FOAF + "name", ox.Literal(self.name)),
                # Solid-OIDC §5.1: the issuers a WebID trusts are listed in its profile.
                (me, OIDC_ISSUER, self.base_url),
                (me, PIM + "storage", self.pod_url),
                (me, LDP + "inbox", self.url(self.at("inbox", container=True))),
                (me, PIM + "preferencesFile", self.url(self.at(*PREFERENCES))),
                (me, SOLID + "publicTypeIndex", self.url(self.at(*PUBLIC_TYPE_INDEX))),
                (me, SOLID + "privateTypeIndex", self.url(self.at(*PRIVATE_TYPE_INDEX))),
                # Issue 10: where apps can query the pod in one request instead of crawling it.
                (self.pod_url, VOID_SPARQL_ENDPOINT, endpoint_url(self.pod_url)),
            ]
        )

    def preferences_document(self) -> bytes:
        prefs = self.url(self.at(*PREFERENCES))
        return self._doc(
            [
                (prefs, RDF_TYPE, PIM + "ConfigurationFile"),
                (prefs, DCT + "title", ox.Literal("Preferences file")),
                (self.webid, SOLID + "publicTypeIndex", self.url(self.at(*PUBLIC_TYPE_INDEX))),
                (self.webid, SOLID + "privateTypeIndex", self.url(self.at(*PRIVATE_TYPE_INDEX))),
            ]
        )

    def type_index(self, segments: tuple[str, ...], *, listed: bool) -> bytes:
        index = self.url(self.at(*segments))
        kind = SOLID + ("ListedDocument" if listed else "UnlistedDocument")
        return self._doc([(index, RDF_TYPE, SOLID + "TypeIndex"), (index, RDF_TYPE, kind)])

    def protected(self) -> dict[ResourceIdentifier, tuple[tuple[str, str, str], ...]]:
        """The statements the profile must keep: a WebID without its issuer could not log in."""
        return {self.profile: ((self.webid, OIDC_ISSUER, self.base_url),)}

    def items(self) -> list[PodItem]:
        """Every resource of the new pod (the root container aside), parents before children."""
        owner = self.webid
        acl = AuxiliaryKind.ACL
        profile_url = self.url(self.profile)
        public_index = self.at(*PUBLIC_TYPE_INDEX)
        inbox = self.at("inbox", container=True)
        items = [PodItem(self.root.auxiliary(acl), _acl("pod", pod=self.pod_url, owner=owner))]
        items += [PodItem(self.at(*c, container=True)) for c in CONTAINERS]
        items += [
            PodItem(self.profile, self.profile_document()),
            # WebID profiles are public: other servers read them to check the owner's issuer.
            PodItem(self.profile.auxiliary(acl), _acl("profile", profile=profile_url, owner=owner)),
            PodItem(self.at(*PREFERENCES), self.preferences_document()),
            PodItem(public_index, self.type_index(PUBLIC_TYPE_INDEX, listed=True)),
            # The public type index uses the profile's template: readable by all, the owner's to change.
            PodItem(
                public_index.auxiliary(acl), _acl("profile", profile=self.url(public_index), owner=owner)
            ),
            PodItem(self.at(*PRIVATE_TYPE_INDEX), self.type_index(PRIVATE_TYPE_INDEX, listed=False)),
            PodItem(inbox.auxiliary(acl), _acl("inbox", inbox=self.url(inbox), owner=owner)),
        ]
        return items


def _acl(template: str, **values: str) -> bytes:
    return acl_template(template, **values).encode("utf-8")
