"""Instructional time lost, by hand: every figure below is worked out in the comments.

District grace 2 minutes. Lincoln (first bell 08:00) is served by R1 (40 riders);
Adams (first bell 07:45) by R2 (25 riders).
"""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import delete, func, select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.models import Measure, Measurement, Source
from district_ppm.transportation.models import BusRun, TimeLossRouteMonth
from district_ppm.transportation.service import set_late_bus_grace
from tests.support.transportation import (
    add_route,
    add_school,
    figures,
    recompute,
    record,
    report,
    run,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def district(factory, app_sessionmaker):
    district_id, _ = await factory.district(late_bus_grace_minutes=2)
    lincoln = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    adams = await add_school(app_sessionmaker, district_id, "Adams", time(7, 45))
    r1 = await add_route(app_sessionmaker, district_id, "R1", lincoln, 40)
    r2 = await add_route(app_sessionmaker, district_id, "R2", adams, 25)
    await record(
        app_sessionmaker,
        district_id,
        [
            # late 5 (07:50-07:45; the :59 seconds ignored) > 2: late. Before the bell: 0 lost.
            run(r1, "2025-09-02", "07:45", "07:50:59"),
            # late 2, not more than the grace: on time.
            run(r1, "2025-09-03", "07:45", "07:47"),
            # late 17; 7 minutes after the bell x 30 riders on the run = 210.
            run(r1, "2025-10-01", "07:50", "08:07:30", riders=30),
            # whole minutes: 07:47 - 07:44 = 3 > 2, late (2 min 2 s apart in seconds).
            run(r1, "2025-11-03", "07:44:59", "07:47:01"),
            # late 12; 07:52 - 07:45 = 7 lost x 25 riders of the route = 175.
            run(r2, "2025-09-02", "07:40", "07:52"),
            # June 30th belongs to school year 2026; late 1: on time.
            run(r2, "2026-06-30", "07:40", "07:41"),
            # July 1st starts school year 2027: late 20, 15 lost x 25 = 375.
            run(r2, "2026-07-01", "07:40", "08:00"),
            # June 30th 2025 closes school year 2025: late 45, 30 lost x 40 = 1200.
            run(r1, "2025-06-30", "07:45", "08:30"),
        ],
    )
    await recompute(app_sessionmaker, district_id)
    return district_id, {"lincoln": lincoln, "adams": adams, "r1": r1, "r2": r2}


async def test_totals_of_a_school_year_round_hours_after_summing(district, app_sessionmaker):
    district_id, _ = district

    result = await report(app_sessionmaker, district_id, 2026, "SCHOOL")

    # 4 late runs: 5 + 17 + 3 + 12 = 37 minutes, 9.25 on average. Lost 7 + 7 = 14 minutes
    # = 0.2333 h -> 0.23 (each school's 0.1167 would round to 0.12, summing to 0.24).
    # Students: 210 + 175 = 385 minutes = 6.4167 h -> 6.42.
    assert figures(result.total) == (4, 37, 9.25, "0.23", "6.42")
    assert result.grace_minutes == 2
    assert result.computed_at is not None


async def test_by_school_keys_are_ids(district, app_sessionmaker):
    district_id, ids = district

    result = await report(app_sessionmaker, district_id, 2026, "SCHOOL")

    rows = {row.key: figures(row) for row in result.rows}
    assert rows == {
        # late 5, 17, 3 = 25 minutes over 3 runs (8.3333, to four decimals); 7 lost -> 0.12 h;
        # 210 -> 3.50 h
        str(ids["lincoln"]): (3, 25, 8.3333, "0.12", "3.50"),
        # late 12 once; 7 lost -> 0.12 h; 175 -> 2.92 h
        str(ids["adams"]): (1, 12, 12.0, "0.12", "2.92"),
    }


async def test_by_route(district, app_sessionmaker):
    district_id, ids = district

    result = await report(app_sessionmaker, district_id, 2026, "ROUTE")

    assert {row.key: figures(row) for row in result.rows} == {
        str(ids["r1"]): (3, 25, 8.3333, "0.12", "3.50"),
        str(ids["r2"]): (1, 12, 12.0, "0.12", "2.92"),
    }


async def test_by_month_from_july_to_june(district, app_sessionmaker):
    district_id, _ = district

    result = await report(app_sessionmaker, district_id, 2026, "MONTH")

    assert [(row.key, *figures(row)) for row in result.rows] == [
        ("2025-09", 2, 17, 8.5, "0.12", "2.92"),
        ("2025-10", 1, 17, 17.0, "0.12", "3.50"),
        ("2025-11", 1, 3, 3.0, "0.00", "0.00"),
        # runs, none late: average 0
        ("2026-06", 0, 0, 0.0, "0.00", "0.00"),
    ]


async def test_neighbouring_school_years_take_july_1_and_june_30(district, app_sessionmaker):
    district_id, _ = district

    later = await report(app_sessionmaker, district_id, 2027, "MONTH")
    earlier = await report(app_sessionmaker, district_id, 2025, "MONTH")
    empty = await report(app_sessionmaker, district_id, 2030, "MONTH")

    assert figures(later.total) == (1, 20, 20.0, "0.25", "6.25")
    assert figures(earlier.total) == (1, 45, 45.0, "0.50", "20.00")
    assert figures(empty.total) == (0, 0, 0.0, "0.00", "0.00") and empty.rows == []


async def test_writing_a_run_again_replaces_it(district, app_sessionmaker):
    district_id, ids = district

    # The 17-minutes-late run arrives at 07:55 instead: 5 late, before the bell.
    await record(app_sessionmaker, district_id, [run(ids["r1"], "2025-10-01", "07:50", "07:55")])
    result = await recompute(app_sessionmaker, district_id)

    total = (await report(app_sessionmaker, district_id, 2026, "SCHOOL")).total
    # late 5 + 5 + 3 + 12 = 25 over 4; lost only Adams' 7 -> 0.12; students 175 -> 2.92
    assert figures(total) == (4, 25, 6.25, "0.12", "2.92")
    assert result.route_months == 1 and result.school_years == [2026]


async def test_a_new_grace_recomputes_every_run(district, app_sessionmaker):
    district_id, _ = district

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await set_late_bus_grace(session=session, district_id=district_id, minutes=5)
        await session.commit()
    result = await recompute(app_sessionmaker, district_id)

    total = (await report(app_sessionmaker, district_id, 2026, "SCHOOL")).total
    # grace 5: the 5- and 3-minute runs are no longer late; 17 + 12 = 29 over 2
    assert figures(total) == (2, 29, 14.5, "0.23", "6.42")
    assert result.full is True


async def test_computing_twice_changes_nothing(district, app_sessionmaker):
    district_id, _ = district
    before = await report(app_sessionmaker, district_id, 2026, "ROUTE")

    await recompute(app_sessionmaker, district_id, full=True)
    await recompute(app_sessionmaker, district_id, full=True)
    after = await report(app_sessionmaker, district_id, 2026, "ROUTE")

    assert [figures(r) for r in after.rows] == [figures(r) for r in before.rows]
    assert figures(after.total) == figures(before.total)
    # The nightly (full) runs found nothing changed: they wrote nothing, computedAt included.
    assert after.computed_at == before.computed_at


async def test_figures_of_runs_no_longer_stored_are_removed(
    district, app_sessionmaker, admin_sessionmaker
):
    """The full rebuild deletes the stored rows the runs no longer produce (R2's route-months
    and its roll-ups) and keeps the others as they are. (The API deletes no run: the owner
    does, as an operator would.)"""
    district_id, ids = district
    async with admin_sessionmaker() as session, session.begin():
        await session.execute(delete(BusRun).where(BusRun.route_id == ids["r2"]))

    await recompute(app_sessionmaker, district_id, full=True)

    by_route = await report(app_sessionmaker, district_id, 2026, "ROUTE")
    assert [row.key for row in by_route.rows] == [str(ids["r1"])]
    # R1 alone: late 5 + 17 + 3 = 25 over 3; 7 minutes lost (0.12 h) x 30 riders = 3.50 h
    assert figures(by_route.total) == (3, 25, 8.3333, "0.12", "3.50")
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        r2_months = await session.scalar(
            select(func.count())
            .select_from(TimeLossRouteMonth)
            .where(TimeLossRouteMonth.route_id == ids["r2"])
        )
    assert r2_months == 0


async def test_the_same_numbers_become_monthly_school_kpis(district, app_sessionmaker):
    district_id, ids = district

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = (
            await session.execute(
                select(
                    Measure.code,
                    Measurement.period_start,
                    Measurement.value,
                    Measurement.numerator,
                    Measurement.denominator,
                    Measurement.source,
                )
                .join(
                    Measure,
                    (Measure.district_id == Measurement.district_id)
                    & (Measure.id == Measurement.measure_id),
                )
                .where(
                    Measurement.school_id == ids["lincoln"],
                    Measurement.period_start == date(2025, 10, 1),
                )
            )
        ).all()

    # Lincoln in October 2025: the one run 17 late, 7 lost, x 30 riders = 210. Hours are
    # stored unrounded (7 / 60 h, shown as 0.12), so that sums over schools round once.
    # None of its one run was on time: 0 of 1.
    assert {row.code: (row.value, row.numerator, row.denominator) for row in rows} == {
        "TRN-ON-TIME": (0.0, 0, 1),
        "TRN-LATE-INSTANCES": (1, None, None),
        "TRN-AVG-LATE-MIN": (17.0, 17, 1),
        "TRN-INSTR-HOURS-LOST": (7 / 60, None, None),
        "TRN-STUDENT-INSTR-HOURS-LOST": (3.5, None, None),
    }
    assert {row.source for row in rows} == {Source.COMPUTED}


async def test_incremental_kpis_follow_a_replaced_run(district, app_sessionmaker):
    district_id, ids = district

    await record(app_sessionmaker, district_id, [run(ids["r1"], "2025-10-01", "07:50", "07:55")])
    await recompute(app_sessionmaker, district_id)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        value = await session.scalar(
            select(Measurement.value)
            .join(
                Measure,
                (Measure.district_id == Measurement.district_id)
                & (Measure.id == Measurement.measure_id),
            )
            .where(
                Measure.code == "TRN-AVG-LATE-MIN",
                Measurement.school_id == ids["lincoln"],
                Measurement.period_start == date(2025, 10, 1),
            )
        )
    assert value == 5.0


async def test_the_sql_agrees_with_the_reference_arithmetic_on_random_runs(
    factory, app_sessionmaker
):
    import random

    from district_ppm.transportation.minutes import hours_from_minutes, run_minutes

    rng = random.Random(11)
    district_id, _ = await factory.district(late_bus_grace_minutes=3)
    bell = time(8, 0)
    school = await add_school(app_sessionmaker, district_id, "Lincoln", bell)
    route = await add_route(app_sessionmaker, district_id, "R1", school, 33)
    runs, late, late_minutes, lost, student = [], 0, 0, 0, 0
    for offset in range(150):
        day = date(2025, 8, 1).toordinal() + offset
        scheduled = time(7, rng.randint(30, 59), rng.randint(0, 59))
        actual = time(rng.choice((7, 8)), rng.randint(0, 59), rng.randint(0, 59))
        riders = rng.choice((None, rng.randint(0, 60)))
        runs.append(
            run(
                route,
                date.fromordinal(day).isoformat(),
                scheduled.isoformat(),
                actual.isoformat(),
                riders,
            )
        )
        expected = run_minutes(
            scheduled=scheduled,
            actual=actual,
            first_bell=bell,
            riders=33 if riders is None else riders,
            grace_minutes=3,
        )
        late += expected.is_late
        late_minutes += expected.late_minutes if expected.is_late else 0
        lost += expected.instructional_minutes_lost
        student += expected.student_instructional_minutes_lost
    await record(app_sessionmaker, district_id, runs)
    await recompute(app_sessionmaker, district_id)

    total = (await report(app_sessionmaker, district_id, 2026, "MONTH")).total

    assert (
        total.late_instances,
        total.late_minutes,
        total.instructional_hours_lost,
        total.student_instructional_hours_lost,
    ) == (late, late_minutes, hours_from_minutes(lost), hours_from_minutes(student))
