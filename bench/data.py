"""The documents the benchmark serves, and seeding them straight into a server's data folder.

Every server measured here (pod, CSS with its file back end, NSS) keeps a resource whose URL ends in
`.ttl` as a plain file of that name, and a container as a folder, so one layout seeds them all
without going through HTTP (checked by PUTting a document to each and looking at what it wrote).
"""

from __future__ import annotations

import os
from pathlib import Path

SMALL_TRIPLES = 20
LARGE_TRIPLES = 10_000
CONTAINER_CHILDREN = 1_000

# Paths (under the server root) of what the workloads use.
SMALL = "bench/small.ttl"
PATCHED = "bench/patched.ttl"
LARGE = "bench/large.ttl"
CONTAINER = "bench/c1000/"
PUT_CONTAINER = "bench/put/"


def small_document() -> bytes:
    """A profile-like Turtle document of exactly 20 triples."""
    return b"""@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix solid: <http://www.w3.org/ns/solid/terms#> .
@prefix pim: <http://www.w3.org/ns/pim/space#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<#me> a foaf:Person, <http://schema.org/Person> ;
    foaf:name "Ada Benchmark" ;
    foaf:nick "ada" ;
    vcard:fn "Ada Benchmark" ;
    vcard:role "Engineer" ;
    vcard:hasEmail <#email> ;
    foaf:knows <https://bob.example/profile/card#me>, <https://carol.example/profile/card#me> ;
    solid:oidcIssuer <https://idp.example/> ;
    pim:storage </> ;
    pim:preferencesFile </settings/prefs.ttl> ;
    solid:publicTypeIndex </settings/publicTypeIndex.ttl> ;
    dct:created "2024-01-02T03:04:05Z"^^xsd:dateTime ;
    dct:modified "2025-06-07T08:09:10Z"^^xsd:dateTime .

<#email> a vcard:Work ;
    vcard:value <mailto:ada@example.org> .

<> a foaf:PersonalProfileDocument ;
    foaf:maker <#me> ;
    foaf:primaryTopic <#me> .
"""


ITEM_PREFIXES = """@prefix ex: <http://example.org/ns#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""


def item(i: int, triples: int) -> str:
    """Item `i` of a document of `triples` triples, in Turtle: ten triples about `<#item{i}>`."""
    return (
        f"<#item{i}> a ex:Item ;\n"
        f'    dct:title "Item number {i}" ;\n'
        f"    ex:index {i} ;\n"
        f'    ex:weight "{i * 0.25:.2f}"^^xsd:decimal ;\n'
        f'    dct:created "2024-{1 + i % 12:02d}-{1 + i % 28:02d}T12:00:00Z"^^xsd:dateTime ;\n'
        f"    ex:next <#item{i + 1}> ;\n"
        f'    ex:tag "tag{i % 37}" ;\n'
        f'    dct:description "A thing that exists so that there are {triples} triples here." ;\n'
        f"    ex:flag {'true' if i % 2 else 'false'} ;\n"
        f"    ex:owner <#me> .\n"
    )


def large_document(triples: int = LARGE_TRIPLES) -> bytes:
    """A Turtle document of `triples` triples (a multiple of 10): items with ten properties each."""
    return (ITEM_PREFIXES + "\n".join(item(i, triples) for i in range(triples // 10))).encode()


def child_document(i: int) -> bytes:
    return f'<#it> <http://purl.org/dc/terms/title> "Child {i}" .\n'.encode()


def child_name(i: int, width: int) -> str:
    return f"r{i:0{width}d}.ttl"


def n3_insert_patch() -> bytes:
    """An N3 Patch inserting one triple (the same one each time, so the document stays 21 triples)."""
    return b"""@prefix solid: <http://www.w3.org/ns/solid/terms#> .
@prefix ex: <http://example.org/ns#> .
_:patch a solid:InsertDeletePatch ;
    solid:inserts { <#me> ex:benchmarked true . } .
"""


def _write(path: Path, content: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, content)
    finally:
        os.close(fd)


def seed_container(data_dir: Path, container: str, children: int) -> list[str]:
    """Create `container` (a path ending in /) with `children` one-triple documents; their names."""
    folder = data_dir / container
    folder.mkdir(parents=True, exist_ok=True)
    width = len(str(children - 1))
    names = []
    for i in range(children):
        name = child_name(i, width)
        _write(folder / name, child_document(i))
        names.append(name)
    return names


OPEN_ACL = b"""@prefix acl: <http://www.w3.org/ns/auth/acl#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<#public> a acl:Authorization ;
    acl:agentClass foaf:Agent ;
    acl:accessTo <./> ;
    acl:default <./> ;
    acl:mode acl:Read, acl:Write, acl:Append, acl:Control .
"""


def public_container(data_dir: Path, container: str) -> None:
    """A container everyone may read and write, whatever the root's ACL says (WAC §ACL inheritance:
    its own `.acl`, kept beside it as a plain file by all three servers, is the one that applies)."""
    (data_dir / container).mkdir(parents=True, exist_ok=True)
    _write(data_dir / container / ".acl", OPEN_ACL)


def seed(data_dir: Path) -> None:
    """Everything the main workloads read, written as each server would have stored it."""
    public_container(data_dir, "bench/")
    (data_dir / PUT_CONTAINER).mkdir(exist_ok=True)
    _write(data_dir / SMALL, small_document())
    _write(data_dir / PATCHED, small_document())
    _write(data_dir / LARGE, large_document())
    seed_container(data_dir, CONTAINER, CONTAINER_CHILDREN)
    public_container(data_dir, SCALE)


SCALE = "scale/"


def scale_container(children: int) -> str:
    return f"{SCALE}n{children}/"
