"""Password hashing with scrypt (a memory-hard KDF): per-password salt, parameters kept with the hash."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os

# RFC 7914 §2 / OWASP: N=2^15, r=8, p=1 costs 32 MiB and ~50-100 ms here; enough to slow guessing.
N, R, P = 2**15, 8, 1
KEY_LENGTH = 32
SALT_LENGTH = 16
SCHEME = "scrypt"
MIN_LENGTH = 8
MAX_LENGTH = 1024  # hashing a huge "password" would be a cheap way to burn server CPU


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_LENGTH, maxmem=256 * 1024 * 1024
    )


def check_password_rules(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"the password must have at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"the password may have at most {MAX_LENGTH} characters"
    return None


async def hash_password(password: str) -> str:
    """`scrypt$N$r$p$salt$hash`: everything needed to verify it later, even after the defaults change."""
    salt = os.urandom(SALT_LENGTH)
    derived = await asyncio.to_thread(_derive, password, salt, N, R, P)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(derived)}"


async def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check of a password against a stored hash.

    With no stored hash (unknown account) it still spends the time of a real check, so that
    the answer's timing does not tell whether an account exists.
    """
    if len(password) > MAX_LENGTH:
        return False
    try:
        scheme, n, r, p, salt, expected = (stored or "").split("$")
        if scheme != SCHEME:
            raise ValueError(scheme)
        params, salt_bytes, expected_bytes = (int(n), int(r), int(p)), _unb64(salt), _unb64(expected)
    except ValueError:
        await asyncio.to_thread(_derive, password, b"\0" * SALT_LENGTH, N, R, P)
        return False
    derived = await asyncio.to_thread(_derive, password, salt_bytes, *params)
    return hmac.compare_digest(derived, expected_bytes)
