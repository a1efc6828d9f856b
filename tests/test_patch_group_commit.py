"""Group commit of PATCHes (issue 4): patches waiting for one resource are written together,
durably, before any of them is answered; each keeps its own outcome (Solid Protocol §5.3.1)."""

from __future__ import annotations

import asyncio

import pytest

from pod.errors import Conflict
from pod.ldp.changes import Change
from pod.ldp.conditions import NO_CONDITIONS
from pod.ldp.identifiers import parse_path
from pod.ldp.operations import Content, Resources
from pod.ldp.storages import Storages
from pod.rdf import formats
from pod.rdf.patch import parse_patch
from pod.storage.base import ProcessLocker
from pod.storage.memory import MemoryStore

BASE = "http://pod.example/"
PREFIXES = "@prefix solid: <http://www.w3.org/ns/solid/terms#>. @prefix ex: <http://example.org/ns#>.\n"


def n3(clause: str) -> bytes:
    return (PREFIXES + f"_:p a solid:InsertDeletePatch; {clause}.").encode()


async def graph_of(resources: Resources, path: str) -> formats.Graph:
    data = await resources.store.read(parse_path(path))
    return formats.parse(data, "text/turtle", BASE + path[1:])


@pytest.fixture
async def resources() -> Resources:
    resources = Resources(MemoryStore(), ProcessLocker(), Storages(), BASE)
    doc = b"<#a> <http://example.org/ns#p> 0 ."
    await resources.replace(parse_path("/doc.ttl"), Content("text/turtle", doc, len(doc)), NO_CONDITIONS)
    return resources


async def test_patches_arriving_together_are_written_once(resources: Resources) -> None:
    writes: list[Change] = []
    resources.changes.subscribe(writes.append)
    target = parse_path("/doc.ttl")
    patches = [
        parse_patch(n3(f"solid:inserts {{ <#a> ex:n {i} . }}"), "text/n3", BASE + "doc.ttl")
        for i in range(20)
    ]
    created = await asyncio.gather(*(resources.patch(target, p, NO_CONDITIONS) for p in patches))
    assert created == [False] * 20
    assert len(writes) == 1  # one durable write (and one notification) for the twenty
    assert len(await graph_of(resources, "/doc.ttl")) == 21


async def test_a_failing_patch_in_a_group_changes_nothing_and_gets_its_error(resources: Resources) -> None:
    target = parse_path("/doc.ttl")
    good = parse_patch(n3("solid:inserts { <#a> ex:q 1 . }"), "text/n3", BASE + "doc.ttl")
    bad = parse_patch(n3("solid:deletes { <#a> ex:absent 1 . }"), "text/n3", BASE + "doc.ttl")
    outcomes = await asyncio.gather(
        resources.patch(target, good, NO_CONDITIONS),
        resources.patch(target, bad, NO_CONDITIONS),
        return_exceptions=True,
    )
    assert outcomes[0] is False and isinstance(outcomes[1], Conflict)
    assert len(await graph_of(resources, "/doc.ttl")) == 2


async def test_a_cancelled_patch_that_was_still_waiting_is_not_applied(resources: Resources) -> None:
    target = parse_path("/doc.ttl")
    first = asyncio.create_task(
        resources.patch(
            target, parse_patch(n3("solid:inserts { <#a> ex:q 1 . }"), "text/n3", BASE), NO_CONDITIONS
        )
    )
    second = asyncio.create_task(
        resources.patch(
            target, parse_patch(n3("solid:inserts { <#a> ex:q 2 . }"), "text/n3", BASE), NO_CONDITIONS
        )
    )
    await asyncio.sleep(0)  # both are queued; the batch has not run yet
    second.cancel()
    assert await first is False
    with pytest.raises(asyncio.CancelledError):
        await second
    assert len(await graph_of(resources, "/doc.ttl")) == 2  # the original triple and the first patch's
