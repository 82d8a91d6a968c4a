"""The REST transport's one translation of the error hierarchy (district_ppm.errors).

Every DomainError an import raises, wherever it is raised, answers here: its contract code and
the HTTP status that goes with it, in the imports' JSON shape (``written`` is always 0: a
failed import wrote nothing). GraphQL translates the same errors in api/error_contract.py.
"""

from __future__ import annotations

from typing import Any

from litestar.response import Response
from litestar.status_codes import (
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)

from district_ppm.errors import DomainError, LimitExceeded
from district_ppm.imports.csvfile import MAX_REPORTED_ERRORS, ImportRejected

STATUS_OF_CODE = {
    "BAD_INPUT": HTTP_422_UNPROCESSABLE_ENTITY,
    "UNAUTHENTICATED": HTTP_401_UNAUTHORIZED,
    "FORBIDDEN": HTTP_403_FORBIDDEN,
    "NOT_FOUND": HTTP_404_NOT_FOUND,
    "CONFLICT": HTTP_409_CONFLICT,
    "LIMIT_EXCEEDED": HTTP_429_TOO_MANY_REQUESTS,
}


class ImportTooLarge(LimitExceeded):
    """The body is over the import size limit; nothing was written."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(None, f"an import takes at most {max_bytes:,} bytes; split the file")
        self.max_bytes = max_bytes


def error_response(error: DomainError) -> Response[dict[str, Any]]:
    if isinstance(error, ImportRejected):
        # Every bad line and cell (the first MAX_REPORTED_ERRORS), as DOMAIN's import format says.
        body: dict[str, Any] = {
            "written": 0,
            "errors": [e.as_dict() for e in error.errors[:MAX_REPORTED_ERRORS]],
            "errorCount": len(error.errors),
        }
        return Response(body, status_code=HTTP_422_UNPROCESSABLE_ENTITY)
    body = {"written": 0, "code": error.code, "message": error.message}
    if error.field is not None:
        body["field"] = error.field
    status = STATUS_OF_CODE[error.code]
    if isinstance(error, ImportTooLarge):
        body["maxBytes"] = error.max_bytes
        status = HTTP_413_REQUEST_ENTITY_TOO_LARGE
    return Response(body, status_code=status)
