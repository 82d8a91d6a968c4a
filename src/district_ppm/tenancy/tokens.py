"""Token material: generated with a CSPRNG, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "dppm_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    # A 256-bit random token needs no slow hash: brute force is already out of reach.
    return hashlib.sha256(token.encode()).hexdigest()
