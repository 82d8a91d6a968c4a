"""The demo's buses tell the APQC story: late arrivals drop after the January routing change,
every school's on-time rate stays believable, and the run stops at the last school day."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.demo import DEMO_SCHOOLS, DemoStory
from district_ppm.measures.models import Measure, Measurement, Target
from district_ppm.schools.models import School
from district_ppm.schools.service import create_school
from district_ppm.transportation.demo import school_days, seed_transportation_demo, summer_days
from district_ppm.transportation.models import BusRoute, BusRun
from tests.support.transportation import report

TODAY = date(2026, 5, 13)  # a Wednesday in May of 2025-26: the routes changed in January 2025


def test_a_school_year_has_about_180_days_and_summer_school_runs_in_june_and_july():
    days = school_days(2026)
    assert (days[0], days[-1]) == (date(2025, 8, 18), date(2026, 6, 5))
    assert 180 <= len(days) <= 190
    assert date(2026, 1, 5) in days and date(2025, 12, 24) not in days  # winter break
    assert all(day.weekday() < 5 for day in days)
    summer = summer_days(2026)
    assert {day.month for day in summer} == {6, 7} and date(2026, 7, 2) not in summer


async def test_late_arrivals_fall_after_the_routing_change(factory, app_sessionmaker):
    district_id, _ = await factory.district()  # grace 0: the demo sets its own 2 minutes
    story = DemoStory(TODAY)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for data in (DEMO_SCHOOLS[0], DEMO_SCHOOLS[-1]):  # Lincoln Elementary, Central High
            await create_school(session=session, district_id=district_id, data=data, today=TODAY)
        schools = list(await session.scalars(select(School).order_by(School.name)))
        written = await seed_transportation_demo(
            session=session, district_id=district_id, story=story, schools=schools
        )
        await session.commit()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        again = await seed_transportation_demo(
            session=session, district_id=district_id, story=story, schools=schools
        )
        last_run = await session.scalar(select(func.max(BusRun.service_date)))
        on_time = list(
            await session.scalars(
                select(Measurement.value)
                .join(Measure, Measure.id == Measurement.measure_id)
                .where(Measure.code == "TRN-ON-TIME")
            )
        )
        targets = await session.scalar(select(func.count()).select_from(Target))

    assert again == 0 and written > 2 * 3 * 300
    assert last_run == date(2026, 5, 12)  # yesterday, a school day
    assert on_time and all(85 <= value <= 97 for value in on_time)
    assert targets == 5 * 2  # the five bus KPIs, this year's and last year's
    months = {
        row.key: row for row in (await report(app_sessionmaker, district_id, 2025, "MONTH")).rows
    }
    before = [months[key] for key in ("2024-09", "2024-10", "2024-11")]
    after = [months[key] for key in ("2025-02", "2025-03", "2025-04")]
    assert min(row.late_instances for row in before) > 2 * max(row.late_instances for row in after)
    assert min(row.average_late_minutes for row in before) > max(
        row.average_late_minutes for row in after
    )


async def seeded_runs(factory: Any, app_sessionmaker: Any) -> list[tuple[Any, ...]]:
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for data in (DEMO_SCHOOLS[0], DEMO_SCHOOLS[-1]):
            await create_school(session=session, district_id=district_id, data=data, today=TODAY)
        schools = list(await session.scalars(select(School).order_by(School.name)))
        await seed_transportation_demo(
            session=session, district_id=district_id, story=DemoStory(TODAY), schools=schools
        )
        rows = await session.execute(
            select(
                BusRoute.code,
                BusRoute.riders,
                BusRun.service_date,
                BusRun.scheduled_arrival,
                BusRun.actual_arrival,
            ).join(BusRoute, BusRoute.id == BusRun.route_id)
        )
        return sorted(tuple(row) for row in rows)


async def test_two_districts_seeded_on_the_same_day_get_the_same_runs(factory, app_sessionmaker):
    first = await seeded_runs(factory, app_sessionmaker)
    second = await seeded_runs(factory, app_sessionmaker)

    assert first == second and len(first) > 3_000
