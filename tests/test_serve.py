"""`pod serve`: what it sets up around the app before it serves (issue 4: the garbage collector,
malloc's arenas)."""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from pod import cli


def test_serve_settles_the_collector_after_everything_else_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    served: list[web.Application] = []
    monkeypatch.setattr(cli.web, "run_app", lambda app, **_: served.append(app))
    cli.main(["serve", "--host", "127.0.0.1", "--port", "3000", "--data-dir", str(tmp_path)])
    [app] = served
    assert app.on_startup[-1] is cli.settle_garbage_collection  # last: start-up's objects are made


async def test_settling_keeps_start_up_objects_out_of_collections_and_collects_less_often() -> None:
    before = gc.get_threshold()
    try:
        await cli.settle_garbage_collection(web.Application())
        assert gc.get_threshold() == cli.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


ARENA_PROBE = """
import ctypes, sys, threading
from pod import cli
if sys.argv[1] == "limited":
    cli.limit_malloc_arenas()
ready = threading.Barrier(16)
def allocate():
    kept = [bytearray(2048) for _ in range(200)]  # above pymalloc's 512 bytes: from malloc
    ready.wait()
threads = [threading.Thread(target=allocate) for _ in range(16)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
ctypes.CDLL(None).malloc_stats()  # one "Arena n:" paragraph per arena, on stderr
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc arenas are glibc's")
@pytest.mark.parametrize(("mode", "most"), [("limited", cli.MALLOC_ARENAS), ("default", None)])
def test_serve_keeps_malloc_to_a_few_arenas(mode: str, most: int | None) -> None:
    """Sixteen threads that allocate get arenas of their own (and keep their freed memory) unless
    `pod serve` limits them (issue 4: peak RSS)."""
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    probe = subprocess.run([sys.executable, "-c", ARENA_PROBE, mode], capture_output=True, text=True, env=env)
    assert probe.returncode == 0, probe.stderr
    arenas = probe.stderr.count("Arena ")
    if most is not None:
        assert 1 <= arenas <= most
    else:
        assert arenas > cli.MALLOC_ARENAS  # without the limit the probe does see more
