"""Shared set-up for the transportation tests: schools, routes and runs through the services."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.service import lock_district
from district_ppm.schools.models import SchoolLevel
from district_ppm.schools.service import SchoolCreate, create_school
from district_ppm.tenancy.models import Role
from district_ppm.tenancy.principal import Principal
from district_ppm.transportation import service, timeloss
from district_ppm.transportation.jobs import recompute_time_loss_job
from district_ppm.transportation.models import BusRun


def admin(district_id: uuid.UUID) -> Principal:
    return Principal(
        district_id=district_id, role=Role.DISTRICT_ADMIN, token_id=uuid.uuid4(), actor="test"
    )


async def add_school(
    sessionmaker: Any, district_id: uuid.UUID, name: str, first_bell: time
) -> uuid.UUID:
    async with tenant_transaction(sessionmaker, district_id) as session:
        school = await create_school(
            session=session,
            district_id=district_id,
            data=SchoolCreate(name, SchoolLevel.ELEMENTARY, first_bell),
            today=datetime.now(UTC).date(),
        )
        await session.commit()
        return school.id


async def add_route(
    sessionmaker: Any, district_id: uuid.UUID, code: str, school_id: uuid.UUID, riders: int
) -> uuid.UUID:
    async with tenant_transaction(sessionmaker, district_id) as session:
        route = await service.create_bus_route(
            session=session,
            district_id=district_id,
            data=service.BusRouteCreate(code=code, school_id=school_id, riders=riders),
        )
        await session.commit()
        return route.id


def run(
    route_id: uuid.UUID, day: str, scheduled: str, actual: str, riders: int | None = None
) -> service.BusRunWrite:
    return service.BusRunWrite(
        route_id=route_id,
        service_date=date.fromisoformat(day),
        scheduled_arrival=time.fromisoformat(scheduled),
        actual_arrival=time.fromisoformat(actual),
        riders=riders,
    )


async def record(sessionmaker: Any, district_id: uuid.UUID, runs: list[service.BusRunWrite]) -> int:
    async with tenant_transaction(sessionmaker, district_id) as session:
        written = await service.record_bus_runs(
            session=session, district_id=district_id, principal=admin(district_id), runs=runs
        )
        await session.commit()
        return written


async def recompute(
    sessionmaker: Any, district_id: uuid.UUID, *, full: bool = False
) -> timeloss.RecomputeResult:
    """What the worker does, awaited directly: lock, recompute, commit."""
    async with tenant_transaction(sessionmaker, district_id) as session:
        await lock_district(session, district_id, recompute_time_loss_job.name)
        result = await timeloss.recompute_time_loss(
            session=session, district_id=district_id, full=full
        )
        await session.commit()
        return result


async def report(
    sessionmaker: Any, district_id: uuid.UUID, school_year: int, grouping: str
) -> timeloss.TimeLossReport:
    async with tenant_transaction(sessionmaker, district_id) as session:
        return await timeloss.time_loss_report(
            session=session, district_id=district_id, school_year=school_year, grouping=grouping
        )


def figures(row: timeloss.TimeLossFigures) -> tuple[Any, ...]:
    """A row as (late instances, late minutes, average, hours lost, student hours lost)."""
    return (
        row.late_instances,
        row.late_minutes,
        row.average_late_minutes,
        str(row.instructional_hours_lost),
        str(row.student_instructional_hours_lost),
    )


HEADER = "route_code,service_date,scheduled_arrival,actual_arrival,riders\n"


async def stored(app_sessionmaker: Any, district_id: Any) -> list[tuple[Any, ...]]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            select(
                BusRun.service_date, BusRun.scheduled_arrival, BusRun.actual_arrival, BusRun.riders
            ).order_by(BusRun.service_date)
        )
        return [tuple(row) for row in rows]


async def setup(factory: Any, app_sessionmaker: Any) -> tuple[Any, str, Any]:
    district_id, token = await factory.district()
    school = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    await add_route(app_sessionmaker, district_id, "R1", school, 40)
    await add_route(app_sessionmaker, district_id, "R2", school, 20)
    return district_id, token, school
