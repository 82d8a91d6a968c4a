"""The measures service on real PostgreSQL: ensure_measure, computed values, history, outbox."""

from __future__ import annotations

import uuid
from datetime import date, time

import pytest
from sqlalchemy import func, select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.errors import BadInput, BatchErrors, Forbidden, NotFound
from district_ppm.jobs.models import OutboxMessage
from district_ppm.measures.models import (
    Direction,
    Frequency,
    MeasureDirtyMark,
    MeasureLevel,
    Measurement,
    MeasurementRevision,
    Source,
    Stage,
    Unit,
)
from district_ppm.measures.service import (
    ComputedValue,
    MeasurementValue,
    MeasureSpec,
    ensure_measure,
    record_computed_measurements,
    record_measurements,
)
from district_ppm.schools.models import SchoolLevel
from district_ppm.schools.service import SchoolCreate, create_school

LATE = MeasureSpec(
    code="TRN-LATE-INSTANCES",
    name="Late bus arrivals",
    unit=Unit.COUNT,
    direction=Direction.LOWER_IS_BETTER,
    stage=Stage.OUTPUT,
    frequency=Frequency.MONTHLY,
    level=MeasureLevel.SCHOOL,
)


async def _school(session, district_id, name="Lincoln"):
    school = await create_school(
        session=session,
        district_id=district_id,
        data=SchoolCreate(name, SchoolLevel.ELEMENTARY, time(8, 0)),
        today=date(2025, 9, 1),
    )
    return school.id


async def test_ensure_measure_creates_once_and_returns_the_same_id(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        first = await ensure_measure(session=session, district_id=district_id, spec=LATE)
        again = await ensure_measure(session=session, district_id=district_id, spec=LATE)
        await session.commit()
    assert first == again


async def test_computed_values_upsert_keep_history_and_queue_one_refresh(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        school_id = await _school(session, district_id)
        measure_id = await ensure_measure(session=session, district_id=district_id, spec=LATE)
        values = [
            ComputedValue(school_id, date(2025, 9, 1), 3.0),
            ComputedValue(school_id, date(2025, 10, 1), 5.0),
        ]
        written = await record_computed_measurements(
            session=session, district_id=district_id, measure_id=measure_id, values=values
        )
        await session.commit()
    assert written == 2

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await record_computed_measurements(
            session=session,
            district_id=district_id,
            measure_id=measure_id,
            values=[
                ComputedValue(school_id, date(2025, 10, 1), 6.0),
                ComputedValue(school_id, date(2025, 9, 1), 3.0),
            ],
        )
        await session.commit()

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = {m.period_start: m for m in await session.scalars(select(Measurement))}
        revisions = list(await session.scalars(select(MeasurementRevision)))
        jobs = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.actor_name == "refresh_measure_status")
            )
        )
        marks = list(await session.scalars(select(MeasureDirtyMark.measure_id)))
    assert {d: m.value for d, m in rows.items()} == {date(2025, 9, 1): 3.0, date(2025, 10, 1): 6.0}
    assert rows[date(2025, 10, 1)].source is Source.COMPUTED
    assert [(r.period_start, r.value) for r in revisions] == [(date(2025, 10, 1), 5.0)]
    assert [(job.payload, job.dedupe_key) for job in jobs] == [({}, "district")]
    assert marks == [measure_id, measure_id]  # one mark per writing transaction


async def test_same_values_again_change_nothing(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        school_id = await _school(session, district_id)
        measure_id = await ensure_measure(session=session, district_id=district_id, spec=LATE)
        await session.commit()
    batch = [MeasurementValue(date(2025, 9, 1), 4.0, school_id)]
    for _ in range(2):
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            await record_measurements(
                session=session,
                district_id=district_id,
                measure_id=measure_id,
                values=batch,
                recorded_by="t",
            )
            await session.commit()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        revisions = await session.scalar(select(func.count()).select_from(MeasurementRevision))
    assert revisions == 0


async def test_a_batch_with_bad_rows_names_each_and_writes_nothing(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        school_id = await _school(session, district_id)
        measure_id = await ensure_measure(session=session, district_id=district_id, spec=LATE)
        await session.commit()
    batch = [
        MeasurementValue(date(2025, 9, 1), 4.0, school_id),
        MeasurementValue(date(2025, 9, 2), 4.0, school_id),
        MeasurementValue(date(2025, 10, 1), 4.0, None),
        MeasurementValue(date(2025, 9, 1), 5.0, school_id),
    ]
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        with pytest.raises(BatchErrors) as caught:
            await record_measurements(
                session=session,
                district_id=district_id,
                measure_id=measure_id,
                values=batch,
                recorded_by="t",
            )
    assert [e.field for e in caught.value.errors] == [
        "values.1.periodStart",
        "values.2.schoolId",
        "values.3.periodStart",
    ]
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        assert await session.scalar(select(func.count()).select_from(Measurement)) == 0


async def test_unknown_school_is_not_found_and_foreign_school_is_forbidden(
    factory, app_sessionmaker
):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        school_id = await _school(session, district_id)
        measure_id = await ensure_measure(session=session, district_id=district_id, spec=LATE)
        with pytest.raises(NotFound) as missing:
            await record_measurements(
                session=session,
                district_id=district_id,
                measure_id=measure_id,
                values=[MeasurementValue(date(2025, 9, 1), 1.0, uuid.uuid4())],
                recorded_by="t",
            )
        with pytest.raises(Forbidden):
            await record_measurements(
                session=session,
                district_id=district_id,
                measure_id=measure_id,
                values=[MeasurementValue(date(2025, 9, 1), 1.0, school_id)],
                recorded_by="t",
                allowed_school_ids=frozenset({uuid.uuid4()}),
            )
    assert missing.value.field == "values.0.schoolId"


async def test_single_bad_row_raises_plain_bad_input(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        school_id = await _school(session, district_id)
        measure_id = await ensure_measure(session=session, district_id=district_id, spec=LATE)
        with pytest.raises(BadInput) as caught:
            await record_measurements(
                session=session,
                district_id=district_id,
                measure_id=measure_id,
                values=[MeasurementValue(date(2025, 9, 1), 1.0, school_id, denominator=0.0)],
                recorded_by="t",
            )
    assert not isinstance(caught.value, BatchErrors)
    assert caught.value.field == "values.0.denominator"
