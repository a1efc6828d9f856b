"""The endpoint's errors that pod.errors does not have: the server side of a query's failure."""

from __future__ import annotations

from pod.errors import BadRequest, NotAcceptable, PodError, UnprocessableContent


class ServiceUnavailable(PodError):
    """A query hit the time limit, or the pod's index is busy (RFC 9110 §15.6.4)."""

    status = 503
    title = "Service Unavailable"


class BadGateway(PodError):
    """An allowed SERVICE endpoint failed (RFC 9110 §15.6.3)."""

    status = 502
    title = "Bad Gateway"


class GatewayTimeout(PodError):
    """An allowed SERVICE endpoint did not answer within the query's time limit (RFC 9110 §15.6.5)."""

    status = 504
    title = "Gateway Timeout"


_BY_STATUS: dict[int, type[PodError]] = {
    400: BadRequest,
    406: NotAcceptable,
    422: UnprocessableContent,
    502: BadGateway,
    503: ServiceUnavailable,
    504: GatewayTimeout,
}


def error_for(status: int, detail: str) -> PodError:
    """The error a worker's refusal stands for (an unknown status is the server's failure: 500)."""
    return _BY_STATUS.get(status, PodError)(detail)
