"""POST /api/v1/imports/<kind>: the CSV as the body, or a multipart upload's ``file`` field.

Every kind reads the body as it arrives (imports.stream), so an upload's size costs no memory;
``MAX_IMPORT_BYTES`` bounds it all the same (a file that large is a mistake, and it would hold
a connection and a transaction for minutes). Over it, the answer is 413 with this route's JSON.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.response import Response
from litestar.status_codes import (
    HTTP_200_OK,
)

from district_ppm.api.context import bearer_token, load_principal
from district_ppm.api.request_limits import refuse_import_over_budget
from district_ppm.db.unit_of_work import open_unit_of_work
from district_ppm.errors import DomainError, Forbidden, NotFound, Unauthenticated
from district_ppm.imports import importers  # noqa: F401 - registers every kind
from district_ppm.imports.csvfile import ImportRejected, RowError
from district_ppm.imports.registry import IMPORT_KINDS
from district_ppm.imports.rest_errors import ImportTooLarge, error_response
from district_ppm.imports.stream import CHUNK_BYTES, CsvStream
from district_ppm.tenancy.principal import Principal

# The largest body an import takes, multipart framing included (read when a request comes,
# so a test can lower it).
MAX_IMPORT_BYTES = 512 * 1024 * 1024


def _unreadable_upload(reason: str) -> ImportRejected:
    return ImportRejected([RowError(1, None, f"the multipart upload cannot be read ({reason})")])


async def _upload(request: Request) -> AsyncIterator[bytes]:
    """A multipart upload's ``file`` field; Litestar spools a file part to disk."""
    try:
        form = await request.form()
    except RequestEntityTooLarge:
        raise ImportTooLarge(MAX_IMPORT_BYTES) from None
    except ClientException as error:
        raise _unreadable_upload(error.detail) from None
    except UnicodeDecodeError:
        # Litestar decodes a part without a file name as text.
        raise _unreadable_upload("a field that is not a file is not UTF-8 text") from None
    upload = form.get("file")
    if isinstance(upload, str):  # sent as a plain field (curl -F 'file=<orgs.csv')
        yield upload.encode()
        return
    if not isinstance(upload, UploadFile):
        raise ImportRejected([RowError(1, None, "multipart upload needs a `file` field")])
    try:
        while chunk := await upload.read(CHUNK_BYTES):
            yield chunk
    finally:
        await upload.close()  # its spooled copy on disk goes now, not when the request ends


async def _chunks(request: Request) -> AsyncIterator[bytes]:
    """The CSV's bytes as they arrive, refused past ``MAX_IMPORT_BYTES``."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        source = _upload(request)
    else:
        source = request.stream()
    received = 0
    try:
        async for chunk in source:
            received += len(chunk)
            if received > MAX_IMPORT_BYTES:
                raise ImportTooLarge(MAX_IMPORT_BYTES)
            if chunk:
                yield chunk
    except RequestEntityTooLarge:
        raise ImportTooLarge(MAX_IMPORT_BYTES) from None


def _announced_too_large(request: Request) -> bool:
    try:
        announced = request.content_length
    except ClientException:  # not a number: the body's real size decides
        return False
    return announced is not None and announced > MAX_IMPORT_BYTES


class ImportController(Controller):
    path = "/api/v1/imports"

    @post("/{kind:str}", status_code=HTTP_200_OK, request_max_body_size=MAX_IMPORT_BYTES)
    async def import_csv(self, request: Request, kind: str) -> Response[dict[str, Any]]:
        sessionmaker = request.app.state.sessionmaker
        principal = await load_principal(sessionmaker, bearer_token(request))
        if (over_budget := await refuse_import_over_budget(request, principal)) is not None:
            return over_budget
        try:
            written = await _run_import(request, sessionmaker, principal, kind)
        except DomainError as error:
            return error_response(error)
        return Response({"written": written}, status_code=HTTP_200_OK)


async def _run_import(
    request: Request, sessionmaker: Any, principal: Principal | None, kind: str
) -> int:
    if principal is None:
        raise Unauthenticated()
    import_kind = IMPORT_KINDS.get(kind)
    if import_kind is None:
        raise NotFound("kind", f"unknown import kind; known: {', '.join(sorted(IMPORT_KINDS))}")
    if principal.role not in import_kind.roles:
        raise Forbidden(f"role {principal.role.value} may not import {kind}")
    if _announced_too_large(request):
        raise ImportTooLarge(MAX_IMPORT_BYTES)
    async with open_unit_of_work(
        sessionmaker=sessionmaker,
        principal=principal,
        action=f"import:{kind}",
        request_id=request.scope.get("state", {}).get("request_id"),
        client_ip=request.client.host if request.client else None,
    ) as uow:
        written = await import_kind.run(uow, CsvStream(_chunks(request)))
        uow.details["written"] = written
    return written
