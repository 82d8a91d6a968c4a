"""The district's calendar is read once per session, and read again after a write to it."""

from __future__ import annotations

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.tenancy.calendar import district_today, get_district_calendar
from district_ppm.transportation.service import set_late_bus_grace
from tests.support.measures import count_engine_statements, queries


async def test_the_calendar_is_read_once_per_session_and_again_after_a_write(
    factory, app_sessionmaker
):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        with count_engine_statements(app_sessionmaker.kw["bind"]) as statements:
            first = await get_district_calendar(session=session, district_id=district_id)
            await district_today(session=session, district_id=district_id)
            again = await get_district_calendar(session=session, district_id=district_id)
        assert again is first
        assert len(queries(statements)) == 1

        await set_late_bus_grace(
            session=session, district_id=district_id, minutes=first.late_bus_grace_minutes + 7
        )
        after = await get_district_calendar(session=session, district_id=district_id)
        assert after.late_bus_grace_minutes == first.late_bus_grace_minutes + 7
        await session.rollback()
