"""Instructional-time claims checked against the district's bus runs, worked out by hand.

First bell 08:00 everywhere. Lincoln's route carries 30 riders, Grant's 10, Adams has none.
School year 2025 (runs in September 2024): Lincoln 4 runs at 08:10 -> 4 x 10 x 30 = 1200
student minutes = 20.00 h; Grant 2 runs at 08:30 -> 2 x 30 x 10 = 600 = 10.00 h.
School year 2026 (September 2025): Lincoln 2 runs at 08:05 -> 300 = 5.00 h; Grant 1 run at
08:06 -> 60 = 1.00 h. District: 30.00 h lost in 2025, 6.00 h in 2026.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from district_ppm.tenancy.models import Role
from tests.support import transportation as buses
from tests.support.measures import create_measure
from tests.support.savings import new_project, op, record, reverse


async def bus_district(factory: Any, app_sessionmaker: Any) -> dict[str, Any]:
    district_id, admin = await factory.district()
    schools = {
        name: await buses.add_school(app_sessionmaker, district_id, name, time(8, 0))
        for name in ("Lincoln", "Grant", "Adams")
    }
    lincoln = await buses.add_route(app_sessionmaker, district_id, "L1", schools["Lincoln"], 30)
    grant = await buses.add_route(app_sessionmaker, district_id, "G1", schools["Grant"], 10)
    runs = [
        *(buses.run(lincoln, f"2024-09-0{day}", "07:50", "08:10") for day in range(2, 6)),
        *(buses.run(grant, f"2024-09-0{day}", "07:50", "08:30") for day in range(2, 4)),
        *(buses.run(lincoln, f"2025-09-0{day}", "07:50", "08:05") for day in range(2, 4)),
        buses.run(grant, "2025-09-02", "07:50", "08:06"),
    ]
    await buses.record(app_sessionmaker, district_id, runs)
    return {
        "district_id": district_id,
        "admin": admin,
        **{name: str(school) for name, school in schools.items()},
    }


def check(
    claimed: str,
    computed: str,
    exceeds: bool,
    baseline_lost: str,
    claimed_lost: str,
    school_ids: list[str],
    baseline_year: int = 2025,
) -> dict[str, Any]:
    return {
        "claimedHours": claimed,
        "computedHours": computed,
        "exceedsComputed": exceeds,
        "baselineSchoolYear": baseline_year,
        "claimedSchoolYear": 2026,
        "baselineHoursLost": baseline_lost,
        "claimedYearHoursLost": claimed_lost,
        "schoolIds": sorted(school_ids),
    }


def without_time(found: dict[str, Any] | None) -> dict[str, Any] | None:
    if found is None:
        return None
    return {k: v for k, v in found.items() if k != "timeLossComputedAt"}


async def entry_check(gql: Any, token: str, entry_id: str) -> dict[str, Any] | None:
    found = await op(gql, "SavingsEntry", {"id": entry_id}, token)
    assert "errors" not in found, found
    return found["data"]["savingsEntry"]["check"]  # type: ignore[no-any-return]


async def test_claims_of_transportation_projects_are_shown_beside_the_bus_data(
    gql, factory, app_sessionmaker
):
    d = await bus_district(factory, app_sessionmaker)
    admin, district_id = d["admin"], d["district_id"]
    await buses.recompute(app_sessionmaker, district_id)
    # A transportation KPI of the district's own (the worker made TRN-ON-TIME already).
    on_time = await create_measure(gql, admin, code="TRN-ARRIVALS", name="On-time arrivals")
    attendance = await create_measure(gql, admin, code="SS-ADA")
    late_buses = await new_project(
        gql,
        admin,
        "Late buses",
        primaryMeasureId=on_time,
        schoolIds=[d["Lincoln"], d["Grant"]],
        baselineSchoolYear=2025,
    )
    routing = await new_project(gql, admin, "Routing, district-wide")  # no measure, no schools
    unbussed = await new_project(gql, admin, "Adams tutoring", schoolIds=[d["Adams"]])
    reading = await new_project(
        gql, admin, "Attendance", primaryMeasureId=attendance, schoolIds=[d["Lincoln"]]
    )

    def hours(amount: str, **fields: Any) -> dict[str, Any]:
        return {"category": "INSTRUCTIONAL_TIME", "unit": "HOURS", "amount": amount, **fields}

    both = await record(gql, admin, late_buses, **hours("24.00"))
    lincoln = await record(gql, admin, late_buses, **hours("15.01", schoolId=d["Lincoln"]))
    dollars = await record(gql, admin, late_buses, amount="500")
    district_wide = await record(gql, admin, routing, **hours("10"))
    adams = await record(gql, admin, unbussed, **hours("5"))
    attendance_claim = await record(gql, admin, reading, **hours("5"))
    withdrawn = await record(gql, admin, late_buses, **hours("9"))
    reversal = await reverse(gql, admin, withdrawn["id"])

    # 30.00 - 6.00 at both schools; the claim equals the change, so it is not flagged.
    both_check = check("24.00", "24.00", False, "30.00", "6.00", [d["Lincoln"], d["Grant"]])
    # 20.00 - 5.00 at Lincoln: a claim of 15.01 is more than the bus data show.
    lincoln_check = check("15.01", "15.00", True, "20.00", "5.00", [d["Lincoln"]])
    # No baseline year on the project: the year before the claim; the whole district.
    district_check = check("10.00", "24.00", False, "30.00", "6.00", [])
    assert without_time(await entry_check(gql, admin, both["id"])) == both_check
    assert without_time(await entry_check(gql, admin, lincoln["id"])) == lincoln_check
    assert without_time(await entry_check(gql, admin, district_wide["id"])) == district_check
    for unchecked in (dollars, adams, attendance_claim, reversal):
        assert await entry_check(gql, admin, unchecked["id"]) is None, unchecked

    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    listed = await op(gql, "SavingsClaimChecks", {"fiscalYear": 2026}, finance)
    claims = listed["data"]["savingsClaimChecks"]
    # Flagged first, then as recorded; the withdrawn (reversed) claim no longer counts.
    assert [(c["entry"]["id"], without_time(c["check"])) for c in claims] == [
        (lincoln["id"], lincoln_check),
        (both["id"], both_check),
        (district_wide["id"], district_check),
    ]
    assert all(c["check"]["timeLossComputedAt"] is not None for c in claims)
    on_project = await op(gql, "ProjectSavings", {"id": late_buses}, admin)
    shown = {s["id"]: s["check"] for s in on_project["data"]["project"]["savings"]}
    assert without_time(shown[lincoln["id"]]) == lincoln_check
    assert shown[dollars["id"]] is None


async def test_before_the_bus_runs_are_computed_a_claim_shows_no_recovery(
    gql, factory, app_sessionmaker
):
    d = await bus_district(factory, app_sessionmaker)  # runs recorded, never computed
    admin = d["admin"]
    project = await new_project(gql, admin, schoolIds=[d["Lincoln"]], baselineSchoolYear=2025)
    claim = await record(
        gql, admin, project, category="INSTRUCTIONAL_TIME", unit="HOURS", amount="1"
    )

    found = await entry_check(gql, admin, claim["id"])

    assert found == {
        **check("1.00", "0.00", True, "0.00", "0.00", [d["Lincoln"]]),
        "timeLossComputedAt": None,
    }


async def test_a_claim_for_a_year_that_lost_more_time_shows_a_negative_change(
    gql, factory, app_sessionmaker
):
    d = await bus_district(factory, app_sessionmaker)
    admin, district_id = d["admin"], d["district_id"]
    await buses.recompute(app_sessionmaker, district_id)
    # Claimed FY2025 with no baseline year on the project: 2024 (no runs, 0.00 h lost)
    # against 2025's 30.00 h: the buses lost 30 more hours, a change of -30.00.
    project = await new_project(gql, admin, schoolIds=[d["Lincoln"], d["Grant"]])
    worse = await record(
        gql,
        admin,
        project,
        category="INSTRUCTIONAL_TIME",
        unit="HOURS",
        amount="0.01",
        fiscalYear=2025,
    )

    found = await entry_check(gql, admin, worse["id"])

    assert without_time(found) == {
        **check("0.01", "-30.00", True, "0.00", "30.00", [d["Lincoln"], d["Grant"]], 2024),
        "claimedSchoolYear": 2025,
    }
