"""Issue 15: how long `pod import --from-css` / `--from-nss` takes for a pod of 10,000 resources.

Usage: .venv/bin/python bench/migrate_pod.py [RESOURCES] [--nss]
Lays out a data folder the way CSS 7's file back end (or NSS 6's multi-user mode) writes one — the
layout tests/operations/test_migrate.py checks against folders the real servers wrote — with one
pod of RESOURCES Turtle documents (100 per container, each linking into the pod, so every one is
rewritten) and times the import. Writing 10,000 documents through the real servers would take
minutes of their time, not ours, so the folder is laid out directly.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from pod.cli import main

BASE = "http://localhost:3000/"


def css_folder(root: Path, count: int) -> tuple[Path, str]:
    old = "http://localhost:4000/"
    (root / ".internal" / "setup").mkdir(parents=True)
    (root / ".internal" / "setup" / "current-base-url$.json").write_text(
        json.dumps({"key": "setup/current-base-url", "payload": old})
    )
    pod = root / "alice"
    return _pod(pod, old + "alice/", count, meta=True), "--from-css"


def nss_folder(root: Path, count: int) -> tuple[Path, str]:
    (root / "localhost").mkdir(parents=True)
    (root / "localhost" / "index.html").write_text("<h1>NSS</h1>")
    return _pod(root / "alice.localhost", "https://alice.localhost:8443/", count, meta=False), "--from-nss"


def _pod(pod: Path, url: str, count: int, *, meta: bool) -> Path:
    (pod / "profile").mkdir(parents=True)
    if meta:
        (pod / ".meta").write_text(f"<{url}> a <http://www.w3.org/ns/pim/space#Storage>.\n")
    (pod / ".acl").write_text(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n"
        f"<#owner> a acl:Authorization; acl:agent <{url}profile/card#me>;\n"
        "  acl:accessTo <./>; acl:default <./>;\n"
        "  acl:mode acl:Read, acl:Write, acl:Control.\n"
    )
    (pod / "profile" / "card$.ttl").write_text(
        f"<> <http://xmlns.com/foaf/0.1/primaryTopic> <{url}profile/card#me>.\n"
        "<#me> <http://www.w3.org/ns/solid/terms#oidcIssuer> <https://localhost:8443>.\n"
    )
    for i in range(count):
        folder = pod / f"c{i // 100}"
        folder.mkdir(exist_ok=True)
        (folder / f"r{i}.ttl").write_text(
            f'<#it> <{url}vocab#links> <{url}c0/r0.ttl#it>; <{url}vocab#n> "{i}".\n'
        )
    return pod


def bench(count: int, nss: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source, option = (nss_folder if nss else css_folder)(Path(tmp) / "old", count)
        data = Path(tmp) / "data"
        started = time.perf_counter()
        code = main(["import", option, str(source.parent), "--data-dir", str(data), "--base-url", BASE, "-q"])
        elapsed = time.perf_counter() - started
        if code != 0:
            raise SystemExit("the import failed")
        print(f"{option} {count} resources: imported in {elapsed:.1f} s ({count / elapsed:.0f} resources/s)")


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    bench(int(arguments[0]) if arguments else 10_000, "--nss" in sys.argv)
