"""The demo district's buses: the APQC story in numbers.

Three routes per school, and four summer-school routes, from two school years ago up to the last
school day before today, on a real school calendar (holidays, winter and spring breaks, school
out from early June to mid-August except for summer school). Until the routing change on the
first Monday after last school year's winter break, about one run in eight arrives 5-30
minutes late (often after the first bell); from then on about one in twenty, 3-16 minutes
late. Each school's lateness is drawn month by month, so every school's on-time rate stays
within 85-97%.

The worker's figures (instructional time lost, the five transportation KPIs) are computed from
these runs; the routing change is annotated on every bus chart and each KPI gets its targets.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import defaultdict
from datetime import date, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.demo import (
    DEMO_GRACE_MINUTES,
    TRANSPORTATION,
    DemoStory,
    acting,
    first_weekday_from,
)
from district_ppm.measures.charts import annotate
from district_ppm.measures.demo import DEMO_BY, set_targets_from_baselines
from district_ppm.measures.models import Measure
from district_ppm.schools.models import School
from district_ppm.tenancy.calendar import get_district_calendar
from district_ppm.tenancy.models import Role
from district_ppm.transportation.measurements import KPIS
from district_ppm.transportation.models import BusRoute
from district_ppm.transportation.service import (
    MAX_RUNS_PER_MUTATION,
    BusRouteCreate,
    BusRunWrite,
    create_bus_route,
    record_bus_runs,
    set_late_bus_grace,
)
from district_ppm.transportation.timeloss import recompute_time_loss

ROUTES_PER_SCHOOL = 3
# Two routes for each summer-school site: enough runs a month that one late run leaves the
# month's on-time rate within range (a single route's twelve July runs would give 91.7%).
SUMMER_ROUTES = (
    ("SUM-1", "Central High", 22),
    ("SUM-2", "Central High", 16),
    ("SUM-3", "Lincoln Elementary", 18),
    ("SUM-4", "Lincoln Elementary", 14),
)
# Each school-month's share of late runs, before and after the routing change.
LATE_SHARE = {True: (0.10, 0.14), False: (0.03, 0.06)}
ON_TIME_RANGE = (0.85, 0.97)  # each school-month's on-time share stays within it


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    return first_weekday_from(date(year, month, 1), weekday) + timedelta(weeks=n - 1)


def _holidays(school_year: int) -> set[date]:
    fall, spring = school_year - 1, school_year
    thanksgiving = _nth_weekday(fall, 11, 3, 4)
    spring_break = first_weekday_from(date(spring, 3, 10))
    memorial = _nth_weekday(spring, 5, 0, 4)
    if (memorial + timedelta(weeks=1)).month == 5:
        memorial += timedelta(weeks=1)
    days = {
        _nth_weekday(fall, 9, 0, 1),  # Labor Day
        thanksgiving - timedelta(days=1),
        thanksgiving,
        thanksgiving + timedelta(days=1),
        _nth_weekday(spring, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(spring, 2, 0, 3),  # Presidents' Day
        memorial,
    }
    days |= {spring_break + timedelta(days=n) for n in range(5)}
    day = date(fall, 12, 21)
    while day <= date(spring, 1, 4):  # winter break
        days.add(day)
        day += timedelta(days=1)
    return days


def school_days(school_year: int) -> list[date]:
    """From the Monday after August 13th to the Friday after June 2nd, weekdays, no holidays."""
    day = first_weekday_from(date(school_year - 1, 8, 14))
    last = first_weekday_from(date(school_year, 6, 3), 4)
    holidays, days = _holidays(school_year), []
    while day <= last:
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
        day += timedelta(days=1)
    return days


def summer_days(year: int) -> list[date]:
    """Summer school, Monday to Thursday from mid-June to the end of July, not the week of
    the Fourth."""
    day, days = first_weekday_from(date(year, 6, 15)), []
    while day <= date(year, 7, 31):
        if day.weekday() < 4 and not date(year, 7, 1) <= day <= date(year, 7, 7):
            days.append(day)
        day += timedelta(days=1)
    return days


def _minutes_before(moment: time, minutes: int) -> time:
    total = moment.hour * 60 + moment.minute - minutes
    return time(total // 60, total % 60)


def _arrival(scheduled: time, late_minutes: int, seconds: int) -> time:
    total = scheduled.hour * 3600 + scheduled.minute * 60 + late_minutes * 60 + seconds
    return time(total // 3600, total // 60 % 60, total % 60)


def late_count(runs: int, share: float) -> int:
    """How many of a school-month's ``runs`` are late: about ``share`` of them, kept so that
    the on-time share stays within ``ON_TIME_RANGE`` whenever a whole number of runs can."""
    fewest = math.ceil(runs * (1 - ON_TIME_RANGE[1]))
    most = math.floor(runs * (1 - ON_TIME_RANGE[0]))
    late = round(runs * share)
    return min(max(late, fewest), most) if fewest <= most else late


async def seed_transportation_demo(
    *, session: AsyncSession, district_id: uuid.UUID, story: DemoStory, schools: list[School]
) -> int:
    """Routes, runs up to yesterday, their roll-ups, targets and notes; idempotent (a
    district that has routes is left alone). Returns the number of runs written."""
    if await session.scalar(
        select(func.count()).select_from(BusRoute).where(BusRoute.district_id == district_id)
    ):
        return 0
    calendar = await get_district_calendar(session=session, district_id=district_id)
    if calendar.late_bus_grace_minutes != DEMO_GRACE_MINUTES:
        await set_late_bus_grace(
            session=session, district_id=district_id, minutes=DEMO_GRACE_MINUTES
        )
    rng = random.Random("demo buses")
    in_session = [d for year in story.bus_years for d in school_days(year) if d < story.today]
    summer = [d for year in story.bus_years for d in summer_days(year) if d < story.today]
    # (route, scheduled arrival, school, days)
    plans: list[tuple[BusRoute, time, School, list[date]]] = []
    for number, school in enumerate(schools, start=1):
        for route_number in range(1, ROUTES_PER_SCHOOL + 1):
            route = await create_bus_route(
                session=session,
                district_id=district_id,
                data=BusRouteCreate(f"{number:02d}-{route_number}", school.id, rng.randint(25, 60)),
            )
            scheduled = _minutes_before(school.first_bell, 5 + 5 * route_number)
            plans.append((route, scheduled, school, in_session))
    by_name = {school.name: school for school in schools}
    for code, name, riders in SUMMER_ROUTES:
        host = by_name.get(name)
        if host is None:
            continue
        route = await create_bus_route(
            session=session,
            district_id=district_id,
            data=BusRouteCreate(code, host.id, riders),
        )
        plans.append((route, _minutes_before(host.first_bell, 15), host, summer))
    runs = _runs(plans, story.routing_change, rng)
    principal = acting(district_id, Role.DISTRICT_ADMIN, TRANSPORTATION)
    for start in range(0, len(runs), MAX_RUNS_PER_MUTATION):
        await record_bus_runs(
            session=session,
            district_id=district_id,
            principal=principal,
            runs=runs[start : start + MAX_RUNS_PER_MUTATION],
        )
    await recompute_time_loss(session=session, district_id=district_id, full=True)
    await _targets_and_notes(session, district_id, story)
    return len(runs)


def _runs(
    plans: list[tuple[BusRoute, time, School, list[date]]],
    routing_change: date,
    rng: random.Random,
) -> list[BusRunWrite]:
    # Lateness is drawn per school, month and side of the change: a share of late runs,
    # then which runs they are.
    # Groups in the order of the plans (schools, then months): the same draws every time.
    groups: dict[tuple[str, date, bool], list[tuple[BusRoute, time, date]]]
    groups = defaultdict(list)
    for route, scheduled, school, days in plans:
        for day in days:
            groups[(school.name, day.replace(day=1), day < routing_change)].append(
                (route, scheduled, day)
            )
    runs = []
    for (_, _, before), members in groups.items():
        share = rng.uniform(*LATE_SHARE[before])
        late = set(rng.sample(range(len(members)), late_count(len(members), share)))
        for index, (route, scheduled, day) in enumerate(members):
            if index in late:
                minutes = rng.randint(5, 30) if before else rng.randint(3, 16)
            else:
                minutes = rng.randint(-6, DEMO_GRACE_MINUTES)
            runs.append(
                BusRunWrite(
                    route.id, day, scheduled, _arrival(scheduled, minutes, rng.randint(0, 59))
                )
            )
    return runs


async def _targets_and_notes(
    session: AsyncSession, district_id: uuid.UUID, story: DemoStory
) -> None:
    measures = list(
        await session.scalars(
            select(Measure)
            .where(Measure.district_id == district_id, Measure.code.in_([k.code for k in KPIS]))
            .order_by(Measure.code)
        )
    )
    await set_targets_from_baselines(
        session=session, district_id=district_id, story=story, measures=measures
    )
    for measure in measures:
        await annotate(
            session=session,
            district_id=district_id,
            measure_id=measure.id,
            school_id=None,
            occurred_on=story.routing_change,
            note="New routes: staggered dispatch, two routes merged, live GPS check-in",
            created_by=DEMO_BY,
        )
