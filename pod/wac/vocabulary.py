"""The IRIs of the vocabularies ACL documents and group documents use (WAC §Namespaces)."""

from __future__ import annotations

ACL = "http://www.w3.org/ns/auth/acl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

AUTHORIZATION = ACL + "Authorization"
ACCESS_TO = ACL + "accessTo"
DEFAULT = ACL + "default"
MODE = ACL + "mode"
AGENT = ACL + "agent"
AGENT_CLASS = ACL + "agentClass"
AGENT_GROUP = ACL + "agentGroup"
ORIGIN = ACL + "origin"
AUTHENTICATED_AGENT = ACL + "AuthenticatedAgent"

FOAF_AGENT = "http://xmlns.com/foaf/0.1/Agent"
VCARD_HAS_MEMBER = "http://www.w3.org/2006/vcard/ns#hasMember"
