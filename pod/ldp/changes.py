"""The change feed: one event per successful write, after it is durable; notifications and caches listen."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from pod.ldp.identifiers import ResourceIdentifier

log = logging.getLogger("pod.changes")


class Activity(enum.Enum):
    """The ActivityStreams activity a change is (Solid Notifications Protocol §Notification Message)."""

    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"
    ADD = "Add"  # to a container: `object` is the new member
    REMOVE = "Remove"  # from a container: `object` is the former member


@dataclass(frozen=True, slots=True)
class Change:
    activity: Activity
    identifier: ResourceIdentifier  # the resource that changed (for Add/Remove: the container)
    etag: str | None  # the new ETag of a document; None for containers and deletions
    time: float = field(default_factory=time.time)
    object: ResourceIdentifier | None = None


Listener = Callable[[Change], None]


class ChangeFeed(Protocol):
    """Where writes announce themselves (in-process now; a shared bus across workers later)."""

    def publish(self, change: Change) -> None: ...

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` for every change (it must not block); returns the unsubscribe function."""
        ...


class LocalChangeFeed:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def publish(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:  # one broken listener must not fail the write or starve the others
                log.exception("change listener failed on %s %s", change.activity.value, change.identifier)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None
