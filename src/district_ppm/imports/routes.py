"""POST /api/v1/imports/<kind>: the CSV as the body, or a multipart upload's ``file`` field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.response import Response
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_422_UNPROCESSABLE_ENTITY,
)

from district_ppm.api.context import bearer_token, load_principal, open_unit_of_work
from district_ppm.api.request_limits import refuse_import_over_budget
from district_ppm.imports import importers  # noqa: F401 - registers every kind
from district_ppm.imports.csvfile import MAX_REPORTED_ERRORS, ImportRejected, RowError, decode
from district_ppm.imports.registry import IMPORT_KINDS
from district_ppm.imports.stream import CHUNK_BYTES, CsvStream

MAX_IMPORT_BYTES = 512 * 1024 * 1024


def _error(status: int, code: str, message: str) -> Response[dict[str, Any]]:
    return Response({"written": 0, "code": code, "message": message}, status_code=status)


def _rejected(errors: list[RowError]) -> Response[dict[str, Any]]:
    return Response(
        {
            "written": 0,
            "errors": [e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]],
            "errorCount": len(errors),
        },
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
    )


async def _body(request: Request) -> bytes:
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ImportRejected([RowError(1, None, "multipart upload needs a `file` field")])
        return await upload.read()
    return await request.body()


async def _chunks(request: Request) -> AsyncIterator[bytes]:
    """The CSV's bytes as they arrive; a multipart upload is spooled to disk by Litestar."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ImportRejected([RowError(1, None, "multipart upload needs a `file` field")])
        while chunk := await upload.read(CHUNK_BYTES):
            yield chunk
        return
    async for chunk in request.stream():
        if chunk:
            yield chunk


class ImportController(Controller):
    path = "/api/v1/imports"

    @post("/{kind:str}", status_code=HTTP_200_OK, request_max_body_size=MAX_IMPORT_BYTES)
    async def import_csv(self, request: Request, kind: str) -> Response[dict[str, Any]]:
        sessionmaker = request.app.state.sessionmaker
        principal = await load_principal(sessionmaker, bearer_token(request))
        if (over_budget := await refuse_import_over_budget(request, principal)) is not None:
            return over_budget
        if principal is None:
            return _error(
                HTTP_401_UNAUTHORIZED, "UNAUTHENTICATED", "a valid bearer token is required"
            )
        import_kind = IMPORT_KINDS.get(kind)
        if import_kind is None:
            known = ", ".join(sorted(IMPORT_KINDS))
            return _error(HTTP_404_NOT_FOUND, "NOT_FOUND", f"unknown import kind; known: {known}")
        if principal.role not in import_kind.roles:
            return _error(
                HTTP_403_FORBIDDEN,
                "FORBIDDEN",
                f"role {principal.role.value} may not import {kind}",
            )
        try:
            # A streaming kind reads the body while it writes; the others get it decoded whole.
            source: Any = (
                CsvStream(_chunks(request))
                if import_kind.streaming
                else decode(await _body(request))
            )
            async with open_unit_of_work(
                sessionmaker=sessionmaker,
                principal=principal,
                action=f"import:{kind}",
                request_id=request.scope.get("state", {}).get("request_id"),
                client_ip=request.client.host if request.client else None,
            ) as uow:
                written = await import_kind.run(uow, source)
                uow.details["written"] = written
        except ImportRejected as rejected:
            return _rejected(rejected.errors)
        return Response({"written": written}, status_code=HTTP_200_OK)
