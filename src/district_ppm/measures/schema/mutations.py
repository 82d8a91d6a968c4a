"""Mutations: createMeasure, setTarget, recordMeasurements, and the chart's notes."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from district_ppm.api.context import unit_of_work
from district_ppm.api.permissions import MEASURE_EDITORS, MEASUREMENT_WRITERS
from district_ppm.api.types import WritePayload, parse_id, parse_optional_id
from district_ppm.measures import charts, service
from district_ppm.measures.schema.logic import LogicModelMutations
from district_ppm.measures.schema.types import (
    Aggregation,
    Annotation,
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Stage,
    Target,
    Unit,
)


@strawberry.input
class CreateMeasureInput:
    code: str
    name: str
    unit: Unit  # type: ignore[valid-type]
    direction: Direction  # type: ignore[valid-type]
    stage: Stage  # type: ignore[valid-type]
    frequency: Frequency  # type: ignore[valid-type]
    level: MeasureLevel  # type: ignore[valid-type]
    process_id: strawberry.ID | None = None
    definition: str | None = None
    aggregation: Aggregation | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description=(
            "SCHOOL-level only; default SUM for COUNT/HOURS/DOLLARS, else MEAN. RATIO shows "
            "the district's sum of numerators over its sum of denominators (x100 for PERCENT)."
        ),
    )
    owner: str | None = None
    data_source: str | None = None


@strawberry.type
class MeasurePayload:
    measure: Measure


@strawberry.input
class SetTargetInput:
    measure_id: strawberry.ID
    school_year: int
    value: float
    red_threshold: float
    school_id: strawberry.ID | None = None
    baseline: float | None = None


@strawberry.type
class TargetPayload:
    target: Target


@strawberry.input
class MeasurementInput:
    period_start: date
    value: float
    school_id: strawberry.ID | None = None
    numerator: float | None = None
    denominator: float | None = None


@strawberry.input
class RecordMeasurementsInput:
    measure_id: strawberry.ID
    values: list[MeasurementInput]


@strawberry.input
class ChartNoteInput:
    """A rebase (``periodStart`` = the new start), an exclusion, or an annotation."""

    measure_id: strawberry.ID
    period_start: date
    text: str
    school_id: strawberry.ID | None = None


@strawberry.type
class ChartNotePayload:
    measure_id: strawberry.ID
    period_start: date
    text: str


@strawberry.type
class AnnotationPayload:
    annotation: Annotation


@strawberry.type
class MeasureMutations(LogicModelMutations):
    @strawberry.mutation(permission_classes=[MEASURE_EDITORS])
    async def create_measure(self, info: Info, input: CreateMeasureInput) -> MeasurePayload:
        data = service.MeasureCreate(
            code=input.code,
            name=input.name,
            unit=input.unit,
            direction=input.direction,
            stage=input.stage,
            frequency=input.frequency,
            level=input.level,
            process_id=parse_optional_id(input.process_id, "input.processId"),
            definition=input.definition,
            aggregation=input.aggregation,
            owner=input.owner,
            data_source=input.data_source,
        )
        async with unit_of_work(info, "createMeasure") as uow:
            measure = await service.create_measure(
                session=uow.session, district_id=uow.district_id, data=data
            )
            uow.audit("measure", measure.id, code=measure.code)
        return MeasurePayload(measure=Measure.from_model(measure))

    @strawberry.mutation(permission_classes=[MEASURE_EDITORS])
    async def set_target(self, info: Info, input: SetTargetInput) -> TargetPayload:
        data = service.TargetSet(
            measure_id=parse_id(input.measure_id, "input.measureId"),
            school_id=parse_optional_id(input.school_id, "input.schoolId"),
            school_year=input.school_year,
            value=input.value,
            red_threshold=input.red_threshold,
            baseline=input.baseline,
        )
        async with unit_of_work(info, "setTarget") as uow:
            target = await service.set_target(
                session=uow.session, district_id=uow.district_id, data=data
            )
            uow.audit(
                "target",
                target.id,
                measureId=str(target.measure_id),
                schoolYear=target.school_year,
                value=target.value,
            )
        return TargetPayload(target=Target.from_model(target))

    @strawberry.mutation(
        permission_classes=[MEASUREMENT_WRITERS],
        description="All or nothing; rewriting a key replaces its value and keeps the old one.",
    )
    async def record_measurements(self, info: Info, input: RecordMeasurementsInput) -> WritePayload:
        measure_id = parse_id(input.measure_id, "input.measureId")
        values = [
            service.MeasurementValue(
                period_start=v.period_start,
                value=v.value,
                school_id=parse_optional_id(v.school_id, f"input.values.{i}.schoolId"),
                numerator=v.numerator,
                denominator=v.denominator,
            )
            for i, v in enumerate(input.values)
        ]
        async with unit_of_work(info, "recordMeasurements") as uow:
            principal = uow.principal
            written = await service.record_measurements(
                session=uow.session,
                district_id=uow.district_id,
                measure_id=measure_id,
                values=values,
                recorded_by=principal.actor,
                allowed_school_ids=principal.school_scope(),
            )
            uow.audit("measure", measure_id, written=written)
        return WritePayload(written=written)

    @strawberry.mutation(
        permission_classes=[MEASURE_EDITORS],
        description="Restart a control chart and its baseline from periodStart, saying why.",
    )
    async def rebase_control_chart(self, info: Info, input: ChartNoteInput) -> ChartNotePayload:
        measure_id = parse_id(input.measure_id, "input.measureId")
        school_id = parse_optional_id(input.school_id, "input.schoolId")
        async with unit_of_work(info, "rebaseControlChart") as uow:
            rebase = await charts.rebase_chart(
                session=uow.session,
                district_id=uow.district_id,
                measure_id=measure_id,
                school_id=school_id,
                start_period=input.period_start,
                reason=input.text,
                created_by=uow.principal.actor,
            )
            uow.audit(
                "measure", measure_id, startPeriod=str(rebase.start_period), reason=rebase.reason
            )
        return ChartNotePayload(
            measure_id=input.measure_id, period_start=rebase.start_period, text=rebase.reason
        )

    @strawberry.mutation(
        permission_classes=[MEASURE_EDITORS],
        description="Leave one point out of the chart's limits and rules, saying why.",
    )
    async def exclude_chart_point(self, info: Info, input: ChartNoteInput) -> ChartNotePayload:
        measure_id = parse_id(input.measure_id, "input.measureId")
        school_id = parse_optional_id(input.school_id, "input.schoolId")
        async with unit_of_work(info, "excludeChartPoint") as uow:
            exclusion = await charts.exclude_point(
                session=uow.session,
                district_id=uow.district_id,
                measure_id=measure_id,
                school_id=school_id,
                period_start=input.period_start,
                reason=input.text,
                created_by=uow.principal.actor,
            )
            uow.audit(
                "measure",
                measure_id,
                periodStart=str(exclusion.period_start),
                reason=exclusion.reason,
            )
        return ChartNotePayload(
            measure_id=input.measure_id, period_start=exclusion.period_start, text=exclusion.reason
        )

    @strawberry.mutation(
        permission_classes=[MEASURE_EDITORS],
        description="A dated note on a measure's series (periodStart is the note's date).",
    )
    async def annotate_measure(self, info: Info, input: ChartNoteInput) -> AnnotationPayload:
        measure_id = parse_id(input.measure_id, "input.measureId")
        school_id = parse_optional_id(input.school_id, "input.schoolId")
        async with unit_of_work(info, "annotateMeasure") as uow:
            note = await charts.annotate(
                session=uow.session,
                district_id=uow.district_id,
                measure_id=measure_id,
                school_id=school_id,
                occurred_on=input.period_start,
                note=input.text,
                created_by=uow.principal.actor,
            )
            uow.audit("measure", measure_id, annotation=str(note.id))
        return AnnotationPayload(
            annotation=Annotation(
                id=strawberry.ID(str(note.id)),
                occurred_on=note.occurred_on,
                text=note.text,
                school_id=input.school_id,
                created_by=note.created_by,
            )
        )
