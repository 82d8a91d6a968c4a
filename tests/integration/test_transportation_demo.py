"""The demo's buses tell the APQC story: late arrivals drop after the January routing change."""

from __future__ import annotations

from datetime import date, time

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.transportation.demo import seed_transportation_demo
from tests.integration.transportation_helpers import add_school, report


async def test_late_arrivals_fall_after_the_routing_change(factory, app_sessionmaker):
    district_id, _ = await factory.district(late_bus_grace_minutes=2)
    await add_school(app_sessionmaker, district_id, "Lincoln", time(7, 50))
    await add_school(app_sessionmaker, district_id, "Central", time(8, 30))

    for _ in range(2):  # the second call finds the routes and adds nothing
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            written = await seed_transportation_demo(
                session=session, district_id=district_id, today=date(2026, 11, 21)
            )
            await session.commit()
        if _ == 0:
            assert written == 2 * 3 * 175

    months = {
        row.key: row for row in (await report(app_sessionmaker, district_id, 2026, "MONTH")).rows
    }
    before = [months[key] for key in ("2025-09", "2025-10", "2025-11")]
    after = [months[key] for key in ("2026-02", "2026-03", "2026-04")]
    assert min(row.late_instances for row in before) > 2 * max(row.late_instances for row in after)
    assert min(row.average_late_minutes for row in before) > max(
        row.average_late_minutes for row in after
    )
    assert written == 0
