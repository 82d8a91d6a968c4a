"""Data-entry reminders: hand-computed due and overdue lists for monthly, weekly, quarterly and
fiscal-year measures on either side of a period boundary, and who is reminded of what."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.jobs import refresh_measure_status_job
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.jobs import HandRun, marked_measures, run_refresh_job, stored_period_counts
from tests.support.management import REMINDERS, add_member, assign, create_process
from tests.support.measures import (
    count_statements,
    create_measure,
    create_school,
    queries,
    record,
)


async def reminders(gql, token, as_of):
    result = await gql(REMINDERS, {"asOf": as_of}, token=token)
    assert "errors" not in result, result
    return result["data"]["dataEntryReminders"]


def owed(answer):
    """(owner key, measure code, school name, period, overdue) of every item, as listed."""
    return [
        (i["ownerKey"], i["measureCode"], i["schoolName"], i["periodStart"], i["overdue"])
        for i in answer["items"]
    ]


def mondays(first: date, last: date, skip: set[date]) -> list[date]:
    days, day = [], first
    while day <= last:
        if day not in skip:
            days.append(day)
        day += timedelta(days=7)
    return days


async def test_monthly_due_and_overdue_either_side_of_a_month_end(gql, factory):
    district_id, token = await factory.district()
    rita, _ = await add_member(factory, district_id, "rita@example.org", name="Rita Ruiz")
    measure = await create_measure(gql, token, code="MM-1", level="DISTRICT")
    await assign(gql, token, "RESPONSIBLE", userId=rita, measureId=measure)
    # Every month from Nov 2023 to Oct 2024 but Feb and Sep 2024 (Oct entered early).
    periods = [f"2023-{m:02d}-01" for m in (11, 12)] + [
        f"2024-{m:02d}-01" for m in (1, 3, 4, 5, 6, 7, 8, 10)
    ]
    values = [{"periodStart": p, "value": 1.0} for p in periods]
    assert "errors" not in await record(gql, token, measure, values)

    october = await reminders(gql, token, "2024-10-31")
    november = await reminders(gql, token, "2024-11-01")

    key = f"user:{rita}"
    # As of Oct 31: the last complete month is September (due); the trailing year starts in
    # October 2023, whose value is missing too.
    assert owed(october) == [
        (key, "MM-1", None, "2023-10-01", True),
        (key, "MM-1", None, "2024-02-01", True),
        (key, "MM-1", None, "2024-09-01", False),
    ]
    assert october["owners"] == [
        {
            "key": key,
            "userId": rita,
            "name": "Rita Ruiz",
            "email": "rita@example.org",
            "due": 1,
            "overdue": 2,
        }
    ]
    # As of Nov 1: October is the last complete month and has its value; September is now
    # overdue; October 2023 has left the trailing year.
    assert owed(november) == [
        (key, "MM-1", None, "2024-02-01", True),
        (key, "MM-1", None, "2024-09-01", True),
    ]
    assert (november["owners"][0]["due"], november["owners"][0]["overdue"]) == (0, 2)
    assert (october["asOf"], november["asOf"]) == ("2024-10-31", "2024-11-01")


async def test_weekly_due_and_overdue_either_side_of_a_monday(gql, factory):
    district_id, token = await factory.district()
    alan, _ = await add_member(factory, district_id, "alan@example.org", name="Alan Ames")
    process = await create_process(gql, token, "7")
    measure = await create_measure(
        gql, token, code="WW-1", level="DISTRICT", frequency="WEEKLY", processId=process
    )
    # Nobody is assigned to the measure: its process's ACCOUNTABLE person is reminded.
    await assign(gql, token, "ACCOUNTABLE", userId=alan, processId=process)
    skipped = {date(2024, 3, 4), date(2024, 9, 23)}
    weeks = mondays(date(2023, 10, 9), date(2024, 9, 30), skipped)  # not 2023-10-02 either
    values = [{"periodStart": d.isoformat(), "value": 2.0} for d in weeks]
    assert "errors" not in await record(gql, token, measure, values)

    sunday = await reminders(gql, token, "2024-10-06")
    monday = await reminders(gql, token, "2024-10-07")

    key = f"user:{alan}"
    # Sunday Oct 6: the week of Sep 30 is still running; the week of Sep 23 is due. The
    # trailing year starts with the week containing Friday Oct 6, 2023: Monday Oct 2.
    assert owed(sunday) == [
        (key, "WW-1", None, "2023-10-02", True),
        (key, "WW-1", None, "2024-03-04", True),
        (key, "WW-1", None, "2024-09-23", False),
    ]
    # Monday Oct 7: the week of Sep 30 is complete and has its value; Sep 23 is overdue.
    assert owed(monday) == [
        (key, "WW-1", None, "2023-10-02", True),
        (key, "WW-1", None, "2024-03-04", True),
        (key, "WW-1", None, "2024-09-23", True),
    ]
    assert [o["name"] for o in monday["owners"]] == ["Alan Ames"]


async def test_quarterly_school_measures_are_owed_by_each_school(gql, factory):
    _, token = await factory.district()
    alder = await create_school(gql, token, "Alder Elementary")
    birch = await create_school(gql, token, "Birch Middle", "MIDDLE")
    measure = await create_measure(
        gql, token, code="QQ-1", frequency="QUARTERLY", owner="Facilities office"
    )
    values = [
        *(
            {"schoolId": alder, "periodStart": p, "value": 3.0}
            for p in ("2023-07-01", "2023-10-01", "2024-01-01", "2024-04-01")
        ),
        *(
            {"schoolId": birch, "periodStart": p, "value": 4.0}
            for p in ("2023-10-01", "2024-04-01", "2024-07-01")
        ),
    ]
    assert "errors" not in await record(gql, token, measure, values)

    september = await reminders(gql, token, "2024-09-30")
    october = await reminders(gql, token, "2024-10-01")

    key = "owner:Facilities office"
    # Sep 30: the last complete quarter began Apr 1 (both schools have it); the trailing year
    # goes back to the quarter containing Sep 30, 2023 (Jul 1).
    assert owed(september) == [
        (key, "QQ-1", "Birch Middle", "2023-07-01", True),
        (key, "QQ-1", "Birch Middle", "2024-01-01", True),
    ]
    # Oct 1: the quarter of Jul 1 is complete: due from Alder; Birch entered it. The quarter
    # of Jul 2023 has left the trailing year.
    assert owed(october) == [
        (key, "QQ-1", "Alder Elementary", "2024-07-01", False),
        (key, "QQ-1", "Birch Middle", "2024-01-01", True),
    ]
    assert [i["schoolId"] for i in october["items"]] == [alder, birch]
    assert october["owners"] == [
        {
            "key": key,
            "userId": None,
            "name": "Facilities office",
            "email": None,
            "due": 1,
            "overdue": 1,
        }
    ]


async def test_fiscal_year_measures_follow_the_districts_fiscal_year(gql, factory):
    _, token = await factory.district(fiscal_year_start_month=10)
    measure = await create_measure(
        gql, token, code="FY-1", level="DISTRICT", frequency="FISCAL_YEAR", owner="Finance"
    )
    assert "errors" not in await record(
        gql, token, measure, [{"periodStart": "2022-10-01", "value": 5.0}]
    )

    before = await reminders(gql, token, "2024-09-30")
    after = await reminders(gql, token, "2024-10-01")

    # FY2024 runs Oct 2023 - Sep 2024: complete from Oct 1, 2024.
    assert owed(before) == []
    assert before["owners"] == []
    assert owed(after) == [("owner:Finance", "FY-1", None, "2023-10-01", False)]


async def test_each_measure_reminds_its_owners_by_precedence(gql, factory):
    district_id, token = await factory.district()
    rita, _ = await add_member(factory, district_id, "rita@example.org", name="Rita Ruiz")
    alan, _ = await add_member(factory, district_id, "alan@example.org", name="Alan Ames")
    bea, _ = await add_member(factory, district_id, "bea.baker@example.org", name="bea Baker")
    owned_process = await create_process(gql, token, "1")
    other_process = await create_process(gql, token, "2")
    await assign(gql, token, "ACCOUNTABLE", userId=bea, processId=owned_process)
    await assign(gql, token, "RESPONSIBLE", userId=rita, processId=other_process)

    async def measure(code, **fields):
        return await create_measure(
            gql, token, code=code, level="DISTRICT", frequency="SCHOOL_YEAR", **fields
        )

    a = await measure("A")  # RESPONSIBLE Rita before ACCOUNTABLE Alan
    await assign(gql, token, "RESPONSIBLE", userId=rita, measureId=a)
    await assign(gql, token, "ACCOUNTABLE", userId=alan, measureId=a)
    b = await measure("B", owner="Ops")  # ACCOUNTABLE Alan before the owner text
    await assign(gql, token, "ACCOUNTABLE", userId=alan, measureId=b)
    await assign(gql, token, "CONSULTED", userId=rita, measureId=b)
    await measure("C", owner="Ops", processId=owned_process)  # its process's ACCOUNTABLE Bea
    await measure("D", owner="Ops", processId=other_process)  # the process has no ACCOUNTABLE
    await measure("E")  # nobody at all: not reminded
    f = await measure("F")  # two RESPONSIBLE people: both
    await assign(gql, token, "RESPONSIBLE", userId=rita, measureId=f)
    await assign(gql, token, "RESPONSIBLE", email="alan@example.org", measureId=f)
    g = await measure("G")  # INFORMED only: nobody
    await assign(gql, token, "INFORMED", userId=rita, measureId=g)

    answer = await reminders(gql, token, "2024-10-15")

    # A SCHOOL_YEAR measure as of Oct 15, 2024 owes school year 2023-24 (July 1, 2023) only.
    period = "2023-07-01"
    assert [(o["name"], o["due"], o["overdue"]) for o in answer["owners"]] == [
        ("Alan Ames", 2, 0),
        ("bea Baker", 1, 0),
        ("Rita Ruiz", 2, 0),
        ("Ops", 1, 0),
    ]
    assert owed(answer) == [
        (f"user:{alan}", "B", None, period, False),
        (f"user:{alan}", "F", None, period, False),
        (f"user:{bea}", "C", None, period, False),
        (f"user:{rita}", "A", None, period, False),
        (f"user:{rita}", "F", None, period, False),
        ("owner:Ops", "D", None, period, False),
    ]


async def test_as_of_defaults_to_the_districts_today_and_is_checked(gql, factory):
    _, token = await factory.district(timezone="Pacific/Kiritimati")
    today = datetime.now(zoneinfo.ZoneInfo("Pacific/Kiritimati")).date()

    default = await gql("{ dataEntryReminders { asOf } }", token=token)
    too_early = await gql(REMINDERS, {"asOf": "1999-12-31"}, token=token)
    too_late = await gql(REMINDERS, {"asOf": "2999-01-01"}, token=token)

    assert default["data"]["dataEntryReminders"]["asOf"] == today.isoformat()
    for refused in (too_early, too_late):
        assert refused["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "asOf"}


async def test_reminders_run_a_fixed_number_of_statements(gql, factory, app):
    counts = []
    for size in (1, 5):
        district_id, token = await factory.district()
        person, _ = await add_member(factory, district_id, "p@example.org")
        for index in range(size):
            await create_school(gql, token, f"School {index}")
            measure = await create_measure(gql, token, code=f"M-{index}", owner="Ops")
            if index % 2:
                await assign(gql, token, "RESPONSIBLE", userId=person, measureId=measure)

        with count_statements(app) as statements:
            answer = await reminders(gql, token, "2024-10-15")
        assert len(answer["items"]) == size * size * 12
        counts.append(len(queries(statements)))

    # the district's calendar (today and the fiscal year: read once), the measures, their
    # owners, the missing values
    assert counts == [4, 4]


async def test_every_role_reads_the_reminders(gql, factory):
    district_id, _ = await factory.district()

    for role in Role:
        token = await factory.token(district_id, role)
        answer = await gql(REMINDERS, {"asOf": "2024-10-15"}, token=token)
        assert error_codes(answer) == [], role


async def test_stored_counts_answer_as_the_data_and_a_write_shows_at_once(
    gql, factory, app_sessionmaker
):
    """The status refresh stores each measure's period counts (measures.period_counts); the
    reminders read them only while the measure has no dirty mark."""
    district_id, token = await factory.district()
    alder = await create_school(gql, token, "Alder Elementary")
    birch = await create_school(gql, token, "Birch Middle", "MIDDLE")
    quarterly = await create_measure(
        gql, token, code="QQ-1", frequency="QUARTERLY", owner="Facilities office"
    )
    monthly = await create_measure(
        gql, token, code="MM-1", level="DISTRICT", owner="Facilities office"
    )
    school_values = [
        *(
            {"schoolId": alder, "periodStart": p, "value": 3.0}
            for p in ("2023-10-01", "2024-04-01")
        ),
        *({"schoolId": birch, "periodStart": p, "value": 4.0} for p in ("2023-10-01",)),
    ]
    assert "errors" not in await record(gql, token, quarterly, school_values)
    district_values = [{"periodStart": f"2024-{m:02d}-01", "value": 1.0} for m in (1, 2, 5)]
    assert "errors" not in await record(gql, token, monthly, district_values)
    refresh = HandRun(refresh_measure_status_job)

    computed = owed(await reminders(gql, token, "2024-07-15"))  # both measures marked
    await refresh.drain(app_sessionmaker, district_id)
    assert await marked_measures(app_sessionmaker, district_id) == []
    assert await stored_period_counts(app_sessionmaker, district_id) == {
        quarterly: ([date(2023, 10, 1), date(2024, 4, 1)], [2, 1], [False, False]),
        monthly: (
            [date(2024, 1, 1), date(2024, 2, 1), date(2024, 5, 1)],
            [0, 0, 0],
            [True, True, True],
        ),
    }
    stored = owed(await reminders(gql, token, "2024-07-15"))
    assert stored == computed
    assert ("owner:Facilities office", "QQ-1", "Birch Middle", "2024-04-01", False) in stored

    # Read from the stored row: counts claiming both schools entered April hide Birch's line...
    birch_april = ("owner:Facilities office", "QQ-1", "Birch Middle", "2024-04-01", False)
    await falsify_counts(app_sessionmaker, district_id, quarterly, [2, 2])
    assert birch_april not in owed(await reminders(gql, token, "2024-07-15"))
    # ...until a write marks the measure: it is counted from the data on the next read, before
    # any refresh (Alder's January is entered, Birch's April is owed again).
    alder_january = {"schoolId": alder, "periodStart": "2024-01-01", "value": 5.0}
    assert "errors" not in await record(gql, token, quarterly, [alder_january])
    after_write = owed(await reminders(gql, token, "2024-07-15"))
    assert after_write == [
        line for line in stored if line[2:4] != ("Alder Elementary", "2024-01-01")
    ]
    assert birch_april in after_write
    await refresh.drain(app_sessionmaker, district_id)
    assert owed(await reminders(gql, token, "2024-07-15")) == after_write

    # A quiet nightly run rewrites no row.
    before = await count_row_versions(app_sessionmaker, district_id)
    await run_refresh_job(app_sessionmaker, district_id, full=True)
    assert await count_row_versions(app_sessionmaker, district_id) == before


async def falsify_counts(app_sessionmaker, district_id, measure_id, schools):
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(
            text("UPDATE measure_period_counts SET schools = :schools WHERE measure_id = :id"),
            {"schools": schools, "id": measure_id},
        )
        await session.commit()


async def count_row_versions(app_sessionmaker, district_id):
    """Each stored row's transaction id: a rewritten row gets a new one."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text("SELECT measure_id, xmin::text FROM measure_period_counts")
        )
        return dict(rows.all())
