"""GraphQL object types of the measures area."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from district_ppm.analytics import status as status_math
from district_ppm.analytics import trend as trend_math
from district_ppm.analytics import xmr
from district_ppm.api.plain_completion import PLAIN_READ
from district_ppm.measures import charts, comparison, history, models, scorecard
from district_ppm.measures.rows import MeasureFields
from district_ppm.schools.schema import School

Unit = strawberry.enum(models.Unit)
Direction = strawberry.enum(models.Direction)
Stage = strawberry.enum(models.Stage)
ScorecardView = strawberry.enum(models.ScorecardView)
Frequency = strawberry.enum(models.Frequency)
MeasureLevel = strawberry.enum(models.MeasureLevel)
Aggregation = strawberry.enum(models.Aggregation)
Status = strawberry.enum(status_math.Status)
Trend = strawberry.enum(trend_math.Trend)
ChartStatus = strawberry.enum(xmr.ChartStatus)
Assurance = strawberry.enum(xmr.Assurance)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: object | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def _view(measure: MeasureFields | Measure) -> models.ScorecardView:
    return models.view_of(measure.stage)


def _resolve_view(root: Measure) -> ScorecardView:  # type: ignore[valid-type]
    return _view(root)


@strawberry.type
class Measure:
    """Also read by name from any ``MeasureFields`` (a scorecard line's measure is a row
    of ``MEASURE_COLUMNS``): a test checks every field without a resolver is a column."""

    id: strawberry.ID
    code: str
    name: str
    unit: Unit  # type: ignore[valid-type]
    direction: Direction  # type: ignore[valid-type]
    stage: Stage  # type: ignore[valid-type]
    view: ScorecardView = strawberry.field(  # type: ignore[valid-type]
        resolver=_resolve_view, metadata={PLAIN_READ: _view}
    )
    frequency: Frequency  # type: ignore[valid-type]
    level: MeasureLevel  # type: ignore[valid-type]
    process_id: strawberry.ID | None
    definition: str | None
    aggregation: Aggregation  # type: ignore[valid-type]
    owner: str | None
    data_source: str | None

    @classmethod
    def from_model(cls, m: MeasureFields) -> Measure:
        return cls(
            id=_id(m.id),
            code=m.code,
            name=m.name,
            unit=m.unit,
            direction=m.direction,
            stage=m.stage,
            frequency=m.frequency,
            level=m.level,
            process_id=_optional_id(m.process_id),
            definition=m.definition,
            aggregation=m.aggregation,
            owner=m.owner,
            data_source=m.data_source,
        )


@strawberry.type
class Target:
    measure_id: strawberry.ID
    school_id: strawberry.ID | None
    school_year: int
    value: float
    red_threshold: float
    baseline: float | None

    @classmethod
    def from_model(cls, t: models.Target) -> Target:
        return cls(
            measure_id=_id(t.measure_id),
            school_id=_optional_id(t.school_id),
            school_year=t.school_year,
            value=t.value,
            red_threshold=t.red_threshold,
            baseline=t.baseline,
        )


def _own_measure(line: scorecard.ScorecardLine) -> scorecard.ScorecardLine:
    return line  # a line has its measure's fields (scorecard.ScorecardLine)


def _resolve_own_measure(root: ScorecardRow) -> Measure:
    return _own_measure(root)  # type: ignore[arg-type, return-value]  # a line, served as is


@strawberry.type
class ScorecardRow:
    """Read by name from the service's ``scorecard.ScorecardLine`` (as ``ComparisonRow``
    from a comparison line): ``Scorecard.of`` serves the lines themselves, each its own
    ``measure``."""

    measure: Measure = strawberry.field(
        resolver=_resolve_own_measure, metadata={PLAIN_READ: _own_measure}
    )
    school_id: strawberry.ID | None
    latest_period: date | None
    latest_value: float | None
    target: float | None
    status: Status  # type: ignore[valid-type]
    trend: Trend  # type: ignore[valid-type]
    computed_at: datetime | None = strawberry.field(
        description=(
            "When the worker last computed this row: after each write to its measure, or at a "
            "nightly recompute that changed it; null until it has."
        )
    )


@strawberry.type
class Scorecard:
    view: ScorecardView  # type: ignore[valid-type]
    school_year: int
    rows: list[ScorecardRow]

    @classmethod
    def of(
        cls, view: models.ScorecardView, school_year: int, lines: list[scorecard.ScorecardLine]
    ) -> Scorecard:
        return cls(view=view, school_year=school_year, rows=lines)  # type: ignore[arg-type]  # read by name


@strawberry.type(
    description="One value accepted for a measurement key; the current one has no replacedAt."
)
class MeasurementRevision:
    value: float
    numerator: float | None
    denominator: float | None
    source: str
    recorded_by: str
    recorded_at: datetime
    replaced_at: datetime | None

    @classmethod
    def from_entry(cls, entry: history.HistoryEntry) -> MeasurementRevision:
        return cls(
            value=entry.value,
            numerator=entry.numerator,
            denominator=entry.denominator,
            source=entry.source,
            recorded_by=entry.recorded_by,
            recorded_at=entry.recorded_at,
            replaced_at=entry.replaced_at,
        )


@strawberry.type
class ChartPoint:
    period_start: date
    value: float
    signals: list[int] = strawberry.field(
        description="The Western Electric rules this point carries, each checked against the "
        "chart's baseline limits (CL, sigma = average moving range / 1.128): "
        "1 = the point is beyond 3 sigma (outside the limits); "
        "2 = two of the last three points are beyond 2 sigma on the same side, this one too; "
        "3 = four of the last five points are beyond 1 sigma on the same side, this one too; "
        "4 = the last eight points are all on the same side of the centre line. "
        "Empty when none; excluded points carry none."
    )
    unfavorable: bool = strawberry.field(
        description="The point has a signal and lies on the bad side of the centre line for "
        "the measure's direction."
    )
    excluded: bool
    exclusion_reason: str | None


@strawberry.type
class Annotation:
    id: strawberry.ID
    occurred_on: date
    text: str
    school_id: strawberry.ID | None
    created_by: str


@strawberry.type
class ControlChart:
    status: ChartStatus  # type: ignore[valid-type]
    center_line: float | None
    upper_limit: float | None
    lower_limit: float | None
    points: list[ChartPoint]
    starts_at: date | None = strawberry.field(description="The rebase period, if any.")
    rebase_reason: str | None
    annotations: list[Annotation]
    target: float | None
    assurance: Assurance | None  # type: ignore[valid-type]

    @classmethod
    def from_result(cls, r: charts.ControlChartResult) -> ControlChart:
        center, upper, lower = r.limits.served() if r.limits else (None, None, None)
        return cls(
            status=r.status,
            center_line=center,
            upper_limit=upper,
            lower_limit=lower,
            points=[
                ChartPoint(
                    period_start=p.period_start,
                    value=p.value,
                    signals=list(p.signals),
                    unfavorable=p.unfavorable,
                    excluded=p.excluded_reason is not None,
                    exclusion_reason=p.excluded_reason,
                )
                for p in r.points
            ],
            starts_at=r.start_period,
            rebase_reason=r.rebase_reason,
            annotations=[
                Annotation(
                    id=_id(a.id),
                    occurred_on=a.occurred_on,
                    text=a.text,
                    school_id=_optional_id(a.school_id),
                    created_by=a.created_by,
                )
                for a in r.annotations
            ],
            target=r.target,
            assurance=r.assurance,
        )


@strawberry.type
class ComparisonRow:
    """Read by name from the service's ``comparison.ComparisonLine`` (and ``school`` from
    its ``ComparedSchool``): ``SchoolComparison.of`` serves the lines themselves, as
    Strawberry reads a field by its Python name from whatever object it is given. Building
    a ComparisonRow and a School per line cost a fifth of a 200-row comparison. A test
    checks that every field here is a field of the line."""

    school: School
    value: float
    value_per_100_students: float | None
    rank: int
    percentile: float
    peer_median: float
    gap_to_best: float


@strawberry.type
class SchoolComparison:
    rows: list[ComparisonRow]

    @classmethod
    def of(cls, lines: list[comparison.ComparisonLine]) -> SchoolComparison:
        return cls(rows=lines)  # type: ignore[arg-type]  # read by name (ComparisonRow)
