"""Any DomainError raised while an import runs answers its contract status and JSON, not 500.

The import kinds below are registered for these tests only: each raises one error from inside
its unit of work, after writing a school, so the test also shows that nothing was kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import func, select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.errors import Conflict, DomainError, Forbidden, NotFound
from district_ppm.imports.registry import IMPORT_KINDS, register_import
from district_ppm.schools.models import School, SchoolLevel
from district_ppm.schools.service import SchoolCreate, create_school
from district_ppm.tenancy.models import Role
from tests.support.schools import CREATE, school_input

RAISED = {
    "conflict": (Conflict("ncesId", "another school has this NCES id"), 409),
    "forbidden": (Forbidden("a school leader imports only for their own schools"), 403),
    "not-found": (NotFound("route_code", "no such bus route"), 404),
}


@pytest.fixture
def raising_kinds() -> Iterator[None]:
    for name, (error, _) in RAISED.items():

        async def run(uow: Any, source: Any, error: DomainError = error) -> int:
            await source.header()
            await create_school(
                session=uow.session,
                district_id=uow.district_id,
                data=SchoolCreate("Written, then rolled back", SchoolLevel.OTHER, time(8, 0)),
                today=date(2025, 9, 1),
            )
            raise error

        register_import(f"test-raises-{name}", Role.DISTRICT_ADMIN)(run)
    yield
    for name in RAISED:
        IMPORT_KINDS.pop(f"test-raises-{name}")


@pytest.mark.parametrize("name", sorted(RAISED))
async def test_a_domain_error_in_an_import_answers_its_status_and_writes_nothing(
    name, raising_kinds, client, gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    await gql(CREATE, {"input": school_input()}, token=token)
    error, status = RAISED[name]

    response = await client.post(
        f"/api/v1/imports/test-raises-{name}",
        content=b"a,b\n1,2\n",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )

    expected = {"written": 0, "code": error.code, "message": error.message}
    if error.field is not None:
        expected["field"] = error.field
    assert (response.status_code, response.json()) == (status, expected)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        assert await session.scalar(select(func.count()).select_from(School)) == 1
