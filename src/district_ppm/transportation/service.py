"""Bus routes, bus runs and the late-bus grace. Callers own the transaction.

Every write of runs marks the (route, month) pairs it changed and queues one coalesced
recompute through the outbox, in the writer's transaction: committed runs are always
eventually computed, whatever happens to Redis or the worker in between.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page, keyset_page
from district_ppm.errors import BadInput, BatchErrors, Conflict, Forbidden, NotFound
from district_ppm.jobs.service import enqueue_job
from district_ppm.schools.models import School
from district_ppm.tenancy.calendar import forget_district_calendar, get_district_calendar
from district_ppm.tenancy.models import District
from district_ppm.tenancy.principal import Principal
from district_ppm.transportation.jobs import recompute_time_loss_job
from district_ppm.transportation.models import BusRoute, BusRun, BusRunDirtyMonth

MAX_RUNS_PER_MUTATION = 5_000  # bigger batches go through the bulk import
MAX_GRACE_MINUTES = 120
MAX_RIDERS = 1_000


@dataclass(frozen=True, slots=True)
class BusRouteCreate:
    code: str
    school_id: uuid.UUID
    riders: int


@dataclass(frozen=True, slots=True)
class BusRunWrite:
    route_id: uuid.UUID
    service_date: date
    scheduled_arrival: time
    actual_arrival: time
    riders: int | None = None  # None: the route's riders


async def create_bus_route(
    *, session: AsyncSession, district_id: uuid.UUID, data: BusRouteCreate
) -> BusRoute:
    """A route serving one school. Codes are unique in the district (they key the import)."""
    code = data.code.strip()
    if not code:
        raise BadInput("code", "must not be empty")
    if len(code) > 50:
        raise BadInput("code", "must be at most 50 characters")
    if not 0 <= data.riders <= MAX_RIDERS:
        raise BadInput("riders", f"must be between 0 and {MAX_RIDERS}")
    if await session.get(School, (district_id, data.school_id)) is None:
        raise NotFound("schoolId", "no such school")
    if await session.scalar(
        select(BusRoute.id).where(BusRoute.district_id == district_id, BusRoute.code == code)
    ):
        raise Conflict("code", f"a route with code {code!r} exists in this district")
    route = BusRoute(
        id=uuid.uuid4(),
        district_id=district_id,
        code=code,
        school_id=data.school_id,
        riders=data.riders,
    )
    session.add(route)
    await session.flush()
    return route


async def list_bus_routes(
    *, session: AsyncSession, district_id: uuid.UUID, first: int | None, after: str | None
) -> Page[BusRoute]:
    stmt = select(BusRoute).where(BusRoute.district_id == district_id)
    return await keyset_page(
        session, stmt, order_by=[BusRoute.code, BusRoute.id], first=first, after=after
    )


def _validate_runs(runs: Sequence[BusRunWrite]) -> None:
    if not runs:
        raise BadInput("runs", "must contain at least one run")
    if len(runs) > MAX_RUNS_PER_MUTATION:
        raise BadInput(
            "runs", f"at most {MAX_RUNS_PER_MUTATION} runs per call; use the bulk import"
        )
    problems: list[BadInput] = []
    seen: dict[tuple[uuid.UUID, date], int] = {}
    for index, run in enumerate(runs):
        if run.riders is not None and not 0 <= run.riders <= MAX_RIDERS:
            problems.append(BadInput(f"runs.{index}.riders", f"must be between 0 and {MAX_RIDERS}"))
        key = (run.route_id, run.service_date)
        if key in seen:
            problems.append(
                BadInput(
                    f"runs.{index}.serviceDate",
                    f"route and service date repeat runs.{seen[key]}: a run is one arrival a day",
                )
            )
        seen.setdefault(key, index)
    if problems:
        raise BatchErrors(problems)


async def record_bus_runs(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    principal: Principal,
    runs: Sequence[BusRunWrite],
) -> int:
    """Write ``runs`` all or nothing; a run already on file for its route and day is replaced.

    Fields are named ``runs.<index>.<field>``. A SCHOOL_LEADER records only runs of routes
    serving its schools. Returns the number of runs written.
    """
    _validate_runs(runs)
    route_ids = {run.route_id for run in runs}
    routes = {
        route.id: route
        for route in await session.scalars(
            select(BusRoute).where(BusRoute.district_id == district_id, BusRoute.id.in_(route_ids))
        )
    }
    for index, run in enumerate(runs):
        route = routes.get(run.route_id)
        if route is None:
            raise NotFound(f"runs.{index}.routeId", "no such bus route")
        if not principal.may_act_for_school(route.school_id):
            raise Forbidden(f"runs.{index}: route {route.code} serves a school outside yours")
    rows = [
        {
            "district_id": district_id,
            "route_id": run.route_id,
            "service_date": run.service_date,
            "scheduled_arrival": run.scheduled_arrival,
            "actual_arrival": run.actual_arrival,
            "riders": routes[run.route_id].riders if run.riders is None else run.riders,
        }
        # Key order: batches racing on shared keys then lock them in one order (no deadlock).
        for run in sorted(runs, key=lambda run: (run.route_id, run.service_date))
    ]
    stmt = insert(BusRun).values(rows)
    changed = await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["district_id", "route_id", "service_date"],
            set_={
                "scheduled_arrival": stmt.excluded.scheduled_arrival,
                "actual_arrival": stmt.excluded.actual_arrival,
                "riders": stmt.excluded.riders,
            },
            # An identical re-send is not a change: nothing to recompute.
            where=func.row(
                BusRun.scheduled_arrival, BusRun.actual_arrival, BusRun.riders
            ).is_distinct_from(
                func.row(
                    stmt.excluded.scheduled_arrival,
                    stmt.excluded.actual_arrival,
                    stmt.excluded.riders,
                )
            ),
        ).returning(BusRun.route_id, BusRun.service_date)
    )
    await mark_changed(
        session=session,
        district_id=district_id,
        route_months={(route_id, day.replace(day=1)) for route_id, day in changed.all()},
    )
    return len(runs)


async def mark_changed(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    route_months: Iterable[tuple[uuid.UUID, date]],
) -> None:
    """Record which (route, month) roll-ups are stale and queue their recompute."""
    values = [
        {
            "district_id": district_id,
            "route_id": route_id,
            "first_month": month,
            "last_month": month,
        }
        for route_id, month in sorted(route_months)
    ]
    if not values:
        return
    # The mark's key carries this transaction's id (BusRunDirtyMonth.marked_by): a conflict
    # is only this transaction marking a month again, never another writer's mark.
    await session.execute(insert(BusRunDirtyMonth).values(values).on_conflict_do_nothing())
    await enqueue_job(
        session=session, district_id=district_id, actor_name=recompute_time_loss_job.name
    )


async def get_late_bus_grace(*, session: AsyncSession, district_id: uuid.UUID) -> int:
    calendar = await get_district_calendar(session=session, district_id=district_id)
    return calendar.late_bus_grace_minutes


async def set_late_bus_grace(*, session: AsyncSession, district_id: uuid.UUID, minutes: int) -> int:
    """Set the grace (a run is late when more than this many minutes late) and queue a full
    recompute, since every run's lateness may change."""
    if not 0 <= minutes <= MAX_GRACE_MINUTES:
        raise BadInput("minutes", f"must be between 0 and {MAX_GRACE_MINUTES}")
    await session.execute(
        update(District).where(District.id == district_id).values(late_bus_grace_minutes=minutes)
    )
    forget_district_calendar(session)
    await enqueue_job(
        session=session,
        district_id=district_id,
        actor_name=recompute_time_loss_job.name,
        payload={"full": True},
        dedupe_key="full",
    )
    return minutes
