"""The demo district's buses: the APQC story in numbers.

Three routes per school and the last complete school year of runs. Until the routing change
of January 5th, about three runs in ten arrive 5-25 minutes late, often after the first bell;
from then on fewer than one in ten, and only a few minutes late. The KPI series and the
monthly time-loss report show the step.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.school_calendar import school_year_of
from district_ppm.schools.models import School
from district_ppm.tenancy.models import Role
from district_ppm.tenancy.principal import Principal
from district_ppm.transportation.models import BusRoute
from district_ppm.transportation.service import (
    BusRouteCreate,
    BusRunWrite,
    create_bus_route,
    record_bus_runs,
)
from district_ppm.transportation.timeloss import recompute_time_loss

ROUTES_PER_SCHOOL = 3
SERVICE_DAYS = 175


def _minutes_before(moment: time, minutes: int) -> time:
    total = moment.hour * 60 + moment.minute - minutes
    return time(total // 60, total % 60)


def _service_days(school_year: int) -> list[date]:
    """Weekdays from the third week of August, skipping the winter break."""
    day, days = date(school_year - 1, 8, 18), list[date]()
    while len(days) < SERVICE_DAYS:
        winter_break = (day.month == 12 and day.day >= 20) or (day.month == 1 and day.day < 5)
        if day.weekday() < 5 and not winter_break:
            days.append(day)
        day += timedelta(days=1)
    return days


def _actual(scheduled: time, day: date, routing_change: date, rng: random.Random) -> time:
    before = day < routing_change
    if rng.random() < (0.3 if before else 0.08):
        late_seconds = rng.randint(5 * 60, 25 * 60) if before else rng.randint(3 * 60, 6 * 60)
    else:
        late_seconds = rng.randint(-5 * 60, 60)
    seconds = scheduled.hour * 3600 + scheduled.minute * 60 + late_seconds
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


async def seed_transportation_demo(
    *, session: AsyncSession, district_id: uuid.UUID, today: date
) -> int:
    """Routes and a school year of runs for the demo district, then their roll-ups; idempotent
    (a district that has routes is left alone). Returns the number of runs written."""
    if await session.scalar(
        select(func.count()).select_from(BusRoute).where(BusRoute.district_id == district_id)
    ):
        return 0
    rng = random.Random(2026)
    school_year = school_year_of(today) - 1  # the last complete one
    routing_change = date(school_year, 1, 5)
    runs: list[BusRunWrite] = []
    schools = await session.scalars(
        select(School).where(School.district_id == district_id).order_by(School.name)
    )
    for school_number, school in enumerate(schools, start=1):
        for route_number in range(1, ROUTES_PER_SCHOOL + 1):
            route = await create_bus_route(
                session=session,
                district_id=district_id,
                data=BusRouteCreate(
                    code=f"{school_number:02d}-{route_number}",
                    school_id=school.id,
                    riders=rng.randint(25, 60),
                ),
            )
            scheduled = _minutes_before(school.first_bell, 10 + 5 * route_number)
            runs += [
                BusRunWrite(
                    route_id=route.id,
                    service_date=day,
                    scheduled_arrival=scheduled,
                    actual_arrival=_actual(scheduled, day, routing_change, rng),
                )
                for day in _service_days(school_year)
            ]
    if not runs:
        return 0
    seeder = Principal(
        district_id=district_id, role=Role.DISTRICT_ADMIN, token_id=uuid.uuid4(), actor="demo seed"
    )
    written = await record_bus_runs(
        session=session, district_id=district_id, principal=seeder, runs=runs
    )
    # Computed now so the demo shows numbers before a worker has run; the queued job agrees.
    await recompute_time_loss(session=session, district_id=district_id)
    return written
