"""ProcessLocker (pod.storage.base): the per-resource lock that serialises read-modify-write.

DESIGN "Growing past one process": the Locker is a seam; this is its in-process implementation,
which must hold one key at a time, free it however the holder leaves, and keep nothing for keys
nobody holds or waits for.
"""

from __future__ import annotations

import asyncio

import pytest

from pod.storage.base import ProcessLocker


async def test_one_holder_per_key_and_others_proceed() -> None:
    locker = ProcessLocker()
    order: list[str] = []

    async def hold(name: str, key: str) -> None:
        async with locker.lock(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(hold("a", "/doc"), hold("b", "/doc"), hold("c", "/other"))
    assert order.index("a out") < order.index("b in")  # the same key: one after the other
    assert order.index("c in") < order.index("a out")  # another key: at the same time


async def test_an_error_inside_frees_the_key() -> None:
    locker = ProcessLocker()
    with pytest.raises(ValueError):
        async with locker.lock("/doc"):
            raise ValueError("the write failed")
    async with asyncio.timeout(1), locker.lock("/doc"):
        pass
    assert locker._locks == {}


async def test_a_waiter_cancelled_leaves_nothing_behind() -> None:
    locker = ProcessLocker()
    entered = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with locker.lock("/doc"):
            entered.set()
            await release.wait()

    async def waiter() -> None:
        async with locker.lock("/doc"):
            raise AssertionError("a cancelled waiter never holds the key")

    holding = asyncio.create_task(holder())
    await entered.wait()
    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await holding
    assert locker._locks == {}  # dropped once nobody holds or waits
    async with asyncio.timeout(1), locker.lock("/doc"):
        pass
