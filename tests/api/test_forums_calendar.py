"""managementCalendar: each forum's planned meetings from its cadence, and what was held."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from district_ppm.governance.calendar import first_business_day, periods_overlapping
from district_ppm.measures.models import Frequency
from tests.support.forums import SCHEDULE, create_forum, ok
from tests.support.graphql import error_codes

CALENDAR = """
query($year: Int) {
  managementCalendar(year: $year) {
    forumId forumName cadence periodStart periodEnd plannedOn status
    meetings { meetingId heldOn }
  }
}
"""


async def schedule(gql, token, forum_id, held_on):
    await ok(gql, SCHEDULE, {"input": {"forumId": forum_id, "heldOn": held_on}}, token)


def rows(found):
    return [
        (
            row["forumName"],
            row["periodStart"],
            row["periodEnd"],
            row["plannedOn"],
            [m["heldOn"] for m in row["meetings"]],
            row["status"],
        )
        for row in found["managementCalendar"]
    ]


async def test_a_years_calendar_worked_out_by_hand(gql, factory):
    """2025, long over: every period was HELD or MISSED. A first business day skips the
    weekend (February, March, June and November 2025 start on a Saturday or Sunday)."""
    _, token = await factory.district()
    ops = await create_forum(gql, token, name="Operations review", cadence="MONTHLY")
    strategy = await create_forum(gql, token, name="Strategic review", cadence="QUARTERLY")
    board = await create_forum(gql, token, name="Board retreat", cadence="SCHOOL_YEAR")
    for day in ("2025-01-06", "2025-02-20", "2025-02-03", "2025-04-07"):
        await schedule(gql, token, ops["id"], day)
    await schedule(gql, token, strategy["id"], "2025-07-15")
    await schedule(gql, token, board["id"], "2024-08-05")  # in the school year begun in 2024
    await schedule(gql, token, ops["id"], "2024-12-02")  # another year: not shown

    found = await ok(gql, CALENDAR, {"year": 2025}, token)

    def monthly(start, end, planned, held=()):
        return ("Operations review", start, end, planned, list(held), "HELD" if held else "MISSED")

    assert rows(found) == [
        ("Board retreat", "2024-07-01", "2025-06-30", "2024-07-01", ["2024-08-05"], "HELD"),
        monthly("2025-01-01", "2025-01-31", "2025-01-01", ["2025-01-06"]),
        ("Strategic review", "2025-01-01", "2025-03-31", "2025-01-01", [], "MISSED"),
        monthly("2025-02-01", "2025-02-28", "2025-02-03", ["2025-02-03", "2025-02-20"]),
        monthly("2025-03-01", "2025-03-31", "2025-03-03"),
        monthly("2025-04-01", "2025-04-30", "2025-04-01", ["2025-04-07"]),
        ("Strategic review", "2025-04-01", "2025-06-30", "2025-04-01", [], "MISSED"),
        monthly("2025-05-01", "2025-05-31", "2025-05-01"),
        monthly("2025-06-01", "2025-06-30", "2025-06-02"),
        ("Board retreat", "2025-07-01", "2026-06-30", "2025-07-01", [], "MISSED"),
        monthly("2025-07-01", "2025-07-31", "2025-07-01"),
        ("Strategic review", "2025-07-01", "2025-09-30", "2025-07-01", ["2025-07-15"], "HELD"),
        monthly("2025-08-01", "2025-08-31", "2025-08-01"),
        monthly("2025-09-01", "2025-09-30", "2025-09-01"),
        monthly("2025-10-01", "2025-10-31", "2025-10-01"),
        ("Strategic review", "2025-10-01", "2025-12-31", "2025-10-01", [], "MISSED"),
        monthly("2025-11-01", "2025-11-30", "2025-11-03"),
        monthly("2025-12-01", "2025-12-31", "2025-12-01"),
    ]
    assert {row["forumId"] for row in found["managementCalendar"]} == {
        ops["id"],
        strategy["id"],
        board["id"],
    }


async def test_next_years_periods_are_planned_or_scheduled(gql, factory):
    _, token = await factory.district()
    year = datetime.now(ZoneInfo("America/Chicago")).year + 1
    ops = await create_forum(gql, token, name="Operations review", cadence="MONTHLY")
    await schedule(gql, token, ops["id"], f"{year}-01-15")

    found = rows(await ok(gql, CALENDAR, {"year": year}, token))

    assert [(start, held, status) for _, start, _, _, held, status in found[:2]] == [
        (f"{year}-01-01", [f"{year}-01-15"], "SCHEDULED"),
        (f"{year}-02-01", [], "PLANNED"),
    ]
    assert len(found) == 12


async def test_the_year_is_checked_and_other_districts_are_not_shown(gql, factory):
    _, token = await factory.district()
    _, other = await factory.district()
    await create_forum(gql, other, name="Their review")

    refused = await gql(CALENDAR, {"year": 1999}, token=token)
    mine = await ok(gql, CALENDAR, {"year": 2025}, token)

    assert error_codes(refused) == ["BAD_INPUT"]
    assert refused["errors"][0]["extensions"]["field"] == "year"
    assert mine["managementCalendar"] == []


def test_a_daily_forum_plans_weekdays_only():
    # 2025-03-01 is a Saturday.
    periods = periods_overlapping(Frequency.DAILY, date(2025, 3, 1), date(2025, 3, 4), 7)

    assert [first_business_day(start, end) for start, end in periods] == [
        None,
        None,
        date(2025, 3, 3),
        date(2025, 3, 4),
    ]
    assert periods_overlapping(Frequency.FISCAL_YEAR, date(2025, 1, 1), date(2025, 12, 31), 10) == [
        (date(2024, 10, 1), date(2025, 9, 30)),
        (date(2025, 10, 1), date(2026, 9, 30)),
    ]
