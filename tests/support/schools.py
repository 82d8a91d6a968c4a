"""Shared set-up moved from test_schools.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.schools.models import School

CREATE = """
mutation Create($input: CreateSchoolInput!) {
  createSchool(input: $input) { school { id name ncesId level firstBell enrollment } }
}
"""


def school_input(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Lincoln Elementary",
        "level": "ELEMENTARY",
        "firstBell": "07:55",
        "ncesId": "480000100001",
        "enrollment": 500,
        **overrides,
    }


async def count_schools(app_sessionmaker: Any, district_id: Any) -> int:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return int(await session.scalar(select(func.count()).select_from(School)) or 0)
