"""The demo district's measures: a living scorecard on the first query, seeded once."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import func, select

from district_ppm.analytics.status import Status
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.charts_models import Annotation
from district_ppm.measures.demo import seed_measures_demo
from district_ppm.measures.models import Measure, Measurement, ScorecardView
from district_ppm.measures.scorecard import get_scorecard
from district_ppm.schools.models import SchoolLevel
from district_ppm.schools.service import SchoolCreate, create_school

TODAY = date(2026, 3, 15)


async def test_demo_seeds_kpis_data_targets_and_annotations_once(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for index, level in enumerate([SchoolLevel.ELEMENTARY, SchoolLevel.MIDDLE]):
            await create_school(
                session=session,
                district_id=district_id,
                today=TODAY,
                data=SchoolCreate(f"S{index}", level, time(8), None, 400),
            )
        await seed_measures_demo(session=session, district_id=district_id, today=TODAY)
        await session.commit()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await seed_measures_demo(session=session, district_id=district_id, today=TODAY)
        measures = await session.scalar(select(func.count()).select_from(Measure))
        rows = await session.scalar(select(func.count()).select_from(Measurement))
        notes = await session.scalar(select(func.count()).select_from(Annotation))
        card = await get_scorecard(
            session=session,
            district_id=district_id,
            view=ScorecardView.DASHBOARD,
            school_year=2026,
            school_id=None,
        )
        await session.commit()

    assert measures == 40
    assert notes == 2
    # 2 schools x 44 months (Jul 2022 .. Feb 2026) for a monthly SCHOOL-level KPI, among others
    assert rows is not None and rows > 40 * 36
    statuses = {line.status for line in card}
    assert statuses & {Status.GREEN, Status.AMBER, Status.RED}
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        assert await session.scalar(select(func.count()).select_from(Measurement)) == rows
