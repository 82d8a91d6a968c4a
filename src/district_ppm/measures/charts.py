"""Control charts of a measure's series: fixed baseline, rebases, exclusions, annotations."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.xmr import (
    Assurance,
    ChartStatus,
    Limits,
    XmrChart,
    assurance,
    xmr_chart,
)
from district_ppm.errors import BadInput, NotFound
from district_ppm.measures.charts_models import Annotation, ChartExclusion, ChartRebase
from district_ppm.measures.jobs import enqueue_refresh
from district_ppm.measures.models import Direction, Measure, MeasureLevel, Target
from district_ppm.measures.periods import period_problem
from district_ppm.measures.series import Series, load_series
from district_ppm.school_calendar import school_year_of
from district_ppm.schools.models import School
from district_ppm.tenancy.calendar import get_district_calendar


@dataclass(frozen=True, slots=True)
class ChartPointLine:
    period_start: date
    value: float
    signals: tuple[int, ...]
    unfavorable: bool
    excluded_reason: str | None


@dataclass(frozen=True, slots=True)
class ControlChartResult:
    measure: Measure
    status: ChartStatus
    limits: Limits | None
    points: list[ChartPointLine]
    start_period: date | None
    rebase_reason: str | None
    annotations: list[Annotation]
    target: float | None
    assurance: Assurance | None


def draw_chart(
    series: Series,
    *,
    start_period: date | None,
    exclusions: Mapping[date, str],
    higher_is_better: bool,
) -> tuple[Series, XmrChart, list[ChartPointLine]]:
    """The chart of a series: from ``start_period`` (the newest rebase) on, excluded points
    shown but taking no part in the limits or the rules. Returns the charted series, the
    chart of its kept points, and every charted point with its signals."""
    if start_period is not None:
        series = [(p, v) for p, v in series if p >= start_period]
    kept = [(p, v) for p, v in series if p not in exclusions]
    chart = xmr_chart([v for _, v in kept], higher_is_better=higher_is_better)
    signals = {p: s for (p, _), s in zip(kept, chart.points, strict=True)}
    points = [
        ChartPointLine(
            period_start=p,
            value=v,
            signals=signals[p].signals if p in signals else (),
            unfavorable=signals[p].unfavorable if p in signals else False,
            excluded_reason=exclusions.get(p),
        )
        for p, v in series
    ]
    return series, chart, points


def _same_scope(column, school_id: uuid.UUID | None):  # type: ignore[no-untyped-def]
    return column.is_(None) if school_id is None else column == school_id


async def resolve_scope(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    school_id: uuid.UUID | None,
) -> Measure:
    """The measure, checked against the scope: a school only for SCHOOL-level measures."""
    measure = await session.get(Measure, (district_id, measure_id))
    if measure is None:
        raise NotFound("measureId", "no such measure")
    if school_id is not None:
        if measure.level is MeasureLevel.DISTRICT:
            raise BadInput("schoolId", "a DISTRICT-level measure has no school series")
        if await session.get(School, (district_id, school_id)) is None:
            raise NotFound("schoolId", "no such school")
    return measure


async def get_control_chart(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    school_id: uuid.UUID | None,
) -> ControlChartResult:
    """The XmR chart of a school's series, or the district-wide one without ``school_id``.

    The chart starts at the newest rebase (if any); excluded points are shown but take no
    part in the limits or the rules. Assurance compares the limits with the target of the
    latest point's school year (the school's own target first).
    """
    measure = await resolve_scope(
        session=session, district_id=district_id, measure_id=measure_id, school_id=school_id
    )
    series = (
        await load_series(
            session=session,
            district_id=district_id,
            measure=measure,
            school_id=school_id,
            per_school=False,
        )
    ).get(school_id if measure.level is MeasureLevel.SCHOOL else None, [])
    rebase = await session.scalar(
        select(ChartRebase)
        .where(
            ChartRebase.district_id == district_id,
            ChartRebase.measure_id == measure.id,
            _same_scope(ChartRebase.school_id, school_id),
        )
        .order_by(ChartRebase.created_at.desc(), ChartRebase.id)
        .limit(1)
    )
    exclusions = {
        e.period_start: e.reason
        for e in await session.scalars(
            select(ChartExclusion).where(
                ChartExclusion.district_id == district_id,
                ChartExclusion.measure_id == measure.id,
                _same_scope(ChartExclusion.school_id, school_id),
            )
        )
    }
    higher = measure.direction is Direction.HIGHER_IS_BETTER
    series, chart, points = draw_chart(
        series,
        start_period=rebase.start_period if rebase else None,
        exclusions=exclusions,
        higher_is_better=higher,
    )
    annotations = list(
        await session.scalars(
            select(Annotation)
            .where(
                Annotation.district_id == district_id,
                Annotation.measure_id == measure.id,
                or_(Annotation.school_id.is_(None), _same_scope(Annotation.school_id, school_id)),
            )
            .order_by(Annotation.occurred_on, Annotation.id)
        )
    )
    target = None
    if series:
        year = school_year_of(series[-1][0])
        found = {
            t.school_id: t.value
            for t in await session.scalars(
                select(Target).where(
                    Target.district_id == district_id,
                    Target.measure_id == measure.id,
                    Target.school_year == year,
                    or_(Target.school_id.is_(None), _same_scope(Target.school_id, school_id)),
                )
            )
        }
        target = found.get(school_id, found.get(None))
    reading = (
        assurance(target, chart.limits, higher_is_better=higher)
        if target is not None and chart.limits is not None
        else None
    )
    return ControlChartResult(
        measure=measure,
        status=chart.status,
        limits=chart.limits,
        points=points,
        start_period=rebase.start_period if rebase else None,
        rebase_reason=rebase.reason if rebase else None,
        annotations=annotations,
        target=target,
        assurance=reading,
    )


async def _check_period(
    session: AsyncSession, district_id: uuid.UUID, measure: Measure, period: date, field: str
) -> None:
    fy_month = (
        await get_district_calendar(session=session, district_id=district_id)
    ).fiscal_year_start_month
    why = period_problem(measure.frequency, period, fy_month)
    if why:
        raise BadInput(field, why)


def _reason(reason: str) -> str:
    """A note's text, trimmed; blank is BAD_INPUT naming ``text``, ChartNoteInput's field."""
    if not reason.strip():
        raise BadInput("text", "must not be empty")
    return reason.strip()


async def rebase_chart(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    school_id: uuid.UUID | None,
    start_period: date,
    reason: str,
    created_by: str,
) -> ChartRebase:
    """Restart a chart (and its baseline) from ``start_period``; the reason is kept."""
    measure = await resolve_scope(
        session=session, district_id=district_id, measure_id=measure_id, school_id=school_id
    )
    await _check_period(session, district_id, measure, start_period, "periodStart")
    rebase = ChartRebase(
        id=uuid.uuid4(),
        district_id=district_id,
        measure_id=measure.id,
        school_id=school_id,
        start_period=start_period,
        reason=_reason(reason),
        created_by=created_by,
    )
    session.add(rebase)
    await session.flush()
    await _refresh_after_note(session, district_id, measure.id)
    return rebase


async def exclude_point(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    school_id: uuid.UUID | None,
    period_start: date,
    reason: str,
    created_by: str,
) -> ChartExclusion:
    """Leave one point out of the limits and rules; excluding it again updates the reason."""
    measure = await resolve_scope(
        session=session, district_id=district_id, measure_id=measure_id, school_id=school_id
    )
    await _check_period(session, district_id, measure, period_start, "periodStart")
    existing = await session.scalar(
        select(ChartExclusion).where(
            ChartExclusion.district_id == district_id,
            ChartExclusion.measure_id == measure.id,
            _same_scope(ChartExclusion.school_id, school_id),
            ChartExclusion.period_start == period_start,
        )
    )
    if existing is not None:
        existing.reason, existing.created_by = _reason(reason), created_by
        await session.flush()
        await _refresh_after_note(session, district_id, measure.id)
        return existing
    exclusion = ChartExclusion(
        id=uuid.uuid4(),
        district_id=district_id,
        measure_id=measure.id,
        school_id=school_id,
        period_start=period_start,
        reason=_reason(reason),
        created_by=created_by,
    )
    session.add(exclusion)
    await session.flush()
    await _refresh_after_note(session, district_id, measure.id)
    return exclusion


async def _refresh_after_note(
    session: AsyncSession, district_id: uuid.UUID, measure_id: uuid.UUID
) -> None:
    """A rebase or an exclusion changes what the measure's charts say: its refresh is queued
    in the note's transaction, as a write of values queues it, so that what follows the
    refresh (the plans' verdicts, their history) sees the note without waiting for the
    night. (Reads never wait for it: a stored chart figure is checked against the notes.)"""
    await enqueue_refresh(session=session, district_id=district_id, measure_ids=[measure_id])


async def annotate(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_id: uuid.UUID,
    school_id: uuid.UUID | None,
    occurred_on: date,
    note: str,
    created_by: str,
) -> Annotation:
    """A dated note on a measure's series (district-wide, or one school's)."""
    measure = await resolve_scope(
        session=session, district_id=district_id, measure_id=measure_id, school_id=school_id
    )
    annotation = Annotation(
        id=uuid.uuid4(),
        district_id=district_id,
        measure_id=measure.id,
        school_id=school_id,
        occurred_on=occurred_on,
        text=_reason(note),
        created_by=created_by,
    )
    session.add(annotation)
    await session.flush()
    return annotation
