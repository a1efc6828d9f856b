"""Validation costs nothing where no constraint applies: an unconstrained write never touches pyshacl."""

from __future__ import annotations

import threading
import time
from typing import Any, NoReturn

import pyshacl
import pyshacl.entrypoints
import pytest

import pod.shapes.validator
from pod.shapes.deadline import TimeLimitExceeded, run_limited
from pod.shapes.engine import CompiledShapes
from tests.conftest import ClientFactory
from tests.rdf_helpers import TURTLE
from tests.shapes.helpers import Client, constraint, put, shipped


def touched(*args: Any, **kwargs: Any) -> NoReturn:
    raise RuntimeError("pyshacl touched")


@pytest.fixture
def no_pyshacl(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way into pyshacl (and into the thread that runs it) raises."""
    monkeypatch.setattr(pyshacl, "validate", touched)
    monkeypatch.setattr(pyshacl.entrypoints, "validate", touched)
    monkeypatch.setattr(pyshacl.Validator, "__init__", touched)
    monkeypatch.setattr(pyshacl.ShapesGraph, "__init__", touched)
    monkeypatch.setattr(CompiledShapes, "compile", touched)
    monkeypatch.setattr(CompiledShapes, "validate", touched)
    monkeypatch.setattr(pod.shapes.validator, "run_limited", touched)


async def test_unconstrained_writes_never_touch_pyshacl(make_client: ClientFactory, no_pyshacl: None) -> None:
    client: Client = await make_client()
    doc = "<#it> <http://example.org/title> 'hello'."
    assert (await put(client, "/notes/a.ttl", doc)).status == 201  # intermediate container too
    assert (await put(client, "/notes/a.ttl", doc)).status == 204
    assert (await client.post("/notes/", data=doc.encode(), headers={"Content-Type": TURTLE})).status == 201
    assert (
        await client.put("/notes/b.txt", data=b"plain", headers={"Content-Type": "text/plain"})
    ).status == 201
    sparql = {"Content-Type": "application/sparql-update"}
    insert = b"INSERT DATA { <#it> <http://example.org/more> 1 . }"
    assert (await client.patch("/notes/a.ttl", data=insert, headers=sparql)).status == 204
    # A description that constrains nothing, and the container it describes.
    assert (await put(client, "/notes/.meta", "<> <http://purl.org/dc/terms/title> 'Notes'.")).status in (
        201,
        204,
    )
    assert (
        await client.patch("/notes/", data=b"INSERT DATA { <> <http://example.org/n> 1 . }", headers=sparql)
    ).status
    assert (await put(client, "/notes/c.ttl", doc)).status == 201
    assert (await client.delete("/notes/c.ttl")).status == 204
    assert (await client.delete("/notes/.meta")).status == 204


async def test_the_guard_above_is_effective_on_a_constrained_write(
    make_client: ClientFactory, no_pyshacl: None
) -> None:
    """The control for the test above: where a constraint applies, the patched pyshacl is reached."""
    client: Client = await make_client()
    await client.put("/people/", data=b"", headers={"Content-Type": TURTLE})
    body = constraint(client, "/people/", shipped(client, "contact"))
    resp = await client.put("/people/.meta", data=body.encode(), headers={"Content-Type": TURTLE})
    assert resp.status == 422
    assert "pyshacl touched" in (await resp.json())["detail"]


# --- the time limit -------------------------------------------------------------------------------


async def test_run_limited_returns_what_the_call_returns() -> None:
    assert await run_limited(lambda: 6 * 7, 10) == 42


async def test_run_limited_raises_what_the_call_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        await run_limited(lambda: 1 / 0, 10)


async def test_run_limited_stops_a_call_that_runs_past_its_limit() -> None:
    """Not just abandoned: the runaway thread is interrupted (a busy loop would otherwise never end)."""
    stopped = threading.Event()

    def spin() -> None:
        try:
            while True:
                time.sleep(0)  # pure Python, as pyshacl is: the interruption lands here
        finally:
            stopped.set()

    with pytest.raises(TimeLimitExceeded):
        await run_limited(spin, 0.05)
    assert stopped.wait(timeout=60)
