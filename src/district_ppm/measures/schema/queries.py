"""Queries: measures, measure, scorecard, controlChart, schoolComparison, measurementHistory."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session
from district_ppm.api.permissions import ANY_ROLE
from district_ppm.api.selection import selected
from district_ppm.api.types import Connection, parse_id, parse_optional_id, to_connection
from district_ppm.measures import charts, comparison, history, scorecard, service
from district_ppm.measures.schema.hygiene import HygieneQueries
from district_ppm.measures.schema.logic import LogicModelQueries
from district_ppm.measures.schema.types import (
    ControlChart,
    Measure,
    MeasurementRevision,
    SchoolComparison,
    Scorecard,
    ScorecardView,
)

# The School fields that comparison.get_school_comparison reads only when asked to.
_SCHOOL_DETAILS = frozenset({"ncesId", "firstBell"})


@strawberry.type
class MeasureQueries(LogicModelQueries, HygieneQueries):
    @strawberry.field(permission_classes=[ANY_ROLE])
    async def measures(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Measure]:
        async with read_session(info) as session:
            page = await service.list_measures(
                session=session,
                district_id=principal_of(info).district_id,
                first=first,
                after=after,
            )
        return to_connection(page, Measure.from_model)

    @strawberry.field(permission_classes=[ANY_ROLE])
    async def measure(self, info: Info, id: strawberry.ID) -> Measure | None:
        measure_id = parse_id(id, "id")
        async with read_session(info) as session:
            found = await service.get_measure(
                session=session,
                district_id=principal_of(info).district_id,
                measure_id=measure_id,
            )
        return Measure.from_model(found) if found else None

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="Status and trend per measure of the view, as the workers last computed.",
    )
    async def scorecard(
        self,
        info: Info,
        view: ScorecardView,  # type: ignore[valid-type]
        school_year: int,
        school_id: strawberry.ID | None = None,
    ) -> Scorecard:
        school = parse_optional_id(school_id, "schoolId")
        async with read_session(info) as session:
            lines = await scorecard.get_scorecard(
                session=session,
                district_id=principal_of(info).district_id,
                view=view,
                school_year=school_year,
                school_id=school,
            )
        return Scorecard.of(view, school_year, lines)

    @strawberry.field(permission_classes=[ANY_ROLE])
    async def control_chart(
        self, info: Info, measure_id: strawberry.ID, school_id: strawberry.ID | None = None
    ) -> ControlChart:
        measure = parse_id(measure_id, "measureId")
        school = parse_optional_id(school_id, "schoolId")
        async with read_session(info) as session:
            result = await charts.get_control_chart(
                session=session,
                district_id=principal_of(info).district_id,
                measure_id=measure,
                school_id=school,
            )
        return ControlChart.from_result(result)

    @strawberry.field(permission_classes=[ANY_ROLE])
    async def school_comparison(
        self, info: Info, measure_id: strawberry.ID, period_start: date
    ) -> SchoolComparison:
        measure = parse_id(measure_id, "measureId")
        asked = selected(info, "rows")
        async with read_session(info) as session:
            lines = await comparison.get_school_comparison(
                session=session,
                district_id=principal_of(info).district_id,
                measure_id=measure,
                period_start=period_start,
                per_100_students="valuePer100Students" in asked,
                school_details=not _SCHOOL_DETAILS.isdisjoint(selected(info, "rows", "school")),
            )
        return SchoolComparison.of(lines)

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description=(
            "Every value ever accepted for one measurement key, oldest first; the current "
            "value is last and has no replacedAt. schoolId null is the district-wide key."
        ),
    )
    async def measurement_history(
        self,
        info: Info,
        measure_id: strawberry.ID,
        period_start: date,
        school_id: strawberry.ID | None = None,
    ) -> list[MeasurementRevision]:
        measure = parse_id(measure_id, "measureId")
        school = parse_optional_id(school_id, "schoolId")
        async with read_session(info) as session:
            entries = await history.get_measurement_history(
                session=session,
                district_id=principal_of(info).district_id,
                measure_id=measure,
                school_id=school,
                period_start=period_start,
            )
        return [MeasurementRevision.from_entry(e) for e in entries]
