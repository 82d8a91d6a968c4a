"""Which code is running: a digest of the package's own source files.

Cached answers (api.response_cache) are keyed by it, so that a deploy that changes how an
answer is computed (a formula fixed, a field added) never serves answers the old code
computed, for as long as their time to live. Computed once per process, from the files
themselves: no build step has to remember to bump a number.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent


def source_digest(root: Path) -> str:
    """SHA-256 of every ``.py`` file under ``root``: its relative path and its bytes."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def code_version() -> str:
    """The running package's source digest, shortened (collisions between two deploys of one
    district's cache are what it guards against, not an adversary)."""
    return source_digest(PACKAGE_ROOT)[:16]
