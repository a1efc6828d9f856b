"""The access modes an HTTP method needs, and on which resources (WAC §Reading and Writing Resources)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pod.errors import MethodNotAllowed
from pod.ldp.identifiers import AuxiliaryKind, ResourceIdentifier
from pod.wac.modes import AccessMode, AccessModes

READ: AccessModes = frozenset({AccessMode.READ})
APPEND: AccessModes = frozenset({AccessMode.APPEND})
WRITE: AccessModes = frozenset({AccessMode.WRITE})
CONTROL: AccessModes = frozenset({AccessMode.CONTROL})


@dataclass(frozen=True, slots=True)
class Requirement:
    """The agent needs all of `modes` on `identifier` (never an auxiliary resource: see `governing`)."""

    identifier: ResourceIdentifier
    modes: AccessModes


def governing(identifier: ResourceIdentifier, modes: AccessModes) -> Requirement:
    """The same need, stated on the resource whose rules decide it.

    WAC §Reading and Writing Resources: any operation on an ACL resource needs acl:Control on
    the resource it is about. A description resource (`.meta`) is governed by its subject's
    rules with the same modes. `foo.acl.acl` and `foo.meta.acl` end up at `foo` the same way.
    """
    while (kind := identifier.auxiliary_kind) is not None:
        if kind is AuxiliaryKind.ACL:
            modes = CONTROL
        identifier = identifier.subject
    return Requirement(identifier, modes)


def _modes_on_target(method: str, patch_modes: AccessModes | None) -> AccessModes:
    if method in ("GET", "HEAD", "OPTIONS"):
        return READ
    if method == "POST":
        return APPEND  # WAC §POST: Append (or Write) on the container
    if method in ("PUT", "DELETE"):
        return WRITE  # WAC §PUT, §DELETE
    if method == "PATCH":
        # No patch modes given: assume the patch may delete. A patch that changes nothing is
        # still a write attempt, so it needs at least Append (WAC §PATCH).
        modes = WRITE if patch_modes is None else patch_modes
        if not modes & {AccessMode.APPEND, AccessMode.WRITE}:
            modes |= APPEND
        return modes
    raise MethodNotAllowed(f"{method} is not a method this server authorizes")


def requirements_for(
    method: str,
    target: ResourceIdentifier,
    *,
    exists: bool,
    missing_containers: Sequence[ResourceIdentifier],
    patch_modes: AccessModes | None = None,
) -> list[Requirement]:
    """Everything `method` on `target` needs, one Requirement per resource, target first.

    `missing_containers` are the intermediate containers a PUT or PATCH would create.
    """
    method = method.upper()
    needed: dict[ResourceIdentifier, AccessModes] = {}

    def need(identifier: ResourceIdentifier, modes: AccessModes) -> None:
        requirement = governing(identifier, modes)
        needed[requirement.identifier] = needed.get(requirement.identifier, frozenset()) | requirement.modes

    need(target, _modes_on_target(method, patch_modes))
    # Auxiliary resources are not members of a container: no containment triple to add or remove.
    is_member = target.auxiliary_kind is None and target.parent is not None
    if method in ("PUT", "PATCH") and not exists:
        # DESIGN "Creating by PUT or PATCH": Append on the parent for the containment triple,
        # and WAC §Container Permissions: the same for each intermediate container created.
        if is_member and target.parent is not None:
            need(target.parent, APPEND)
        for container in missing_containers:
            need(container, APPEND)
            if container.parent is not None:
                need(container.parent, APPEND)
    if method == "DELETE" and is_member and target.parent is not None:
        # WAC §Reading and Writing Resources: delete needs Write on the resource and its container.
        need(target.parent, WRITE)
    return [Requirement(identifier, modes) for identifier, modes in needed.items()]
