"""JSON-LD contexts that Solid messages name by URL, bundled so that none is fetched at run time."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

_FILES = {
    "www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "www.w3.org/ns/activitystreams.jsonld": "activitystreams.jsonld",
    "www.w3.org/ns/solid/notification/v1": "notification.jsonld",
    "www.w3.org/ns/shacl.jsonld": "shacl.jsonld",
    "www.w3.org/ns/solid/oidc-context.jsonld": "oidc-context.jsonld",
}


def _key(url: str) -> str:
    for scheme in ("https://", "http://"):
        if url.startswith(scheme):
            return url[len(scheme) :].split("#", 1)[0]
    return url


def is_bundled(url: str) -> bool:
    return _key(url) in _FILES


@cache
def bundled_context(url: str) -> Any:
    """The value of the `@context` of the bundled document for a context URL (KeyError if unknown)."""
    file_name = _FILES[_key(url)]
    text = resources.files(__package__).joinpath(file_name).read_text("utf-8")
    return json.loads(text)["@context"]
