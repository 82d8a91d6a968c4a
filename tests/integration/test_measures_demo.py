"""The demo district's measures on their own: KPIs with owners, data, targets, notes, logic
models and customer requirements, seeded once."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.demo import DEMO_SCHOOLS, DemoStory
from district_ppm.measures.charts_models import Annotation
from district_ppm.measures.demo import seed_measures_demo
from district_ppm.measures.demo_profiles import PROFILES
from district_ppm.measures.logic_models import CustomerRequirement, LogicModel
from district_ppm.measures.models import Measure, Measurement, Target
from district_ppm.schools.models import School
from district_ppm.schools.service import create_school

TODAY = date(2026, 3, 15)


async def counts(session) -> dict[str, int]:
    return {
        model.__tablename__: await session.scalar(select(func.count()).select_from(model))
        for model in (Measure, Measurement, Target, Annotation, LogicModel, CustomerRequirement)
    }


async def test_demo_seeds_kpis_data_targets_and_notes_once(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    story = DemoStory(TODAY)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for data in (DEMO_SCHOOLS[0], DEMO_SCHOOLS[-1]):  # Lincoln Elementary, Central High
            await create_school(session=session, district_id=district_id, data=data, today=TODAY)
        schools = list(await session.scalars(select(School).order_by(School.name)))
        await seed_measures_demo(
            session=session, district_id=district_id, story=story, schools=schools
        )
        first = await counts(session)
        owners = set(await session.scalars(select(Measure.owner)))
        await session.commit()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await seed_measures_demo(
            session=session, district_id=district_id, story=story, schools=schools
        )
        second = await counts(session)

    assert first == second  # the second call adds nothing
    assert first["measures"] == 40 == len(PROFILES)
    assert None not in owners
    assert first["logic_models"] == 2 and first["customer_requirements"] == 2
    # Notes: the menu, share tables, breakfast, tutoring, outreach (4 schools and Lincoln's
    # pilot) and the food-cost jump.
    assert first["measure_annotations"] == 10
    # Every KPI but the five the bus runs feed has data and this year's and last year's targets
    computed = sum(1 for p in PROFILES.values() if p.computed)
    assert first["measure_targets"] >= 2 * (40 - computed)
    assert first["measurements"] > 1_500


async def seeded_values(factory: Any, app_sessionmaker: Any) -> list[tuple[Any, ...]]:
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for data in (DEMO_SCHOOLS[0], DEMO_SCHOOLS[3]):  # Lincoln Elementary, Jefferson Middle
            await create_school(session=session, district_id=district_id, data=data, today=TODAY)
        schools = list(await session.scalars(select(School).order_by(School.name)))
        await seed_measures_demo(
            session=session, district_id=district_id, story=DemoStory(TODAY), schools=schools
        )
        rows = await session.execute(
            select(
                Measure.code,
                School.name,
                Measurement.period_start,
                Measurement.value,
                Measurement.numerator,
                Measurement.denominator,
            )
            .join(Measure, Measure.id == Measurement.measure_id)
            .outerjoin(School, School.id == Measurement.school_id)
        )
        return sorted(tuple(row) for row in rows)


async def test_two_districts_seeded_on_the_same_day_get_the_same_values(factory, app_sessionmaker):
    first = await seeded_values(factory, app_sessionmaker)
    second = await seeded_values(factory, app_sessionmaker)

    assert first == second and len(first) > 1_000
