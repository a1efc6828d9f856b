"""How many notifications one sender may post to one inbox: a sliding window per (inbox, sender).

LDN §Receiver lets receivers "enact constraints" on what they accept; a stranger who may append to
everyone's inbox (the default ACL) must not be able to fill one with a flood.
"""

from __future__ import annotations

from pod.errors import TooManyRequests
from pod.idp.ratelimit import SlidingWindowLimiter

# A generous default for people and their apps; a script looping on POST meets it within a minute.
# The server's settings `inbox_rate_limit` and `inbox_rate_window` (POD_INBOX_RATE_*) choose.
DEFAULT_LIMIT = 30
DEFAULT_WINDOW = 60.0


def sender_key(agent: str | None, address: str | None) -> str:
    """Who is sending: the verified WebID, else the client's network address (never a header it sets)."""
    return f"webid {agent}" if agent else f"address {address or 'unknown'}"


class SenderLimits:
    """At most `limit` notifications per sender per inbox within `window` seconds (in-process today)."""

    def __init__(self, limit: int = DEFAULT_LIMIT, window: float = DEFAULT_WINDOW) -> None:
        # The login limiter's window counts "failures": here each accepted notification is one.
        self._window = SlidingWindowLimiter(limit=limit, window=window)

    def admit(self, inbox_url: str, sender: str) -> None:
        """Count one notification, or raise 429 with `Retry-After` when the sender is over its limit."""
        key = f"{inbox_url} {sender}"
        wait = self._window.retry_after(key)
        if wait is not None:
            # RFC 6585 §4: 429 Too Many Requests, with Retry-After saying when to come back.
            raise TooManyRequests(
                f"too many notifications to {inbox_url} from this sender; retry in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        self._window.failed(key)
