"""A multi-user server with Alice's pod, her friend Bob, and agents querying it with SPARQLWrapper.

Alice and Bob authenticate for real: DPoP-bound tokens from the server's own OpenID provider
(client-credentials flow), a fresh DPoP proof on every request.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import pytest
from SPARQLWrapper import GET, JSON, TURTLE, SPARQLWrapper

from tests.conftest import ClientFactory
from tests.idp_oidc.conftest import Client, DpopKey, Person, base_url, client_credential, create_person
from tests.idp_oidc.test_client_credentials import basic

EX = "http://example.org/"
NOTE = b"<#it> a <http://example.org/Note> .\n"


@dataclass
class Agent:
    """Someone asking: a WebID with a DPoP-bound token, or nobody (the public)."""

    client: Client
    token: str | None = None
    key: DpopKey | None = None

    def headers(self, method: str, url: str) -> dict[str, str]:
        if self.token is None or self.key is None:
            return {}
        return {
            "Authorization": f"DPoP {self.token}",
            "DPoP": self.key.proof(method, url, access_token=self.token),
        }

    def wrapper(self, endpoint: str, return_format: str = JSON) -> SPARQLWrapper:
        sparql = SPARQLWrapper(endpoint, returnFormat=return_format)
        sparql.setMethod(GET)
        for name, value in self.headers("GET", endpoint).items():
            sparql.addCustomHttpHeader(name, value)
        return sparql

    async def select(self, endpoint: str, query: str) -> list[dict[str, str]]:
        """SELECT with SPARQLWrapper (blocking HTTP: in a thread), as {variable: value} rows."""
        sparql = self.wrapper(endpoint)
        sparql.setQuery(query)
        result: Any = await asyncio.to_thread(sparql.queryAndConvert)
        return [{k: v["value"] for k, v in row.items()} for row in result["results"]["bindings"]]

    async def ask(self, endpoint: str, query: str) -> bool:
        sparql = self.wrapper(endpoint)
        sparql.setQuery(query)
        result: Any = await asyncio.to_thread(sparql.queryAndConvert)
        return bool(result["boolean"])

    async def construct(self, endpoint: str, query: str) -> bytes:
        sparql = self.wrapper(endpoint, TURTLE)
        sparql.setQuery(query)
        result: Any = await asyncio.to_thread(sparql.queryAndConvert)
        return bytes(result)

    async def put(self, url: str, body: bytes, content_type: str = "text/turtle") -> None:
        answer = await self.client.session.put(
            url, data=body, headers={"Content-Type": content_type, **self.headers("PUT", url)}
        )
        assert answer.status in (201, 204), await answer.text()

    async def delete(self, url: str) -> None:
        answer = await self.client.session.delete(url, headers=self.headers("DELETE", url))
        assert answer.status == 204, await answer.text()


async def agent_for(client: Client, person: Person) -> Agent:
    key = DpopKey()
    headers = {
        "Authorization": basic(*await client_credential(client, person)),
        "DPoP": key.proof("POST", base_url(client) + ".oidc/token"),
    }
    answer = await client.post("/.oidc/token", data={"grant_type": "client_credentials"}, headers=headers)
    assert answer.status == 200, await answer.text()
    return Agent(client, (await answer.json())["access_token"], key)


def acl(*rules: tuple[str, str, str, str]) -> bytes:
    """An ACL document from (who, acl:accessTo or acl:default, the resource, modes) rules."""
    lines = ["@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>."]
    for i, (who, how, subject, modes) in enumerate(rules):
        lines.append(f"<#r{i}> a acl:Authorization; {who}; acl:{how} <{subject}>; acl:mode {modes}.")
    return "\n".join(lines).encode()


@dataclass
class World:
    """Alice's pod with three identical notes that differ only in their ACL, and who is asking."""

    client: Client
    alice: Agent
    bob: Agent
    public: Agent
    pod: str
    endpoint: str

    def url(self, path: str) -> str:
        return self.pod + path


@pytest.fixture
async def world(make_client: ClientFactory) -> World:
    client = await make_client(single_user=False)
    alice_person = await create_person(client, "alice")
    bob_person = await create_person(client, "bob")
    alice, bob = await agent_for(client, alice_person), await agent_for(client, bob_person)
    pod = alice_person.pod
    owner = f"acl:agent <{alice_person.webid}>"
    everything = "acl:Read, acl:Write, acl:Control"
    # notes/ is public (acl:default); friends.ttl adds Bob; secret.ttl is Alice's alone.
    await alice.put(pod + "notes/public.ttl", NOTE)
    await alice.put(pod + "notes/friends.ttl", NOTE)
    await alice.put(pod + "notes/secret.ttl", NOTE)
    notes, friends, secret = pod + "notes/", pod + "notes/friends.ttl", pod + "notes/secret.ttl"
    anyone = "acl:agentClass foaf:Agent"
    rules = [(owner, how, notes, everything) for how in ("accessTo", "default")]
    await alice.put(
        notes + ".acl", acl(*rules, *[(anyone, how, notes, "acl:Read") for how in ("accessTo", "default")])
    )
    bob_reads = (f"acl:agent <{bob_person.webid}>", "accessTo", friends, "acl:Read")
    await alice.put(friends + ".acl", acl((owner, "accessTo", friends, everything), bob_reads))
    await alice.put(secret + ".acl", acl((owner, "accessTo", secret, everything)))
    # A description resource follows its subject's Read (DESIGN "SPARQL and auxiliary resources").
    await alice.put(friends + ".meta", b'<friends.ttl> <http://purl.org/dc/terms/title> "for friends" .\n')
    return World(client, alice, bob, Agent(client), pod, pod + ".well-known/sparql")


def notes_query(extra: str = "") -> str:
    return f"SELECT ?g ?s WHERE {{ GRAPH ?g {{ ?s a <{EX}Note> }} {extra} }} ORDER BY ?g"


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
