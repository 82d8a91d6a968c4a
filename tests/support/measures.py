"""Helpers for the measures API tests: create things over GraphQL, count SQL statements."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.refresh import refresh_measure_status

CREATE_SCHOOL = """
mutation($input: CreateSchoolInput!) { createSchool(input: $input) { school { id } } }
"""
CREATE_MEASURE = """
mutation($input: CreateMeasureInput!) {
  createMeasure(input: $input) {
    measure { id code name unit direction stage view frequency level processId aggregation }
  }
}
"""
RECORD = """
mutation($input: RecordMeasurementsInput!) { recordMeasurements(input: $input) { written } }
"""
SET_TARGET = """
mutation($input: SetTargetInput!) {
  setTarget(input: $input) { target { measureId schoolId schoolYear value redThreshold baseline } }
}
"""


def measure_input(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "SS-ADA",
        "name": "Average daily attendance",
        "unit": "PERCENT",
        "direction": "HIGHER_IS_BETTER",
        "stage": "OUTPUT",
        "frequency": "MONTHLY",
        "level": "SCHOOL",
        **overrides,
    }


async def create_school(
    gql: Any,
    token: str,
    name: str,
    level: str = "ELEMENTARY",
    enrollment: int | None = None,
    nces_id: str | None = None,
) -> str:
    result = await gql(
        CREATE_SCHOOL,
        {
            "input": {
                "name": name,
                "level": level,
                "firstBell": "08:00",
                "enrollment": enrollment,
                "ncesId": nces_id,
            }
        },
        token=token,
    )
    return result["data"]["createSchool"]["school"]["id"]  # type: ignore[no-any-return]


async def create_measure(gql: Any, token: str, **overrides: Any) -> str:
    result = await gql(CREATE_MEASURE, {"input": measure_input(**overrides)}, token=token)
    assert "errors" not in result, result
    return result["data"]["createMeasure"]["measure"]["id"]  # type: ignore[no-any-return]


async def record(gql: Any, token: str, measure_id: str, values: list[dict[str, Any]]) -> Any:
    return await gql(RECORD, {"input": {"measureId": measure_id, "values": values}}, token=token)


def monthly(
    school_id: str | None, start_year: int, start_month: int, values: list[float]
) -> list[dict[str, Any]]:
    rows = []
    for offset, value in enumerate(values):
        index = start_year * 12 + start_month - 1 + offset
        period = f"{index // 12:04d}-{index % 12 + 1:02d}-01"
        rows.append({"schoolId": school_id, "periodStart": period, "value": value})
    return rows


async def run_refresh(app_sessionmaker: Any, district_id: uuid.UUID) -> None:
    """What the worker does after a write (its round trip is tested in tests/workers)."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await refresh_measure_status(session=session, district_id=district_id)
        await session.commit()


@contextmanager
def count_statements(app: Any) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs inside the block."""
    with count_engine_statements(app.state.engine) as statements:
        yield statements


@contextmanager
def count_engine_statements(async_engine: Any) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    statements: list[str] = []
    engine = async_engine.sync_engine

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def queries(statements: list[str]) -> list[str]:
    """Statements other than the per-transaction tenant setting and token lookup."""
    return [s for s in statements if "set_config" not in s and "ppm_authenticate" not in s]


MODEL_FIELDS = (
    "id name description measures { code stage } links { driver { code } driven { code } }"
)


CREATE_MODEL = f"""
mutation($input: CreateLogicModelInput!) {{
  createLogicModel(input: $input) {{ logicModel {{ {MODEL_FIELDS} }} }}
}}
"""
