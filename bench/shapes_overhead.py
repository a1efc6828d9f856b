"""The cost of SHACL validation on write (issue 11): unconstrained writes, and a constrained one.

In process, over the FileStore in a temporary folder: PUT-replace of a small Turtle document
through `Resources.replace`, with the real ShapeValidator and with a validator that does
nothing, in interleaved rounds so that drift hits both alike. The difference is the price of
the unconstrained path: one `stat` of the container's `.meta`, also timed on its own. For
scale, the same write into a container constrained by the shipped vCard shapes.

    .venv/bin/python bench/shapes_overhead.py [--writes 1000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from pod.ldp.conditions import NO_CONDITIONS
from pod.ldp.identifiers import parse_path
from pod.ldp.operations import Content, Resources
from pod.ldp.storages import Storages
from pod.shapes.validator import Authority, ShapeValidator, Write
from pod.storage.base import ProcessLocker
from pod.storage.files import FileStore

BASE = "http://localhost:3000/"
DOC = b'<#it> a <http://www.w3.org/2006/vcard/ns#Individual>; <http://www.w3.org/2006/vcard/ns#fn> "Ada".\n'
CONSTRAINT = (
    b"<http://localhost:3000/contacts/> <http://www.w3.org/ns/ldp#constrainedBy>"
    b" <http://localhost:3000/.shapes/contact.ttl>.\n"
)


class NoValidation:
    async def check(self, write: Write, authority: Authority | None = None) -> None:
        return None


async def per_write(resources: Resources, path: str, writes: int) -> float:
    """Microseconds per PUT-replace of DOC at `path`."""
    identifier = parse_path(path)
    await resources.replace(identifier, Content("text/turtle", DOC, len(DOC)), NO_CONDITIONS)
    start = time.perf_counter()
    for _ in range(writes):
        await resources.replace(identifier, Content("text/turtle", DOC, len(DOC)), NO_CONDITIONS)
    return (time.perf_counter() - start) / writes * 1e6


async def per_check(validator: ShapeValidator, path: str, checks: int) -> float:
    """Microseconds per `check` of a write at `path`: the hook by itself, without the write."""
    write = Write(parse_path(path), [], "text/turtle")
    start = time.perf_counter()
    for _ in range(checks):
        await validator.check(write)
    return (time.perf_counter() - start) / checks * 1e6


async def main(writes: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = FileStore(Path(folder))
        hook = ShapeValidator(store, BASE)
        plain = Resources(store, ProcessLocker(), Storages(), BASE, validator=NoValidation())
        shaped = Resources(store, ProcessLocker(), Storages(), BASE, validator=hook)
        await shaped.replace(parse_path("/contacts/"), Content(None, b"", 0), NO_CONDITIONS)
        await store.write(parse_path("/contacts/.meta"), CONSTRAINT, "text/turtle")
        without, with_hook, alone, constrained = [], [], [], []
        for _ in range(rounds):
            without.append(await per_write(plain, "/notes/a.ttl", writes))
            with_hook.append(await per_write(shaped, "/notes/a.ttl", writes))
            alone.append(await per_check(hook, "/notes/a.ttl", writes * 10))
            constrained.append(await per_write(shaped, "/contacts/a.ttl", max(writes // 20, 20)))
        base, hooked = statistics.median(without), statistics.median(with_hook)
        print(f"unconstrained PUT, no validator:   {base:9.1f} µs/write (median of {rounds} x {writes})")
        print(f"unconstrained PUT, ShapeValidator: {hooked:9.1f} µs/write ({hooked - base:+.1f})")
        print(f"  the hook alone (one stat):       {statistics.median(alone):9.1f} µs/check")
        print(f"constrained PUT (shipped vCard):   {statistics.median(constrained):9.1f} µs/write")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The cost of SHACL validation on write.")
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.writes, arguments.rounds))
