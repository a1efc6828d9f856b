"""Issue 15: how long `pod import` takes for a pod of 10,000 resources (target: under a minute).

Usage: .venv/bin/python bench/import_pod.py [RESOURCES]
Makes a pod with RESOURCES Turtle documents (100 per container, each linking into the pod, so
every one is rewritten), exports it, and times the import under a new name.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from pod.cli import main

BASE = "http://localhost:3000/"


def run(*args: str) -> None:
    if main(list(args)) != 0:
        raise SystemExit(f"failed: pod {' '.join(args)}")


def bench(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        common = ("--data-dir", str(data), "--base-url", BASE)
        run(
            "accounts",
            "create",
            "--email",
            "a@example.org",
            "--password",
            "correct horse battery",
            "--pod",
            "alice",
            *common,
        )
        for i in range(count):
            folder = data / "alice" / f"c{i // 100}"
            folder.mkdir(exist_ok=True)
            (folder / f"r{i}.ttl").write_text(
                f'<#it> <{BASE}alice/vocab#links> <{BASE}alice/c0/r0.ttl#it>; <{BASE}alice/vocab#n> "{i}".\n'
            )
        archive = Path(tmp) / "alice.tar"
        started = time.perf_counter()
        run("export", "alice", "-o", str(archive), *common)
        exported = time.perf_counter() - started
        started = time.perf_counter()
        run("import", str(archive), "--as", "bob", *common)
        imported = time.perf_counter() - started
        print(
            f"{count} resources: export {exported:.1f} s, import {imported:.1f} s "
            f"(archive {archive.stat().st_size / 1e6:.1f} MB)"
        )


if __name__ == "__main__":
    bench(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
