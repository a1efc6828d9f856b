"""`pod serve`: what it sets up around the app before it serves (issue 4: the garbage collector)."""

from __future__ import annotations

import gc
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
