"""Writes into a constrained container: PUT, POST and PATCH accepted, or 422 with a SHACL report."""

from __future__ import annotations

import pytest
from rdflib import Namespace

from tests.conftest import ClientFactory
from tests.rdf_helpers import TURTLE, absolute
from tests.shapes.documents import CONFORMING, FAILING
from tests.shapes.helpers import (
    SH,
    Client,
    constrain,
    constrained_by,
    put,
    report_of,
    result_paths,
    shipped,
)

JSON_LD = "application/ld+json"
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
GOOD = CONFORMING["contact"]["name, mailto and tel"]
NO_NAME = FAILING["contact"]["no name"]


@pytest.fixture
async def contacts(make_client: ClientFactory) -> Client:
    """A server whose `/contacts/` only takes vCard contacts (the shipped worked example)."""
    client = await make_client()
    await constrain(client, "/contacts/", shipped(client, "contact"))
    return client


async def test_put_of_a_conforming_document_is_created(contacts: Client) -> None:
    resp = await put(contacts, "/contacts/ada.ttl", GOOD)
    assert resp.status == 201
    assert (await contacts.get("/contacts/ada.ttl")).status == 200


async def test_put_of_a_violating_document_is_422_and_nothing_is_written(contacts: Client) -> None:
    resp = await put(contacts, "/contacts/ada.ttl", NO_NAME)
    assert resp.status == 422
    assert (await contacts.head("/contacts/ada.ttl")).status == 404


async def test_a_refusal_links_the_shapes_document_it_violates(contacts: Client) -> None:
    """Solid Protocol §Constraints: `Link: <constraints>; rel="http://www.w3.org/ns/ldp#constrainedBy"`."""
    resp = await put(contacts, "/contacts/ada.ttl", NO_NAME)
    assert constrained_by(resp) == {shipped(contacts, "contact")}


async def test_the_refusal_body_is_the_shacl_validation_report_in_turtle(contacts: Client) -> None:
    resp = await put(contacts, "/contacts/ada.ttl", NO_NAME)
    assert resp.headers["Content-Type"].startswith(TURTLE)
    report = await report_of(resp)
    assert VCARD.fn in result_paths(report)
    focus = set(report.objects(None, SH.focusNode))
    assert {str(f) for f in focus} == {absolute(contacts, "/contacts/ada.ttl#it")}


async def test_the_report_is_json_ld_when_the_client_asks_for_it(contacts: Client) -> None:
    resp = await put(contacts, "/contacts/ada.ttl", NO_NAME, Accept=JSON_LD)
    assert resp.status == 422
    assert resp.headers["Content-Type"].startswith(JSON_LD)
    assert VCARD.fn in result_paths(await report_of(resp))


async def test_replacing_a_conforming_document_with_a_violating_one_keeps_the_old(contacts: Client) -> None:
    await put(contacts, "/contacts/ada.ttl", GOOD)
    assert (await put(contacts, "/contacts/ada.ttl", NO_NAME)).status == 422
    body = await (await contacts.get("/contacts/ada.ttl")).text()
    assert "Ada Lovelace" in body


async def test_post_of_a_conforming_document_is_created(contacts: Client) -> None:
    resp = await contacts.post("/contacts/", data=GOOD.encode(), headers={"Content-Type": TURTLE})
    assert resp.status == 201


async def test_post_of_a_violating_document_is_422(contacts: Client) -> None:
    resp = await contacts.post(
        "/contacts/", data=NO_NAME.encode(), headers={"Content-Type": TURTLE, "Slug": "x"}
    )
    assert resp.status == 422
    assert VCARD.fn in result_paths(await report_of(resp))
    assert (await contacts.head("/contacts/x")).status == 404


async def test_json_ld_bodies_are_validated_as_their_graph(contacts: Client) -> None:
    body = (
        '{"@id": "#it", "@type": "http://www.w3.org/2006/vcard/ns#Individual",'
        ' "http://www.w3.org/2006/vcard/ns#fn": "Ada"}'
    )
    assert (await put(contacts, "/contacts/ada.jsonld", body, JSON_LD)).status == 201
    bad = '{"@id": "#it", "@type": "http://www.w3.org/2006/vcard/ns#Individual"}'
    assert (await put(contacts, "/contacts/bad.jsonld", bad, JSON_LD)).status == 422


async def test_patch_is_validated_on_its_result(contacts: Client) -> None:
    """Issue 11: the result after the patch is what is validated, not the patch document."""
    await put(contacts, "/contacts/ada.ttl", GOOD)
    delete_name = 'DELETE DATA { <#it> <http://www.w3.org/2006/vcard/ns#fn> "Ada Lovelace" . }'
    sparql = {"Content-Type": "application/sparql-update"}
    resp = await contacts.patch("/contacts/ada.ttl", data=delete_name.encode(), headers=sparql)
    assert resp.status == 422
    assert VCARD.fn in result_paths(await report_of(resp))
    rename = (
        'DELETE DATA { <#it> <http://www.w3.org/2006/vcard/ns#fn> "Ada Lovelace" . };'
        ' INSERT DATA { <#it> <http://www.w3.org/2006/vcard/ns#fn> "Ada King" . }'
    )
    assert (await contacts.patch("/contacts/ada.ttl", data=rename.encode(), headers=sparql)).status == 204
    assert "Ada King" in await (await contacts.get("/contacts/ada.ttl")).text()


