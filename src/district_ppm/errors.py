"""The one error hierarchy, below every transport: raised anywhere in the domain, translated once
by each transport (GraphQL in api/error_contract.py, REST in imports/routes.py).

A GraphQL error carries ``extensions.code`` (BAD_INPUT, NOT_FOUND, FORBIDDEN, UNAUTHENTICATED,
CONFLICT, LIMIT_EXCEEDED) and, for BAD_INPUT, ``extensions.field``: the camelCase path of the
offending input (``input.values.3.value``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "BAD_INPUT"

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    @property
    def extensions(self) -> dict[str, Any]:
        extensions: dict[str, Any] = {"code": self.code}
        if self.field is not None:
            extensions["field"] = self.field
        return extensions

    def at(self, prefix: str) -> DomainError:
        """The same error with its field nested under ``prefix`` (e.g. ``input``)."""
        self.field = f"{prefix}.{self.field}" if self.field else prefix
        return self


class BadInput(DomainError):
    code = "BAD_INPUT"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Forbidden(DomainError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "your role may not do this") -> None:
        super().__init__(None, message)


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "a valid bearer token is required") -> None:
        super().__init__(None, message)


class Conflict(DomainError):
    code = "CONFLICT"


class LimitExceeded(DomainError):
    code = "LIMIT_EXCEEDED"


class BatchErrors(BadInput):
    """Several bad rows of one batch; the first names the field, all are listed."""

    def __init__(self, errors: list[BadInput]) -> None:
        first = errors[0]
        super().__init__(first.field, first.message)
        self.errors = errors

    def at(self, prefix: str) -> DomainError:
        for error in self.errors:
            error.at(prefix)
        return super().at(prefix)

    @property
    def extensions(self) -> dict[str, Any]:
        extensions = super().extensions
        extensions["errors"] = [{"field": e.field, "message": e.message} for e in self.errors[:100]]
        return extensions
