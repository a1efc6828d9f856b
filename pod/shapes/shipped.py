"""The shapes the server ships (Turtle in the top-level `shapes/` folder), and the URLs it serves them at."""

from __future__ import annotations

import re
import sysconfig
from pathlib import Path

# A source checkout (or an editable install) has `shapes/` beside the package; a wheel installs
# it as data files under `{prefix}/share/pod/shapes` (see `[tool.setuptools.data-files]`).
_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "shapes",
    Path(sysconfig.get_path("data")) / "share" / "pod" / "shapes",
)
# The reserved top-level name they are served under, read-only: `{base}.shapes/{name}.ttl`.
SHAPES_SEGMENT = ".shapes"
ACL_SHAPES = "acl"
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


def shapes_folder() -> Path:
    """The folder that holds the shipped shapes: the one place that knows where `shapes/` is."""
    for folder in _CANDIDATES:
        if (folder / f"{ACL_SHAPES}.ttl").is_file():
            return folder
    raise FileNotFoundError(f"the shipped shapes are in none of {', '.join(map(str, _CANDIDATES))}")


def shipped_names() -> list[str]:
    """The names of the shipped shapes documents (`acl`, `contact`, ...), sorted."""
    return sorted(path.stem for path in shapes_folder().glob("*.ttl") if _NAME.match(path.stem))


def shipped_document(name: str) -> bytes | None:
    """The Turtle of the shipped shapes document `name`, or None when there is no such document."""
    if not _NAME.match(name):
        return None  # never a path: no `..`, no separators
    path = shapes_folder() / f"{name}.ttl"
    return path.read_bytes() if path.is_file() else None


def shipped_url(base_url: str, name: str) -> str:
    return f"{base_url}{SHAPES_SEGMENT}/{name}.ttl"


def shipped_name(base_url: str, url: str) -> str | None:
    """The name of the shipped document `url` is on this server (`{base}.shapes/{name}.ttl`), or None."""
    prefix = f"{base_url}{SHAPES_SEGMENT}/"
    if not url.startswith(prefix) or not url.endswith(".ttl"):
        return None
    name = url[len(prefix) : -len(".ttl")]
    return name if _NAME.match(name) else None
