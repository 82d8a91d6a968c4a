"""Report queries refuse what cannot be meant, naming the argument, instead of answering empty.

scorecard and instructionalTimeLost take one school-year range, checked in one place;
schoolComparison refuses a period the measure's frequency cannot start; chart signals say
in the schema what each number means.
"""

from __future__ import annotations

import pytest

from district_ppm.api.sdl import export_sdl
from district_ppm.school_calendar import FIRST_SCHOOL_YEAR, LAST_SCHOOL_YEAR
from graphql import build_schema
from tests.support.measures import create_measure, create_school, record

SCORECARD = "query($y: Int!) { scorecard(view: DASHBOARD, schoolYear: $y) { rows { status } } }"
TIME_LOST = """
query($y: Int!) { instructionalTimeLost(schoolYear: $y, groupBy: MONTH) { rows { key } } }
"""
COMPARE = """
query($m: ID!, $p: Date!) { schoolComparison(measureId: $m, periodStart: $p) { rows { rank } } }
"""


def bad_input(result: dict) -> list[tuple[str, str]]:
    return [
        (e["extensions"]["code"], e["extensions"].get("field")) for e in result.get("errors", [])
    ]


@pytest.mark.parametrize("query", [SCORECARD, TIME_LOST], ids=["scorecard", "timeLost"])
@pytest.mark.parametrize("year", [99999, 1900, 2200, 0, -2026])
async def test_a_school_year_out_of_range_is_bad_input_naming_it(gql, factory, query, year):
    _, token = await factory.district()

    result = await gql(query, {"y": year}, token=token)

    assert result["data"] is None
    assert bad_input(result) == [("BAD_INPUT", "schoolYear")]
    assert f"{FIRST_SCHOOL_YEAR} to {LAST_SCHOOL_YEAR}" in result["errors"][0]["message"]


@pytest.mark.parametrize("query", [SCORECARD, TIME_LOST], ids=["scorecard", "timeLost"])
@pytest.mark.parametrize("year", [FIRST_SCHOOL_YEAR, 2026, LAST_SCHOOL_YEAR])
async def test_every_school_year_in_range_is_answered(gql, factory, query, year):
    _, token = await factory.district()

    result = await gql(query, {"y": year}, token=token)

    assert "errors" not in result, result


@pytest.mark.parametrize(
    ("frequency", "fits", "period", "reason"),
    [
        ("MONTHLY", "2025-07-01", "2025-07-15", "1st of a month"),
        ("WEEKLY", "2025-06-30", "2025-07-01", "Monday"),
        ("QUARTERLY", "2025-07-01", "2025-08-01", "January, April, July or October"),
        ("SCHOOL_YEAR", "2025-07-01", "2025-09-01", "July 1st"),
        ("FISCAL_YEAR", "2025-07-01", "2025-09-01", "1st of month 7"),
    ],
)
async def test_a_comparison_for_a_period_the_frequency_cannot_start_is_bad_input(
    gql, factory, frequency, fits, period, reason
):
    # Given a measure with values, so an empty answer would look like "no school reported"
    _, token = await factory.district()
    school = await create_school(gql, token, "Lincoln")
    measure = await create_measure(gql, token, frequency=frequency)
    written = await record(
        gql, token, measure, [{"schoolId": school, "periodStart": fits, "value": 90}]
    )
    assert "errors" not in written, written

    result = await gql(COMPARE, {"m": measure, "p": period}, token=token)

    assert bad_input(result) == [("BAD_INPUT", "periodStart")]
    assert reason in result["errors"][0]["message"]


async def test_a_comparison_for_a_fitting_period_still_answers(gql, factory):
    _, token = await factory.district()
    school = await create_school(gql, token, "Lincoln")
    measure = await create_measure(gql, token, frequency="FISCAL_YEAR")
    await record(
        gql, token, measure, [{"schoolId": school, "periodStart": "2025-07-01", "value": 9}]
    )

    result = await gql(COMPARE, {"m": measure, "p": "2025-07-01"}, token=token)

    assert result["data"]["schoolComparison"]["rows"] == [{"rank": 1}]


async def test_a_comparison_of_an_unknown_or_district_level_measure_is_refused(gql, factory):
    """The measure is read in the comparison's one statement: no row is an unknown measure
    (another district's included), and a district-level one is refused before its values."""
    _, token = await factory.district()
    _, other_token = await factory.district()
    others = await create_measure(gql, other_token)
    district_level = await create_measure(gql, token, level="DISTRICT")
    await record(gql, token, district_level, [{"periodStart": "2025-09-01", "value": 3}])

    for measure, field, message in [
        ("00000000-0000-4000-8000-000000000000", "measureId", "no such measure"),
        (others, "measureId", "no such measure"),
        (district_level, "measureId", "only SCHOOL-level measures compare schools"),
    ]:
        result = await gql(COMPARE, {"m": measure, "p": "2025-09-01"}, token=token)
        assert result["data"] is None
        (error,) = result["errors"]
        assert (error["extensions"]["field"], error["message"]) == (field, message)


def test_chart_signals_say_what_each_rule_number_means():
    field = build_schema(export_sdl()).type_map["ChartPoint"].fields["signals"]  # type: ignore[attr-defined]

    described = field.description or ""
    for rule in ("1 = ", "2 = ", "3 = ", "4 = "):
        assert rule in described
    assert "3 sigma" in described and "eight" in described
