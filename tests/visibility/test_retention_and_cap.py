"""Issue 13: the log keeps requests for the retention only, never grows past its cap, and a flood
cannot grow the queue in memory either."""

from __future__ import annotations

from pathlib import Path

from pod.ldp.identifiers import ResourceIdentifier, parse_path
from pod.storage.internal import FileInternalState, InternalState, MemoryInternalState
from pod.visibility import access_log
from pod.visibility.access_log import AccessLog, LogEntry
from tests.conftest import ClientFactory
from tests.idp_oidc.conftest import create_person
from tests.visibility.conftest import log_of

POD = parse_path("/alice/")
DAY = 24 * 3600.0


class Clock:
    """The time the log believes it is (the test moves it forward)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _log(state: InternalState, clock: Clock, *, retention: float = 90 * DAY, cap: int = 100) -> AccessLog:
    def resolve(entry: LogEntry) -> ResourceIdentifier | None:
        return POD if entry.resource.startswith("http://pod.example/alice/") else None

    return AccessLog(state, resolve, retention=retention, max_entries=cap, clock=clock)


def _entry(moment: float, path: str = "doc", status: int = 200) -> LogEntry:
    return LogEntry(moment, None, None, None, "GET", f"http://pod.example/alice/{path}", status)


async def test_entries_older_than_the_retention_are_dropped(tmp_path: Path) -> None:
    clock = Clock()
    state = FileInternalState(tmp_path)
    log = _log(state, clock, retention=10 * DAY, cap=8)
    for day in range(20):
        log.enqueue(_entry(clock.now + day * DAY, f"d{day}"))
    clock.now += 19 * DAY
    entries = await log.entries(POD)
    assert [e.resource.rsplit("/", 1)[1] for e in entries][-1] == "d19"
    assert all(e.time >= clock.now - 10 * DAY for e in entries)
    # Whole segments older than the retention are deleted from the disk, not just hidden.
    clock.now += 30 * DAY
    log.enqueue(_entry(clock.now, "late"))
    await log.flush()
    assert [e.resource.rsplit("/", 1)[1] for e in await log.entries(POD)] == ["late"]
    assert len(await state.keys(f"{access_log.FOLDER}/{access_log.pod_key(POD)}")) == 1


async def test_the_log_survives_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    first = _log(FileInternalState(tmp_path), clock)
    for i in range(30):
        first.enqueue(_entry(clock.now + i, f"r{i}"))
    await first.stop()
    second = _log(FileInternalState(tmp_path), clock)
    second.enqueue(_entry(clock.now + 100, "after"))
    entries = await second.entries(POD)
    assert len(entries) == 31 and entries[-1].resource.endswith("after")


async def test_a_flood_never_grows_the_log_past_its_cap() -> None:
    clock = Clock()
    state = MemoryInternalState()
    log = _log(state, clock, cap=50)
    for i in range(2000):
        log.enqueue(_entry(clock.now + i / 1000, f"r{i}"))
        if i % 300 == 0:
            await log.flush()
    entries = await log.entries(POD)
    assert 0 < len(entries) <= 50
    assert entries[-1].resource.endswith("r1999")  # the newest are kept
    keys = await state.keys(f"{access_log.FOLDER}/{access_log.pod_key(POD)}")
    stored = [len((await state.read(key) or b"").splitlines()) for key in keys]
    assert sum(stored) <= 50


async def test_the_queue_is_bounded_when_the_writer_falls_behind() -> None:
    log = _log(MemoryInternalState(), Clock(), cap=10)
    for i in range(access_log.MAX_PENDING + 10):
        log.enqueue(_entry(float(i)))
    assert log.dropped == 10


async def test_requests_outside_every_pod_are_not_kept() -> None:
    clock = Clock()
    state = MemoryInternalState()
    log = _log(state, clock)
    log.enqueue(LogEntry(clock.now, None, None, None, "GET", "http://pod.example/.account/", 200))
    await log.flush()
    assert await state.keys(access_log.FOLDER + "/" + access_log.pod_key(POD)) == []


async def test_the_cap_setting_holds_over_http(make_client: ClientFactory) -> None:
    client = await make_client(single_user=False, access_log_max_entries=12)
    alice = await create_person(client, "alice")
    for i in range(40):
        await client.session.get(alice.pod + f"flood-{i}")
    entries = await log_of(client, alice, limit="10000")
    assert 0 < len(entries) <= 12
    assert entries[0]["resource"].endswith("flood-39")
