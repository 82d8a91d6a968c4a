"""Transitional: the error hierarchy lives in ``district_ppm.errors`` (below every transport)."""

from district_ppm.errors import (
    BadInput,
    BatchErrors,
    Conflict,
    DomainError,
    Forbidden,
    LimitExceeded,
    NotFound,
    Unauthenticated,
)

__all__ = [
    "BadInput",
    "BatchErrors",
    "Conflict",
    "DomainError",
    "Forbidden",
    "LimitExceeded",
    "NotFound",
    "Unauthenticated",
]
