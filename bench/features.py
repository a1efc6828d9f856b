"""What the feature workloads (`wac_overhead.py`, `notifications_load.py`, `sparql_speed.py`) share:
their command line, a pod started on loopback, latency summaries, the table they print and the JSON
they write to `results/<UTC time>-<name>.json` (git-ignored), as `run.py` does for the main bench."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
from collections import Counter
from collections.abc import Coroutine, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from load import percentile
from run import log, machine
from servers import BENCH, ServerProcess, ServerSpec, free_port, pod_spec

Report = dict[str, Any]
T = TypeVar("T")
# pod's access log: `%a "%r" %s ...` (pod.cli.ACCESS_LOG_FORMAT), so a 5xx is a quote, a space, 5xx.
SERVER_ERROR = re.compile(r'" 5\d\d ')
NUMBERS = re.compile(r"\d+")


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The options every feature workload has: --quick and --output."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short run, under a minute")
    parser.add_argument("--output", type=Path, default=BENCH / "results", help="folder for the JSON results")
    return parser


def new_report(name: str, quick: bool, **settings: Any) -> Report:
    return {
        "workload": name,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "settings": settings,
        "machine": machine(),
    }


def start(spec: ServerSpec, work: Path, ready_path: str = "") -> ServerProcess:
    """Start a server (its log in `work`); return it once it answers `ready_path`, on loopback only."""
    server = ServerProcess(spec, work)
    seconds = server.start(ready_path)
    server.assert_loopback_only()
    log(f"{spec.label} up in {seconds:.2f} s at {spec.origin} (log: {server.log_path})")
    return server


def start_pod(
    work: Path, data_dir: Path, *flags: str, port: int | None = None, ready_path: str = ""
) -> ServerProcess:
    """`pod serve` on a loopback port (a free one unless given) over `data_dir`, with `flags` added."""
    spec = pod_spec(port or free_port(), data_dir)
    return start(replace(spec, command=[*spec.command, *flags]), work, ready_path)


def server_problems(server: ServerProcess, limit: int = 10) -> dict[str, Any]:
    """What the server's log says beyond its access log and its start: the number of 5xx answers, and
    the other lines by kind (numbers blurred), the most frequent first, with their counts."""
    try:
        lines = server.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return {"log": "unreadable"}
    answers = [line for line in lines if " aiohttp.access " in line]
    kinds = Counter(
        NUMBERS.sub("#", line.split(" ", 2)[-1])[:300]
        for line in lines
        if " aiohttp.access " not in line and " serving http" not in line
    )
    return {
        "5xx": sum(1 for line in answers if SERVER_ERROR.search(line)),
        "log": [f"{count}x {kind}" for kind, count in kinds.most_common(limit)],
    }


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on uvloop when it is installed (as load.py does), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def latencies(seconds: Iterable[float]) -> dict[str, Any]:
    """n, median, p99 and max of some durations (seconds), in milliseconds."""
    ordered = sorted(seconds)
    if not ordered:
        return {"n": 0, "median_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "n": len(ordered),
        "median_ms": ms(statistics.median(ordered)),
        "p99_ms": ms(percentile(ordered, 0.99)),
        "max_ms": ms(ordered[-1]),
    }


def cell(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A Markdown table (it reads as plain text too)."""
    cells = [list(header), *[[cell(value) for value in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def remove(work: Path) -> None:
    """Delete a run's work folder, unless BENCH_KEEP is set (as for run.py)."""
    if os.environ.get("BENCH_KEEP"):
        log(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


def save(report: Report, output: Path) -> Path:
    """Write the report as `<output>/<UTC time>-<workload>[-quick].json`; its path."""
    output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = output / f"{stamp}-{report['workload']}{'-quick' if report['quick'] else ''}.json"
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    path.write_text(json.dumps(report, indent=1, default=str) + "\n")
    return path
