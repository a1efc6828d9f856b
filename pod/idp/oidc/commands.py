"""`pod oidc ...`: the OpenID provider's command-line operations (key rotation)."""

from __future__ import annotations

import asyncio

from pod.config import Settings
from pod.idp.oidc.provider import signing_keys
from pod.storage.internal import FileInternalState


def rotate_key(settings: Settings) -> str:
    """Retire the signing key of the data folder's provider and make a new one; returns its kid.

    A server running on the same folder picks the new key up at its next token (the key record's
    stamp changes); the retired key stays in the JWKS until the tokens it signed have expired.
    """
    if settings.storage == "memory":
        raise ValueError("the memory storage keeps its keys in the server process: restart it instead")
    keys = signing_keys(settings, FileInternalState(settings.data_dir))
    return asyncio.run(keys.rotate())
