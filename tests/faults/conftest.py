"""Fault tests: every test here runs the real server as a subprocess (`make test-faults`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.report import RECORDED
from tests.faults.server import PodProcess

FAULTS_FOLDER = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if FAULTS_FOLDER in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.faults)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RECORDED:
        terminalreporter.section("fault test numbers")
        for line in RECORDED:
            terminalreporter.write_line(line)


@pytest.fixture
def pod_process(tmp_path: Path) -> Iterator[Callable[..., PodProcess]]:
    """Start `pod serve` subprocesses (on a data folder under tmp_path unless given); all stopped after."""
    started: list[PodProcess] = []

    def start(*flags: str, data_dir: Path | None = None, port: int | None = None) -> PodProcess:
        server = PodProcess(
            data_dir or tmp_path / "data", tmp_path / f"server-{len(started)}.log", flags, port
        )
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()
