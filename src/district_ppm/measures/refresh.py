"""The worker's job: recompute every status row of a measure (latest value, status, trend).

Rows are keyed by (measure, school or district-wide, school year); the refresh replaces a
measure's rows whole, so a retried or duplicated job leaves the same result.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.status import kpi_status
from district_ppm.analytics.trend import trend
from district_ppm.measures.models import Direction, Measure, MeasureStatus, Target
from district_ppm.measures.series import Series, load_series
from district_ppm.school_calendar import school_year_of

TargetKey = tuple[uuid.UUID | None, int]  # (school or None, school year)


def status_rows(
    *,
    series: dict[uuid.UUID | None, Series],
    targets: dict[TargetKey, tuple[float, float]],
    higher_is_better: bool,
) -> list[dict[str, Any]]:
    """One row per scope and school year with data or a target that applies to the scope."""
    district_target_years = {year for school, year in targets if school is None}
    rows = []
    for scope, points in series.items():
        years = {school_year_of(period) for period, _ in points} | district_target_years
        years |= {year for school, year in targets if school is not None and school == scope}
        for year in sorted(years):
            # By school year, not by the year's last day: that day does not exist for school
            # year 10000 (a DAILY value of 9999-12-31), nor the first day of year 1.
            upto = [(p, v) for p, v in points if school_year_of(p) <= year]
            in_year = [(p, v) for p, v in upto if school_year_of(p) == year]
            latest_period, latest_value = in_year[-1] if in_year else (None, None)
            target = targets.get((scope, year)) or targets.get((None, year))
            value, red = target if target else (None, None)
            rows.append(
                {
                    "school_id": scope,
                    "school_year": year,
                    "latest_period": latest_period,
                    "latest_value": latest_value,
                    "target": value,
                    "red_threshold": red,
                    "status": kpi_status(
                        latest_value, value, red, higher_is_better=higher_is_better
                    ).value,
                    "trend": trend([v for _, v in upto], higher_is_better=higher_is_better).value,
                }
            )
    return rows


async def refresh_measure(
    *, session: AsyncSession, district_id: uuid.UUID, measure: Measure, now: datetime
) -> int:
    series = await load_series(session=session, district_id=district_id, measure=measure)
    series.setdefault(None, [])
    target_rows = await session.execute(
        select(Target.school_id, Target.school_year, Target.value, Target.red_threshold).where(
            Target.district_id == district_id, Target.measure_id == measure.id
        )
    )
    targets = {(s, y): (v, r) for s, y, v, r in target_rows.all()}
    for school, _ in targets:
        series.setdefault(school, [])
    rows = status_rows(
        series=series,
        targets=targets,
        higher_is_better=measure.direction is Direction.HIGHER_IS_BETTER,
    )
    await session.execute(
        delete(MeasureStatus).where(
            MeasureStatus.district_id == district_id, MeasureStatus.measure_id == measure.id
        )
    )
    if rows:
        await session.execute(
            insert(MeasureStatus),
            [
                {
                    **row,
                    "id": uuid.uuid4(),
                    "district_id": district_id,
                    "measure_id": measure.id,
                    "computed_at": now,
                }
                for row in rows
            ],
        )
    return len(rows)


async def refresh_measure_status(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measure_ids: Sequence[uuid.UUID] | None = None,
) -> int:
    """Recompute the status rows of the given measures (all of the district's when None).

    Returns how many rows were written. A measure that no longer exists is skipped.
    """
    stmt = select(Measure).where(Measure.district_id == district_id).order_by(Measure.code)
    if measure_ids is not None:
        stmt = stmt.where(Measure.id.in_(measure_ids))
    # clock_timestamp, not now(): computedAt must move past writes committed while this
    # transaction was already open.
    now: datetime = (await session.execute(select(func.clock_timestamp()))).scalar_one()
    written = 0
    for measure in list(await session.scalars(stmt)):
        written += await refresh_measure(
            session=session, district_id=district_id, measure=measure, now=now
        )
    return written
