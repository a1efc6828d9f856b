"""The default ACL documents (Turtle templates in the top-level `acl/` folder) and the root's ACL."""

from __future__ import annotations

import re
import sysconfig
from pathlib import Path

from pod.ldp.identifiers import ROOT, AuxiliaryKind
from pod.storage.base import Store

# A source checkout (or an editable install) has `acl/` beside the package; a wheel installs it
# as data files under `{prefix}/share/pod/acl` (see `[tool.setuptools.data-files]`).
_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "acl",
    Path(sysconfig.get_path("data")) / "share" / "pod" / "acl",
)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# What an IRI inside `<...>` in Turtle may not contain (Turtle §IRIREF), so no value can
# close the IRI and add statements of its own.
_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def acl_folder() -> Path:
    """The folder that holds the ACL templates: the one place that knows where `acl/` is."""
    for folder in _CANDIDATES:
        if (folder / "root.acl").is_file():
            return folder
    raise FileNotFoundError(f"the ACL templates are in none of {', '.join(map(str, _CANDIDATES))}")


def acl_template(name: str, **values: str) -> str:
    """The template `acl/{name}.acl` with its `{placeholders}` filled in by absolute IRIs.

    The template's leading comment documents the template, not the pod: it is left out.
    """
    lines = (acl_folder() / f"{name}.acl").read_text(encoding="utf-8").splitlines(keepends=True)
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    text = "".join(lines)
    for key, value in values.items():
        if _NOT_IN_IRI.search(value):
            raise ValueError(f"{key}={value!r} cannot be written inside <...> in Turtle")

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"the ACL template {name!r} needs a value for {{{key}}}")
        return values[key]

    return _PLACEHOLDER.sub(fill, text)


async def ensure_root_acl(store: Store, base_url: str, *, single_user: bool) -> bool:
    """Write the root's ACL when the root has none; True when it wrote one.

    Single-user mode: `acl/root.acl` (open until the owner's account claims the root);
    multi-user mode: `acl/server.acl` (the root is readable, the pods below have their own ACLs).

    WAC §ACL Resource Representation: the root container's ACL must exist and grant acl:Control.
    """
    acl = ROOT.auxiliary(AuxiliaryKind.ACL)
    if await store.stat(acl) is not None:
        return False
    body = acl_template("root" if single_user else "server", root=base_url).encode("utf-8")
    await store.write(acl, body, "text/turtle")
    return True
