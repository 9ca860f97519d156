"""Password hashing with argon2id (argon2-cffi); hashes made by earlier versions (scrypt) still verify.

A verify that finds an old scheme or old parameters says so, and the caller stores a new hash
at that successful sign-in, so old hashes fade out without a migration that needs passwords.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters
# Verified when the e-mail is unknown, so an unknown address costs as long as a wrong password.
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 takes any length; this bounds the work one request can ask for


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify(password: str, stored: str | None) -> tuple[bool, bool]:
    """(matches, needs a new hash)."""
    if stored is None:
        _verify_argon2(password, _DUMMY)
        return False, False
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored), True
    ok = _verify_argon2(password, stored)
    return ok, ok and _HASHER.check_needs_rehash(stored)


def _verify_argon2(password: str, stored: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _verify_scrypt(password: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    actual = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=2**14, r=8, p=1)
    return secrets.compare_digest(actual.hex(), digest)


def weakness(password: str, email: str = "") -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    if "\x00" in password:
        return "a password cannot contain a NUL character"
    if email and password.strip().lower() == email.strip().lower():
        return "a password cannot be the e-mail address"
    return None
