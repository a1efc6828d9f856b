"""Summaries of py-spy's raw (collapsed-stack) profiles: which functions the samples were in.

py-spy record --format raw -o small-get.txt --pid PID --duration 10
python bench/profile_summary.py small-get.txt
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

# py-spy names a frame "function (file:line)"; the line is dropped so that a function is one row.
_THREAD_NUMBER = re.compile(r"[_-]?\d+$")  # pod-io_17 and pod-io_3 are one pool
_FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


@dataclass(frozen=True)
class Row:
    function: str
    share: float  # of all samples


def _function(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("site-packages/", "lib/python3", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match.group('function')} ({path})"


def area(function: str) -> str:
    """Where a function lives, coarsely: pod's sub-package, or the library, or the standard module."""
    path = function.rsplit("(", 1)[-1].rstrip(")")
    if path.startswith("pod/"):
        parts = path.split("/")
        return "/".join(parts[:2]) if len(parts) > 2 else "pod"
    head = path.split("/", 1)[0]
    if head.endswith(".py"):
        head = head[:-3]
    return head or "?"


def summarise(collapsed: str, top: int = 15) -> dict[str, list[Row]]:
    """Top functions by self time (the sample's innermost frame) and by total time (anywhere on
    the stack), and self time by area, in a collapsed-stack profile: `frame;frame;... count` lines.
    A native call (pyoxigraph, a system call) counts as self time of the Python function making it."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        raw = [f for f in stack.split(";") if f]
        thread = raw.pop(0).partition(": ")[2] if raw and raw[0].startswith("thread (") else None
        frames = [_function(f) for f in raw]
        if not frames:
            continue
        if thread is not None:  # py-spy --threads: "thread (TID): NAME"
            threads[_THREAD_NUMBER.sub("", thread) or "?"] += n
        samples += n
        own[frames[-1]] += n
        areas[area(frames[-1])] += n
        for function in set(frames):
            total[function] += n
    if not samples:
        return {"self": [], "total": [], "area": [], "thread": []}
    return {
        "self": [Row(f, n / samples) for f, n in own.most_common(top)],
        "area": [Row(a, n / samples) for a, n in areas.most_common(top)],
        "thread": [Row(t, n / samples) for t, n in threads.most_common(top)],
        "total": [Row(f, n / samples) for f, n in total.most_common(top)],
    }


def format_summary(summary: dict[str, list[Row]], top: int = 12) -> str:
    lines = []
    titles = {
        "self": "by self time",
        "area": "self time by area",
        "thread": "by thread",
        "total": "by total time (a partial stack, as --nonblocking sometimes reads, counts less)",
    }
    for kind, title in titles.items():
        if not summary.get(kind):
            continue
        lines.append(f"  {title}:")
        lines += [f"    {row.share:6.1%}  {row.function}" for row in summary.get(kind, [])[:top]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    for path in args.profiles:
        print(path)
        print(format_summary(summarise(path.read_text(), args.top), args.top))


if __name__ == "__main__":
    main()
