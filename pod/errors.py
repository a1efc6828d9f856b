"""Domain errors: raised anywhere below the HTTP edge, turned into responses by pod.http.errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyoxigraph as ox


class PodError(Exception):
    """An error with the HTTP status it stands for and a reason a person can read."""

    status = 500
    title = "Internal Server Error"
    # An RDF body (a SHACL validation report) sent instead of the problem document, in the RDF
    # format the client accepts (pod.http.errors); None for most errors.
    graph: list[ox.Triple] | None = None

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(PodError):
    status = 400
    title = "Bad Request"


class Unauthorized(PodError):
    """No valid credentials: the response carries a WWW-Authenticate challenge."""

    status = 401
    title = "Unauthorized"


class Forbidden(PodError):
    status = 403
    title = "Forbidden"


class NotFound(PodError):
    status = 404
    title = "Not Found"


class MethodNotAllowed(PodError):
    status = 405
    title = "Method Not Allowed"


class NotAcceptable(PodError):
    status = 406
    title = "Not Acceptable"


class RequestTimeout(PodError):
    """RFC 9110 §15.5.9: the client stopped sending its request."""

    status = 408
    title = "Request Timeout"


class Conflict(PodError):
    status = 409
    title = "Conflict"


class PreconditionFailed(PodError):
    status = 412
    title = "Precondition Failed"


class PayloadTooLarge(PodError):
    status = 413
    title = "Content Too Large"


class UriTooLong(PodError):
    status = 414
    title = "URI Too Long"


class UnsupportedMediaType(PodError):
    status = 415
    title = "Unsupported Media Type"


class RangeNotSatisfiable(PodError):
    status = 416
    title = "Range Not Satisfiable"


class UnprocessableContent(PodError):
    status = 422
    title = "Unprocessable Content"


class TooManyRequests(PodError):
    """RFC 6585 §4: too many attempts; the response says when to try again (Retry-After)."""

    status = 429
    title = "Too Many Requests"


class InsufficientStorage(PodError):
    """RFC 4918 §11.5: the disk (or a quota) is full; nothing of the refused write was kept."""

    status = 507
    title = "Insufficient Storage"