async def test_patch_creating_a_violating_document_is_422(contacts: Client) -> None:
    n3 = (
        "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n"
        "_:p a solid:InsertDeletePatch;\n"
        "  solid:inserts { <#it> a <http://www.w3.org/2006/vcard/ns#Individual> . }."
    )
    resp = await contacts.patch("/contacts/new.ttl", data=n3.encode(), headers={"Content-Type": "text/n3"})
    assert resp.status == 422
    assert (await contacts.head("/contacts/new.ttl")).status == 404


async def test_non_rdf_writes_into_a_constrained_container_are_415(contacts: Client) -> None:
    resp = await contacts.put(
        "/contacts/photo.png", data=b"\x89PNG....", headers={"Content-Type": "image/png"}
    )
    assert resp.status == 415
    assert constrained_by(resp) == {shipped(contacts, "contact")}
    resp = await contacts.post("/contacts/", data=b"hello", headers={"Content-Type": "text/plain"})
    assert resp.status == 415


async def test_a_shape_targeting_non_rdf_sources_lets_them_in_and_constrains_them(
    make_client: ClientFactory,
) -> None:
    """Issue 11: "unless the shape says otherwise" is said in SHACL, by targeting ldp:NonRDFSource."""
    client = await make_client()
    shapes = """@prefix sh: <http://www.w3.org/ns/shacl#>. @prefix ldp: <http://www.w3.org/ns/ldp#>.
    @prefix stat: <http://www.w3.org/ns/posix/stat#>.
    <#Photos> a sh:NodeShape; sh:targetClass ldp:NonRDFSource;
        sh:property [ sh:path stat:size; sh:maxInclusive 16 ];
        sh:property [ sh:path <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>;
                      sh:hasValue <http://www.w3.org/ns/iana/media-types/image/png#Resource> ]."""
    await put(client, "/shapes/photos.ttl", shapes)
    await constrain(client, "/photos/", absolute(client, "/shapes/photos.ttl"))
    png = {"Content-Type": "image/png"}
    assert (await client.put("/photos/small.png", data=b"\x89PNG", headers=png)).status == 201
    assert (await client.put("/photos/big.png", data=b"\x89PNG" * 10, headers=png)).status == 422
    gif = {"Content-Type": "image/gif"}
    assert (await client.put("/photos/a.gif", data=b"GIF89a", headers=gif)).status == 422


async def test_only_members_of_the_constrained_container_are_validated(contacts: Client) -> None:
    """The constraint is on the container's members, sub-containers included (their description is
    their content); what is below a sub-container is the sub-container's business."""
    assert (await put(contacts, "/elsewhere/note.ttl", NO_NAME)).status == 201
    assert (await put(contacts, "/contacts/notes/", "")).status == 422  # a container, but no contact
    # Creating /contacts/old/ on the way is creating a member too: nothing of the write is made.
    assert (await put(contacts, "/contacts/old/note.ttl", NO_NAME)).status == 422
    assert (await contacts.head("/contacts/old/")).status == 404
    # A member's own auxiliary resources are not members.
    await put(contacts, "/contacts/ada.ttl", GOOD)
    assert (await put(contacts, "/contacts/ada.ttl.meta", "<> <http://example.org/seen> true.")).status == 201


async def test_two_shapes_documents_both_apply(make_client: ClientFactory) -> None:
    client = await make_client()
    shapes = """@prefix sh: <http://www.w3.org/ns/shacl#>. @prefix vcard: <http://www.w3.org/2006/vcard/ns#>.
    <#Note> a sh:NodeShape; sh:targetClass vcard:Individual;
        sh:property [ sh:path vcard:note; sh:minCount 1 ]."""
    await put(client, "/shapes/noted.ttl", shapes)
    await constrain(client, "/people/", shipped(client, "contact"), absolute(client, "/shapes/noted.ttl"))
    assert (await put(client, "/people/ada.ttl", GOOD)).status == 422
    noted = GOOD.replace(
        'vcard:fn "Ada Lovelace";', 'vcard:fn "Ada Lovelace"; vcard:note "met at a conference";'
    )
    assert (await put(client, "/people/ada.ttl", noted)).status == 201


async def test_a_shapes_document_in_a_pod_is_reread_when_it_changes(make_client: ClientFactory) -> None:
    """DESIGN "Files are the truth": compiled shapes are cached by the shapes document's ETag."""
    client = await make_client()
    loose = """@prefix sh: <http://www.w3.org/ns/shacl#>.
    <#S> a sh:NodeShape; sh:targetClass <http://example.org/Thing>."""
    await put(client, "/shapes/things.ttl", loose)
    await constrain(client, "/things/", absolute(client, "/shapes/things.ttl"))
    thing = "<#t> a <http://example.org/Thing>."
    assert (await put(client, "/things/a.ttl", thing)).status == 201
    strict = loose[:-1] + "; sh:property [ sh:path <http://example.org/name>; sh:minCount 1 ]."
    await put(client, "/shapes/things.ttl", strict)
    assert (await put(client, "/things/b.ttl", thing)).status == 422
