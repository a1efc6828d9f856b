"""For each shipped shapes document, documents that conform to it and documents that do not (Turtle).

Relative IRIs resolve against the document's own URL; `<>` is the document.
"""

from __future__ import annotations

ACL_PREFIXES = "@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n"
VCARD = "@prefix vcard: <http://www.w3.org/2006/vcard/ns#>.\n"
PROFILE_PREFIXES = """@prefix foaf: <http://xmlns.com/foaf/0.1/>. @prefix solid: <http://www.w3.org/ns/solid/terms#>.
@prefix pim: <http://www.w3.org/ns/pim/space#>.
"""
SOLID = "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n"
AS = "@prefix as: <https://www.w3.org/ns/activitystreams#>. @prefix xsd: <http://www.w3.org/2001/XMLSchema#>.\n"

CONFORMING: dict[str, dict[str, str]] = {
    "acl": {
        "public read": ACL_PREFIXES
        + "<#r> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Read.",
        "an origin and a mode extension": ACL_PREFIXES
        + "<#r> a acl:Authorization; acl:origin <https://app.example>; acl:default <./>;"
        " acl:mode <http://example.org/modes#Comment>.",
    },
    "contact": {
        "name, mailto and tel": VCARD
        + '<#it> a vcard:Individual; vcard:fn "Ada Lovelace"; vcard:hasEmail <mailto:ada@example.org>;'
        " vcard:hasTelephone [ a vcard:Home; vcard:value <tel:+44-20-7946-0000> ].",
    },
    "profile": {
        "a new pod's profile": PROFILE_PREFIXES
        + "<> a foaf:PersonalProfileDocument; foaf:primaryTopic <#me>.\n"
        "<#me> a foaf:Person; solid:oidcIssuer <https://idp.example/>; pim:storage </>.",
    },
    "type-index": {
        "a listed index with registrations": SOLID + "<> a solid:TypeIndex, solid:ListedDocument.\n"
        "<#notes> a solid:TypeRegistration; solid:forClass <http://schema.org/TextDigitalDocument>;"
        " solid:instanceContainer </notes/>.",
        "a preferences file beside the indexes": "<> a <http://www.w3.org/ns/pim/space#ConfigurationFile>.",
    },
    "notification": {
        "an Announce": AS
        + "<#n> a as:Announce; as:actor <https://bob.example/profile#me>; as:object </shared/doc>;"
        ' as:published "2024-05-01T10:00:00Z"^^xsd:dateTime.',
    },
}

FAILING: dict[str, dict[str, str]] = {
    "acl": {
        "no mode": ACL_PREFIXES + "<#r> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>.",
        "a misspelt mode": ACL_PREFIXES
        + "<#r> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:read.",
        "a misspelt predicate": ACL_PREFIXES
        + "<#r> a acl:Authorization; acl:agentClass foaf:Agent; acl:acessTo <./>; acl:mode acl:Read.",
        "no type": ACL_PREFIXES + "<#r> acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Read.",
        "no subject": ACL_PREFIXES + "<#r> a acl:Authorization; acl:accessTo <./>; acl:mode acl:Read.",
        "a literal agent": ACL_PREFIXES
        + '<#r> a acl:Authorization; acl:agent "alice"; acl:accessTo <./>; acl:mode acl:Read.',
    },
    "contact": {
        "no name": VCARD + "<#it> a vcard:Individual; vcard:hasEmail <mailto:ada@example.org>.",
        "an e-mail that is a string": VCARD
        + '<#it> a vcard:Individual; vcard:fn "Ada"; vcard:hasEmail "ada".',
        "no contact at all": VCARD + '<#it> vcard:note "just a note".',
    },
    "profile": {
        "without its issuer": PROFILE_PREFIXES
        + "<> a foaf:PersonalProfileDocument; foaf:primaryTopic <#me>.\n"
        "<#me> a foaf:Person; pim:storage </>.",
        "without its storage": PROFILE_PREFIXES
        + "<> foaf:primaryTopic <#me>.\n<#me> a foaf:Person; solid:oidcIssuer <https://idp.example/>.",
        "an untyped WebID": PROFILE_PREFIXES
        + "<> foaf:primaryTopic <#me>.\n<#me> solid:oidcIssuer <https://idp.example/>; pim:storage </>.",
        "no WebID": PROFILE_PREFIXES + '<> a foaf:PersonalProfileDocument; foaf:name "nobody".',
    },
    "type-index": {
        "neither listed nor unlisted": SOLID + "<> a solid:TypeIndex.",
        "a registration without a class": SOLID + "<> a solid:TypeIndex, solid:UnlistedDocument.\n"
        "<#r> a solid:TypeRegistration; solid:instance </notes/a>.",
        "a registration without instances": SOLID
        + "<#r> a solid:TypeRegistration; solid:forClass <http://schema.org/Event>.",
    },
    "notification": {
        "no activity": AS + '<#n> as:summary "hello".',
        "an activity without an actor": AS + "<#n> a as:Create; as:object </doc>.",
        "two publication times": AS + "<#n> a as:Like; as:actor <https://bob.example/#me>;"
        ' as:published "2024-05-01T10:00:00Z"^^xsd:dateTime, "2024-05-02T10:00:00Z"^^xsd:dateTime.',
    },
}
