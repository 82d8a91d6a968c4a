"""GraphQL: bus routes, bus runs, the late-bus grace and instructionalTimeLost."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ADMIN, ANY_ROLE, MEASUREMENT_WRITERS
from district_ppm.api.types import Connection, WritePayload, parse_id, to_connection
from district_ppm.transportation import models, service, timeloss


@strawberry.enum
class TimeLossGrouping(enum.Enum):
    SCHOOL = "SCHOOL"
    ROUTE = "ROUTE"
    MONTH = "MONTH"


@strawberry.type
class BusRoute:
    id: strawberry.ID
    code: str
    school_id: strawberry.ID
    riders: int

    @classmethod
    def from_model(cls, route: models.BusRoute) -> BusRoute:
        return cls(
            id=strawberry.ID(str(route.id)),
            code=route.code,
            school_id=strawberry.ID(str(route.school_id)),
            riders=route.riders,
        )


@strawberry.input
class CreateBusRouteInput:
    code: str
    school_id: strawberry.ID
    riders: int


@strawberry.type
class BusRoutePayload:
    bus_route: BusRoute


@strawberry.input
class BusRunInput:
    route_id: strawberry.ID
    service_date: date
    scheduled_arrival: time
    actual_arrival: time
    riders: int | None = strawberry.field(
        default=None, description="Riders on board; the route's riders when omitted."
    )


@strawberry.input
class RecordBusRunsInput:
    runs: list[BusRunInput]


@strawberry.type
class TimeLossRow:
    key: str = strawberry.field(
        description="The school's or route's id (SCHOOL, ROUTE), or the month as YYYY-MM (MONTH)."
    )
    label: str = strawberry.field(
        description="What a person reads: the school's name (SCHOOL), the route's code (ROUTE), "
        "or the month as YYYY-MM (MONTH)."
    )
    late_instances: int
    late_minutes: int
    average_late_minutes: float
    instructional_hours_lost: Decimal
    student_instructional_hours_lost: Decimal


@strawberry.type
class TimeLossTotals:
    late_instances: int
    late_minutes: int
    instructional_hours_lost: Decimal
    student_instructional_hours_lost: Decimal


@strawberry.type
class TimeLossReport:
    computed_at: datetime | None
    late_bus_grace_minutes: int | None = strawberry.field(
        description="The grace these numbers were computed with: a run is late when more than "
        "this many minutes late. Null before the first computation."
    )
    rows: list[TimeLossRow]
    total: TimeLossTotals

    @classmethod
    def from_report(cls, report: timeloss.TimeLossReport) -> TimeLossReport:
        total = report.total
        return cls(
            computed_at=report.computed_at,
            late_bus_grace_minutes=report.grace_minutes,
            rows=[
                TimeLossRow(
                    key=row.key,
                    label=row.label,
                    late_instances=row.late_instances,
                    late_minutes=row.late_minutes,
                    average_late_minutes=row.average_late_minutes,
                    instructional_hours_lost=row.instructional_hours_lost,
                    student_instructional_hours_lost=row.student_instructional_hours_lost,
                )
                for row in report.rows
            ],
            total=TimeLossTotals(
                late_instances=total.late_instances,
                late_minutes=total.late_minutes,
                instructional_hours_lost=total.instructional_hours_lost,
                student_instructional_hours_lost=total.student_instructional_hours_lost,
            ),
        )


@strawberry.type
class LateBusGracePayload:
    late_bus_grace_minutes: int


@strawberry.type
class TransportationQueries:
    @strawberry.field(permission_classes=[ANY_ROLE])
    async def instructional_time_lost(
        self, info: Info, school_year: int, group_by: TimeLossGrouping
    ) -> TimeLossReport:
        async with read_session(info) as session:
            report = await timeloss.time_loss_report(
                session=session,
                district_id=principal_of(info).district_id,
                school_year=school_year,
                grouping=group_by.value,
            )
        return TimeLossReport.from_report(report)

    @strawberry.field(permission_classes=[ANY_ROLE])
    async def bus_routes(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[BusRoute]:
        async with read_session(info) as session:
            page = await service.list_bus_routes(
                session=session,
                district_id=principal_of(info).district_id,
                first=first,
                after=after,
            )
        return to_connection(page, BusRoute.from_model)


@strawberry.type
class TransportationMutations:
    @strawberry.mutation(
        permission_classes=[ADMIN],
        description="Routes are the district's structure, like its schools: a DISTRICT_ADMIN "
        "maintains them (a PROCESS_OWNER records measurements and edits measures and targets, "
        "docs/domain.md 'Roles', and may record runs).",
    )
    async def create_bus_route(self, info: Info, input: CreateBusRouteInput) -> BusRoutePayload:
        data = service.BusRouteCreate(
            code=input.code,
            school_id=parse_id(input.school_id, "input.schoolId"),
            riders=input.riders,
        )
        async with unit_of_work(info, "createBusRoute") as uow:
            route = await service.create_bus_route(
                session=uow.session, district_id=uow.district_id, data=data
            )
            uow.audit("bus_route", route.id, code=route.code, schoolId=str(route.school_id))
        return BusRoutePayload(bus_route=BusRoute.from_model(route))

    @strawberry.mutation(
        permission_classes=[MEASUREMENT_WRITERS],
        description="Runs are measurement data: recorded by whoever records measurements; a "
        "SCHOOL_LEADER only for routes serving its schools. All or nothing.",
    )
    async def record_bus_runs(self, info: Info, input: RecordBusRunsInput) -> WritePayload:
        runs = [
            service.BusRunWrite(
                route_id=parse_id(run.route_id, f"input.runs.{index}.routeId"),
                service_date=run.service_date,
                scheduled_arrival=run.scheduled_arrival,
                actual_arrival=run.actual_arrival,
                riders=run.riders,
            )
            for index, run in enumerate(input.runs)
        ]
        async with unit_of_work(info, "recordBusRuns") as uow:
            written = await service.record_bus_runs(
                session=uow.session,
                district_id=uow.district_id,
                principal=uow.principal,
                runs=runs,
            )
            uow.audit("bus_run", None, written=written)
        return WritePayload(written=written)

    @strawberry.mutation(permission_classes=[ADMIN])
    async def set_late_bus_grace_minutes(self, info: Info, minutes: int) -> LateBusGracePayload:
        async with unit_of_work(info, "setLateBusGraceMinutes", input_name=None) as uow:
            grace = await service.set_late_bus_grace(
                session=uow.session, district_id=uow.district_id, minutes=minutes
            )
            uow.audit("district", uow.district_id, lateBusGraceMinutes=grace)
        return LateBusGracePayload(late_bus_grace_minutes=grace)
