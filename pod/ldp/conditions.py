"""Conditional requests (RFC 9110 §13): If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pod.errors import PreconditionFailed


@dataclass(frozen=True, slots=True)
class EntityTag:
    opaque: str  # without quotes
    weak: bool = False

    def __str__(self) -> str:
        return ("W/" if self.weak else "") + f'"{self.opaque}"'


ANY = EntityTag("*")


@dataclass(frozen=True, slots=True)
class Conditions:
    """The preconditions of a request; an empty value means the header was absent."""

    if_match: tuple[EntityTag, ...] = ()
    if_none_match: tuple[EntityTag, ...] = ()
    if_modified_since: int | None = None  # Unix seconds
    if_unmodified_since: int | None = None

    def __bool__(self) -> bool:
        return bool(
            self.if_match
            or self.if_none_match
            or self.if_modified_since is not None
            or self.if_unmodified_since is not None
        )


@dataclass(frozen=True, slots=True)
class Validators:
    """The current state a request's conditions are checked against.

    `etags` holds the entity tags of every representation that counts: for a read, the selected
    one; for a write, any representation of the current state (a client may have read JSON-LD).
    """

    etags: frozenset[str]
    last_modified: int  # Unix seconds


class Outcome(enum.Enum):
    PROCEED = "proceed"
    NOT_MODIFIED = "not modified"


def evaluate(conditions: Conditions, current: Validators | None, *, is_read: bool) -> Outcome:
    """RFC 9110 §13.2.2: evaluate the preconditions in order; a failed one is 412 (or 304 for reads)."""
    if not conditions:
        return Outcome.PROCEED
    if conditions.if_match and not _strong_match(conditions.if_match, current):
        raise PreconditionFailed("If-Match does not match the current representation")
    if (
        not conditions.if_match
        and conditions.if_unmodified_since is not None
        and current is not None
        and current.last_modified > conditions.if_unmodified_since
    ):
        raise PreconditionFailed("the resource was modified after If-Unmodified-Since")
    if conditions.if_none_match and _weak_match(conditions.if_none_match, current):
        if is_read:
            return Outcome.NOT_MODIFIED
        raise PreconditionFailed("If-None-Match matches the current representation")
    if (
        is_read
        and not conditions.if_none_match
        and conditions.if_modified_since is not None
        and current is not None
        and current.last_modified <= conditions.if_modified_since
    ):
        return Outcome.NOT_MODIFIED
    return Outcome.PROCEED


def _strong_match(tags: tuple[EntityTag, ...], current: Validators | None) -> bool:
    if current is None:
        return False
    return any(tag == ANY or (not tag.weak and tag.opaque in current.etags) for tag in tags)


def _weak_match(tags: tuple[EntityTag, ...], current: Validators | None) -> bool:
    if current is None:
        return False
    return any(tag == ANY or tag.opaque in current.etags for tag in tags)


NO_CONDITIONS = Conditions()
