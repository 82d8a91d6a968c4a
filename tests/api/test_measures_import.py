"""POST /api/v1/imports/measurements: staging, set-based validation, merge, idempotence."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.models import Measurement, MeasurementRevision, Source
from district_ppm.tenancy.models import Role
from tests.api.measures_support import create_measure, create_school


async def post_csv(client, token, body: str):
    return await client.post("/api/v1/imports/measurements", content=body.encode("utf-8"),
                             headers={"Authorization": f"Bearer {token}",
                                      "Content-Type": "text/csv"})


async def counts(app_sessionmaker, district_id):
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.scalar(select(func.count()).select_from(Measurement))
        revisions = await session.scalar(select(func.count()).select_from(MeasurementRevision))
    return rows, revisions


async def test_a_good_file_is_written_and_resending_it_changes_nothing(
    gql, client, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    nces = await create_school(gql, token, "Lincoln", nces_id="480000100001")
    other = await create_school(gql, token, "Roosevelt")
    await create_measure(gql, token)
    await create_measure(gql, token, code="FIN", level="DISTRICT", unit="DOLLARS")
    body = ("\ufeffvalue,period_start,school,measure_code,numerator,denominator\n"
            "91.5,2025-09-01,480000100001,SS-ADA,183,200\n"
            f"88,2025-09-01,{other},SS-ADA,,\n"
            "1200.5,2025-09-01,,FIN,,\n")

    first = await post_csv(client, token, body)
    again = await post_csv(client, token, body)

    assert (first.status_code, first.json()) == (200, {"written": 3})
    assert (again.status_code, again.json()) == (200, {"written": 3})
    assert await counts(app_sessionmaker, district_id) == (3, 0)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        lincoln = await session.scalar(
            select(Measurement).where(Measurement.school_id == uuid.UUID(nces)))
    assert (lincoln.value, lincoln.numerator, lincoln.denominator, lincoln.source) == (
        91.5, 183.0, 200.0, Source.IMPORT)

    changed = await post_csv(client, token, body.replace("91.5,", "92.0,"))
    assert changed.json() == {"written": 3}
    assert await counts(app_sessionmaker, district_id) == (3, 1)


async def test_a_bad_file_is_rejected_whole_with_every_line_and_column(
    gql, client, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    school = await create_school(gql, token, "Lincoln", nces_id="480000100001")
    await create_measure(gql, token)
    await create_measure(gql, token, code="FIN", level="DISTRICT")
    body = ("measure_code,school,period_start,value\n"
            "SS-ADA,480000100001,2025-09-01,91\n"          # 2 fine
            "NOPE,480000100001,2025-09-01,91\n"            # 3 unknown code
            "SS-ADA,999999999999,2025-09-01,91\n"          # 4 unknown school
            "SS-ADA,480000100001,2025-09-15,91\n"          # 5 misaligned
            "SS-ADA,480000100001,2025-09-01,90\n"          # 6 duplicate of line 2
            "SS-ADA,480000100001,not-a-date,abc\n"         # 7 two bad cells
            f"FIN,{school},2025-09-01,1\n"                 # 8 school on a district measure
            "SS-ADA,,2025-09-01,1\n")                      # 9 school missing

    response = await post_csv(client, token, body)

    assert response.status_code == 422
    errors = [(e["line"], e["column"]) for e in response.json()["errors"]]
    assert errors == [(3, "measure_code"), (4, "school"), (5, "period_start"),
                      (6, "period_start"), (7, "period_start"), (7, "value"), (8, "school"),
                      (9, "school")]
    assert response.json()["written"] == 0
    assert await counts(app_sessionmaker, district_id) == (0, 0)


async def test_header_problems_and_roles(gql, client, factory):
    district_id, token = await factory.district()
    mine = await create_school(gql, token, "Mine", nces_id="480000100001")
    await create_school(gql, token, "Theirs", nces_id="480000100002")
    await create_measure(gql, token)
    leader = await factory.token(district_id, Role.SCHOOL_LEADER, school_ids=[uuid.UUID(mine)])
    viewer = await factory.token(district_id, Role.VIEWER)

    extra = await post_csv(client, token, "measure_code,school,period_start,value,colour\n")
    by_viewer = await post_csv(client, viewer, "measure_code,school,period_start,value\n")
    by_leader = await post_csv(client, leader, (
        "measure_code,school,period_start,value\n"
        "SS-ADA,480000100001,2025-09-01,1\n"
        "SS-ADA,480000100002,2025-09-01,1\n"))

    assert extra.status_code == 422
    assert extra.json()["errors"] == [{"line": 1, "column": "colour",
                                       "message": "unknown column"}]
    assert by_viewer.status_code == 403
    assert by_leader.status_code == 422
    assert [(e["line"], e["column"]) for e in by_leader.json()["errors"]] == [(3, "school")]
