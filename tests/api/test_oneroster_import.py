"""POST /api/v1/imports/oneroster-orgs: schools from a OneRoster orgs.csv, all or nothing."""

from __future__ import annotations

from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.schools.models import School, SchoolLevel
from district_ppm.tenancy.models import Role

HEADER = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
GOOD = (
    HEADER
    + "d1,active,2026-08-01,Springfield USD,district,,\n"
    + "s1,active,2026-08-01,Lincoln Elementary,school,480000100001,d1\n"
    + "s2,active,2026-08-01,Central High,school,480000100002,d1\n"
)


async def post_csv(client, token, body: str | bytes, kind: str = "oneroster-orgs"):
    return await client.post(
        f"/api/v1/imports/{kind}",
        content=body.encode() if isinstance(body, str) else body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )


async def schools_of(app_sessionmaker, district_id) -> list[School]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return list(await session.scalars(select(School).order_by(School.name)))


async def test_school_rows_become_schools_with_defaults_and_a_bom_is_tolerated(
    client, factory, app_sessionmaker
):
    district_id, token = await factory.district()

    response = await post_csv(client, token, "\ufeff" + GOOD)

    assert response.status_code == 200, response.text
    assert response.json() == {"written": 2}
    schools = await schools_of(app_sessionmaker, district_id)
    assert [(s.name, s.nces_id, s.level, s.first_bell.isoformat()) for s in schools] == [
        ("Central High", "480000100002", SchoolLevel.OTHER, "08:00:00"),
        ("Lincoln Elementary", "480000100001", SchoolLevel.OTHER, "08:00:00"),
    ]


async def test_resending_the_same_file_changes_nothing(client, factory, app_sessionmaker):
    district_id, token = await factory.district()
    await post_csv(client, token, GOOD)
    before = [(s.id, s.name) for s in await schools_of(app_sessionmaker, district_id)]

    again = await post_csv(client, token, GOOD)

    assert again.status_code == 200
    assert [(s.id, s.name) for s in await schools_of(app_sessionmaker, district_id)] == before


async def test_a_multipart_upload_is_accepted(client, factory):
    _, token = await factory.district()

    response = await client.post(
        "/api/v1/imports/oneroster-orgs",
        files={"file": ("orgs.csv", GOOD.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 200 and response.json() == {"written": 2}


async def test_bad_rows_are_reported_by_line_and_column_and_nothing_is_written(
    client, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    body = (
        GOOD
        + "s3,active,2026-08-01,Bad Id School,school,12345,d1\n"
        + "s4,active,2026-08-01,Odd Type,campus,480000100009,d1\n"
    )

    response = await post_csv(client, token, body)

    assert response.status_code == 422
    payload = response.json()
    assert payload["written"] == 0
    assert sorted((e["line"], e["column"]) for e in payload["errors"]) == [
        (5, "identifier"),
        (6, "type"),
    ]
    assert await schools_of(app_sessionmaker, district_id) == []


async def test_unknown_and_missing_columns_are_refused(client, factory):
    _, token = await factory.district()

    extra = await post_csv(client, token, GOOD.replace("parentSourcedId", "parentSourcedId,x"))
    missing = await post_csv(client, token, "sourcedId,name,type\ns1,A,school\n")

    assert extra.status_code == 422
    assert {"line": 1, "column": "x", "message": "unknown column"} in extra.json()["errors"]
    assert missing.status_code == 422
    assert {(e["line"], e["column"]) for e in missing.json()["errors"]} >= {
        (1, "identifier"),
        (1, "status"),
    }


async def test_tokens_and_roles_are_checked(client, factory):
    district_id, _ = await factory.district()
    viewer = await factory.token(district_id, Role.VIEWER)

    anonymous = await client.post("/api/v1/imports/oneroster-orgs", content=GOOD.encode())
    forbidden = await post_csv(client, viewer, GOOD)
    unknown_kind = await post_csv(client, viewer, GOOD, kind="no-such-kind")

    assert anonymous.status_code == 401
    assert forbidden.status_code == 403
    assert unknown_kind.status_code == 404
