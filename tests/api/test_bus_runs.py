"""createBusRoute, recordBusRuns, setLateBusGraceMinutes, instructionalTimeLost over HTTP."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from district_ppm.config import PROJECT_ROOT
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.tenancy.models import Role
from district_ppm.transportation.models import BusRun
from tests.support.graphql import error_codes
from tests.support.transportation import add_school, recompute

OPERATIONS = (Path(PROJECT_ROOT) / "graphql" / "operations" / "transportation.graphql").read_text()


async def op(gql: Any, name: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    response = await gql.client.post(
        "/graphql",
        json={
            "query": OPERATIONS,
            "operationName": name,
            "variables": variables,
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def count_runs(app_sessionmaker: Any, district_id: Any) -> int:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return int(await session.scalar(select(func.count()).select_from(BusRun)) or 0)


async def new_route(gql, token, school_id, code="R1", riders=40) -> str:
    created = await op(
        gql,
        "CreateBusRoute",
        {"input": {"code": code, "schoolId": str(school_id), "riders": riders}},
        token,
    )
    return created["data"]["createBusRoute"]["busRoute"]["id"]


def runs_input(route_id: str, count: int = 4, **overrides: Any) -> dict[str, Any]:
    return {
        "runs": [
            {
                "routeId": route_id,
                "serviceDate": f"2025-09-{day + 1:02d}",
                "scheduledArrival": "07:40",
                "actualArrival": "08:10",
                **overrides,
            }
            for day in range(count)
        ]
    }


async def test_runs_recorded_over_graphql_are_computed_and_reported(gql, factory, app_sessionmaker):
    district_id, token = await factory.district(late_bus_grace_minutes=3)
    school = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    route_id = await new_route(gql, token, school, riders=40)

    written = await op(
        gql,
        "RecordBusRuns",
        {
            "input": {
                "runs": [
                    # late 30 > 3; 10 min after the bell x 40 riders (the route's) = 400
                    {
                        "routeId": route_id,
                        "serviceDate": "2025-09-01",
                        "scheduledArrival": "07:40",
                        "actualArrival": "08:10",
                    },
                    # late 3, not more than the grace; 0 lost
                    {
                        "routeId": route_id,
                        "serviceDate": "2025-09-02",
                        "scheduledArrival": "07:40",
                        "actualArrival": "07:43",
                        "riders": 12,
                    },
                ]
            }
        },
        token,
    )
    await recompute(app_sessionmaker, district_id)
    report = await op(gql, "InstructionalTimeLost", {"schoolYear": 2026, "groupBy": "ROUTE"}, token)

    assert written == {"data": {"recordBusRuns": {"written": 2}}}
    result = report["data"]["instructionalTimeLost"]
    assert result["rows"] == [
        {
            "key": route_id,
            "lateInstances": 1,
            "lateMinutes": 30,
            "averageLateMinutes": 30.0,
            "instructionalHoursLost": "0.17",
            "studentInstructionalHoursLost": "6.67",
        }
    ]
    assert result["total"] == {
        "lateInstances": 1,
        "lateMinutes": 30,
        "instructionalHoursLost": "0.17",
        "studentInstructionalHoursLost": "6.67",
    }
    assert result["lateBusGraceMinutes"] == 3 and result["computedAt"] is not None


async def test_before_any_computation_the_report_is_empty_with_null_computed_at(gql, factory):
    _, token = await factory.district()

    report = await op(gql, "InstructionalTimeLost", {"schoolYear": 2026, "groupBy": "MONTH"}, token)

    assert report["data"]["instructionalTimeLost"] == {
        "computedAt": None,
        "lateBusGraceMinutes": None,
        "rows": [],
        "total": {
            "lateInstances": 0,
            "lateMinutes": 0,
            "instructionalHoursLost": "0.00",
            "studentInstructionalHoursLost": "0.00",
        },
    }


async def test_a_bad_run_names_its_field_and_nothing_is_written(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    school = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    route_id = await new_route(gql, token, school)
    batch = runs_input(route_id)
    batch["runs"][3]["riders"] = -1

    result = await op(gql, "RecordBusRuns", {"input": batch}, token)

    assert result["errors"][0]["extensions"]["code"] == "BAD_INPUT"
    assert result["errors"][0]["extensions"]["field"] == "input.runs.3.riders"
    assert await count_runs(app_sessionmaker, district_id) == 0


async def test_a_malformed_time_names_its_field(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    school = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    route_id = await new_route(gql, token, school)
    batch = runs_input(route_id)
    batch["runs"][2]["actualArrival"] = "8 o'clock"

    result = await op(gql, "RecordBusRuns", {"input": batch}, token)

    assert result["errors"][0]["extensions"] == {
        "code": "BAD_INPUT",
        "field": "input.runs.2.actualArrival",
    }


async def test_the_same_route_and_day_twice_in_one_batch_is_bad_input(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    school = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    route_id = await new_route(gql, token, school)
    batch = runs_input(route_id, count=2)
    batch["runs"][1]["serviceDate"] = batch["runs"][0]["serviceDate"]

    result = await op(gql, "RecordBusRuns", {"input": batch}, token)

    assert result["errors"][0]["extensions"]["field"] == "input.runs.1.serviceDate"
    assert await count_runs(app_sessionmaker, district_id) == 0


async def test_another_districts_route_looks_missing(gql, factory, app_sessionmaker):
    other_id, other_token = await factory.district()
    other_school = await add_school(app_sessionmaker, other_id, "Far", time(8, 0))
    foreign_route = await new_route(gql, other_token, other_school)
    _, token = await factory.district()

    result = await op(gql, "RecordBusRuns", {"input": runs_input(foreign_route, 1)}, token)
    school_result = await op(
        gql,
        "CreateBusRoute",
        {"input": {"code": "X", "schoolId": str(other_school), "riders": 1}},
        token,
    )

    assert result["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "field": "input.runs.0.routeId",
    }
    assert school_result["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "field": "input.schoolId",
    }
    assert await count_runs(app_sessionmaker, other_id) == 0


async def test_duplicate_route_code_is_a_conflict(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    school = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    await new_route(gql, token, school, code="R9")

    again = await op(
        gql,
        "CreateBusRoute",
        {"input": {"code": "R9", "schoolId": str(school), "riders": 3}},
        token,
    )

    assert again["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "input.code"}


async def test_roles_viewer_reads_school_leader_records_only_for_its_schools(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    mine = await add_school(app_sessionmaker, district_id, "Mine", time(8, 0))
    theirs = await add_school(app_sessionmaker, district_id, "Theirs", time(8, 0))
    my_route = await new_route(gql, token, mine, code="M1")
    their_route = await new_route(gql, token, theirs, code="T1")
    viewer = await factory.token(district_id, Role.VIEWER)
    leader = await factory.token(district_id, Role.SCHOOL_LEADER, school_ids=[mine])
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    owner = await factory.token(district_id, Role.PROCESS_OWNER)

    assert error_codes(
        await op(gql, "RecordBusRuns", {"input": runs_input(my_route, 1)}, viewer)
    ) == ["FORBIDDEN"]
    assert error_codes(
        await op(gql, "RecordBusRuns", {"input": runs_input(their_route, 1)}, leader)
    ) == ["FORBIDDEN"]
    assert error_codes(
        await op(
            gql,
            "CreateBusRoute",
            {"input": {"code": "F", "schoolId": str(mine), "riders": 1}},
            finance,
        )
    ) == ["FORBIDDEN"]
    # Routes are structure (DOMAIN.md "Roles": a DISTRICT_ADMIN manages it); a PROCESS_OWNER
    # records runs but creates no route.
    assert error_codes(
        await op(
            gql,
            "CreateBusRoute",
            {"input": {"code": "P", "schoolId": str(mine), "riders": 1}},
            owner,
        )
    ) == ["FORBIDDEN"]
    owner_runs = await op(gql, "RecordBusRuns", {"input": runs_input(their_route, 1)}, owner)
    assert owner_runs["data"]["recordBusRuns"]["written"] == 1
    mine_ok = await op(gql, "RecordBusRuns", {"input": runs_input(my_route, 1)}, leader)
    assert mine_ok["data"]["recordBusRuns"]["written"] == 1
    read = await op(gql, "InstructionalTimeLost", {"schoolYear": 2026, "groupBy": "SCHOOL"}, viewer)
    assert "errors" not in read
    routes = await op(gql, "BusRoutes", {"first": 1}, viewer)
    assert routes["data"]["busRoutes"]["totalCount"] == 2


async def test_grace_is_set_by_a_district_admin_and_queues_a_full_recompute(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    owner = await factory.token(district_id, Role.PROCESS_OWNER)

    set_it = await op(gql, "SetLateBusGraceMinutes", {"minutes": 4}, token)
    refused = await op(gql, "SetLateBusGraceMinutes", {"minutes": 9}, owner)
    negative = await op(gql, "SetLateBusGraceMinutes", {"minutes": -1}, token)
    me = await gql("{ me { district { lateBusGraceMinutes } } }", token=token)

    assert set_it["data"]["setLateBusGraceMinutes"] == {"lateBusGraceMinutes": 4}
    assert error_codes(refused) == ["FORBIDDEN"]
    assert negative["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "minutes"}
    assert me["data"]["me"]["district"]["lateBusGraceMinutes"] == 4
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        queued = (
            await session.execute(
                select(OutboxMessage.actor_name, OutboxMessage.payload).where(
                    OutboxMessage.actor_name == "recompute_time_loss"
                )
            )
        ).all()
    assert [tuple(row) for row in queued] == [("recompute_time_loss", {"full": True})]


async def test_admins_see_pending_and_failed_jobs(gql, factory, app_sessionmaker):
    from district_ppm.jobs.service import run_job

    district_id, token = await factory.district()
    school = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    route_id = await new_route(gql, token, school)
    await op(gql, "RecordBusRuns", {"input": runs_input(route_id, 1)}, token)

    async def broken(session: Any, district: Any) -> None:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        await run_job(
            sessionmaker=app_sessionmaker,
            district_id=district_id,
            actor_name="recompute_time_loss",
            message_id="m-1",
            body=broken,
        )
    viewer = await factory.token(district_id, Role.VIEWER)
    query = (
        "{ jobs { pending { actorName queuedAt } recentFailures { messageId actorName error } } }"
    )

    seen = await gql(query, token=token)
    refused = await gql(query, token=viewer)

    jobs = seen["data"]["jobs"]
    assert "recompute_time_loss" in [job["actorName"] for job in jobs["pending"]]
    assert jobs["recentFailures"] == [
        {
            "messageId": "m-1",
            "actorName": "recompute_time_loss",
            "error": "RuntimeError('the database went away')",
        }
    ]
    assert error_codes(refused) == ["FORBIDDEN"]
