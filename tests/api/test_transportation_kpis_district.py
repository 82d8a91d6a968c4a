"""The transportation KPIs district-wide agree with instructionalTimeLost, month by month.

District grace 2 minutes. Lincoln (first bell 08:00) is served by R1 (31 riders), Adams
(first bell 07:45) by R2 (19 riders). Every figure is worked out in the comments.
"""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest

from tests.support.measures import run_refresh
from tests.support.transportation import (
    add_route,
    add_school,
    recompute,
    record,
    run,
)

SCORECARD = """
query { scorecard(view: DASHBOARD, schoolYear: 2026) {
  rows { measure { id code } schoolId latestPeriod latestValue } } }
"""
CHART = """
query($m: ID!) { controlChart(measureId: $m) { points { periodStart value } } }
"""
BY_MONTH = """
query { instructionalTimeLost(schoolYear: 2026, groupBy: MONTH) {
  rows { key lateInstances lateMinutes averageLateMinutes instructionalHoursLost
         studentInstructionalHoursLost } } }
"""
COMPARE = """
query($m: ID!, $p: Date!) { schoolComparison(measureId: $m, periodStart: $p) {
  rows { school { name } value rank } } }
"""
# Each KPI beside the instructionalTimeLost figure it restates.
FIGURE = {
    "TRN-LATE-INSTANCES": "lateInstances",
    "TRN-AVG-LATE-MIN": "averageLateMinutes",
    "TRN-INSTR-HOURS-LOST": "instructionalHoursLost",
    "TRN-STUDENT-INSTR-HOURS-LOST": "studentInstructionalHoursLost",
}


@pytest.fixture
async def district(factory, app_sessionmaker) -> tuple[Any, str]:
    district_id, token = await factory.district(late_bus_grace_minutes=2)
    lincoln = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    adams = await add_school(app_sessionmaker, district_id, "Adams", time(7, 45))
    r1 = await add_route(app_sessionmaker, district_id, "R1", lincoln, 31)
    r2 = await add_route(app_sessionmaker, district_id, "R2", adams, 19)
    await record(
        app_sessionmaker,
        district_id,
        [
            # September. Lincoln: late 5, 17 and 3 (25 over 3 runs, 8.33 on average); 7 minutes
            # after the bell once (x 31 riders = 217).
            run(r1, "2025-09-02", "07:45", "07:50"),
            run(r1, "2025-09-03", "07:50", "08:07"),
            run(r1, "2025-09-04", "07:44", "07:47"),
            # Adams: late 12 once (12 on average); 7 minutes after its bell (x 19 = 133).
            run(r2, "2025-09-02", "07:40", "07:52"),
            # October. Lincoln: late 20; 10 minutes after the bell (x 31 = 310).
            run(r1, "2025-10-01", "07:50", "08:10"),
            # Adams: late 1, within the grace: no late run at all (0 over 0).
            run(r2, "2025-10-01", "07:40", "07:41"),
        ],
    )
    await recompute(app_sessionmaker, district_id)
    await run_refresh(app_sessionmaker, district_id)
    return district_id, token


async def test_the_district_average_late_minutes_pools_the_schools_late_runs(district, gql):
    _, token = district

    scorecard = (await gql(SCORECARD, token=token))["data"]["scorecard"]
    rows = {row["measure"]["code"]: row for row in scorecard["rows"]}
    average = rows["TRN-AVG-LATE-MIN"]
    chart = (await gql(CHART, {"m": average["measure"]["id"]}, token=token))["data"]
    by_month = (await gql(BY_MONTH, token=token))["data"]["instructionalTimeLost"]["rows"]

    # September: (25 + 12) / (3 + 1) = 9.25, not the mean of 8.33 and 12 (10.17).
    # October: 20 / 1 = 20, not the mean of 20 and Adams' 0 (10).
    assert [(p["periodStart"], p["value"]) for p in chart["controlChart"]["points"]] == [
        ("2025-09-01", 9.25),
        ("2025-10-01", 20.0),
    ]
    assert (average["schoolId"], average["latestPeriod"], average["latestValue"]) == (
        None,
        "2025-10-01",
        20.0,
    )
    assert [(r["key"], r["averageLateMinutes"]) for r in by_month] == [
        ("2025-09", 9.25),
        ("2025-10", 20.0),
    ]
    assert rows["TRN-LATE-INSTANCES"]["latestValue"] == by_month[-1]["lateInstances"] == 1


async def test_district_hours_are_rounded_after_summing_the_schools(district, gql):
    _, token = district

    scorecard = (await gql(SCORECARD, token=token))["data"]["scorecard"]
    ids = {row["measure"]["code"]: row["measure"]["id"] for row in scorecard["rows"]}
    by_month = (await gql(BY_MONTH, token=token))["data"]["instructionalTimeLost"]["rows"]
    charts = {
        code: (await gql(CHART, {"m": ids[code]}, token=token))["data"]["controlChart"]["points"]
        for code in FIGURE
    }
    september = (
        await gql(COMPARE, {"m": ids["TRN-INSTR-HOURS-LOST"], "p": "2025-09-01"}, token=token)
    )["data"]["schoolComparison"]["rows"]

    # September: 7 + 7 = 14 minutes lost = 0.2333 h -> 0.23 (each school's 0.1167 rounds to
    # 0.12, and those sum to 0.24). Students: 217 + 133 = 350 minutes = 5.8333 h -> 5.83
    # (3.62 + 2.22 = 5.84). October: Lincoln alone, 10 minutes -> 0.17, 310 -> 5.17.
    assert [
        (r["key"], r["instructionalHoursLost"], r["studentInstructionalHoursLost"])
        for r in by_month
    ] == [("2025-09", "0.23", "5.83"), ("2025-10", "0.17", "5.17")]
    assert [p["value"] for p in charts["TRN-INSTR-HOURS-LOST"]] == [0.23, 0.17]
    assert [p["value"] for p in charts["TRN-STUDENT-INSTR-HOURS-LOST"]] == [5.83, 5.17]
    # Every KPI's district-wide point for a month is that month's figure, exactly.
    for code, figure in FIGURE.items():
        assert [(p["periodStart"][:7], p["value"]) for p in charts[code]] == [
            (r["key"], float(r[figure])) for r in by_month
        ], code
    # Each school's own month is shown to two decimals too (7 minutes: 0.12).
    assert [(r["school"]["name"], r["value"], r["rank"]) for r in september] == [
        ("Adams", 0.12, 1),
        ("Lincoln", 0.12, 1),
    ]
