"""scorecard, controlChart, schoolComparison: exact numbers, scopes, statement counts."""

from __future__ import annotations

import pytest

from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.measures import (
    SET_TARGET,
    count_statements,
    create_measure,
    create_school,
    monthly,
    queries,
    record,
    run_refresh,
)

SCORECARD = """
query($view: ScorecardView!, $year: Int!, $school: ID) {
  scorecard(view: $view, schoolYear: $year, schoolId: $school) {
    view schoolYear
    rows { measure { code } schoolId latestPeriod latestValue target status trend computedAt }
  }
}
"""
CHART = """
query($m: ID!, $s: ID) {
  controlChart(measureId: $m, schoolId: $s) {
    status centerLine upperLimit lowerLimit startsAt rebaseReason target assurance
    points { periodStart value signals unfavorable excluded exclusionReason }
    annotations { occurredOn text }
  }
}
"""
COMPARE = """
query($m: ID!, $p: Date!) {
  schoolComparison(measureId: $m, periodStart: $p) {
    rows { school { name enrollment } value valuePer100Students rank percentile peerMedian
           gapToBest }
  }
}
"""
NOTE = """
mutation($input: ChartNoteInput!) { %s(input: $input) { __typename } }
"""


async def target(gql, token, measure_id, year, value, red, school_id=None):
    result = await gql(
        SET_TARGET,
        {
            "input": {
                "measureId": measure_id,
                "schoolId": school_id,
                "schoolYear": year,
                "value": value,
                "redThreshold": red,
            }
        },
        token=token,
    )
    assert "errors" not in result, result


async def test_scorecard_district_wide_and_per_school(gql, factory, app, app_sessionmaker):
    district_id, token = await factory.district()
    a = await create_school(gql, token, "A", enrollment=100)
    b = await create_school(gql, token, "B", enrollment=300)
    ada = await create_measure(gql, token)
    weighted = await create_measure(
        gql, token, code="SS-ADA-W", aggregation="ENROLLMENT_WEIGHTED_MEAN"
    )
    await create_measure(
        gql, token, code="SS-CHRONIC", stage="SHORT_TERM_OUTCOME", direction="LOWER_IS_BETTER"
    )
    for measure in (ada, weighted):
        await record(gql, token, measure, monthly(a, 2025, 9, [90, 91, 92, 93]))
        await record(gql, token, measure, monthly(b, 2025, 9, [80, 80, 80, 80]))
    await target(gql, token, ada, 2026, 86, 84)
    await target(gql, token, ada, 2026, 85, 82, school_id=b)
    await run_refresh(app_sessionmaker, district_id)

    with count_statements(app) as statements:
        district = (await gql(SCORECARD, {"view": "DASHBOARD", "year": 2026}, token=token))["data"][
            "scorecard"
        ]
    per_school = (
        await gql(SCORECARD, {"view": "DASHBOARD", "year": 2026, "school": b}, token=token)
    )["data"]["scorecard"]
    scoreboard = (await gql(SCORECARD, {"view": "SCOREBOARD", "year": 2026}, token=token))["data"][
        "scorecard"
    ]

    rows = {r["measure"]["code"]: r for r in district["rows"]}
    # District-wide means by period: 85, 85.5, 86, 86.5; slope 0.5 -> change 1.5 > 1% of mean
    assert {k: v for k, v in rows["SS-ADA"].items() if k not in ("computedAt", "measure")} == {
        "schoolId": None,
        "latestPeriod": "2025-12-01",
        "latestValue": 86.5,
        "target": 86.0,
        "status": "GREEN",
        "trend": "IMPROVING",
    }
    assert rows["SS-ADA"]["computedAt"] is not None
    # Weighted by enrollment: (93 * 100 + 80 * 300) / 400
    assert rows["SS-ADA-W"]["latestValue"] == pytest.approx(83.25)
    assert rows["SS-ADA-W"]["status"] == "NO_TARGET"
    assert [r["measure"]["code"] for r in district["rows"]] == ["SS-ADA", "SS-ADA-W"]
    # B's own target overrides the district's: 80 < red 82
    b_row = next(r for r in per_school["rows"] if r["measure"]["code"] == "SS-ADA")
    assert (
        b_row["schoolId"],
        b_row["latestValue"],
        b_row["target"],
        b_row["status"],
        b_row["trend"],
    ) == (b, 80.0, 85.0, "RED", "FLAT")
    assert scoreboard["rows"][0]["measure"]["code"] == "SS-CHRONIC"
    assert (scoreboard["rows"][0]["status"], scoreboard["rows"][0]["trend"]) == (
        "NO_DATA",
        "NOT_ENOUGH_DATA",
    )
    assert len(queries(statements)) == 1


async def test_a_ratio_measure_pools_counts_in_scorecard_and_chart(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    a = await create_school(gql, token, "A", enrollment=100)
    b = await create_school(gql, token, "B", enrollment=300)
    ada = await create_measure(gql, token, aggregation="RATIO")

    def days(school, period, attended, enrolled):
        value = 100 * attended / enrolled
        return {
            "schoolId": school,
            "periodStart": period,
            "value": value,
            "numerator": attended,
            "denominator": enrolled,
        }

    # September: 183 of 200 days (91.5%) and 270 of 300 (90%) -> 453 of 500 = 90.6%, where
    # the mean of the two rates is 90.75. October: B gives only its rate, 88: the mean, 89.75.
    await record(
        gql,
        token,
        ada,
        [
            days(a, "2025-09-01", 183, 200),
            days(b, "2025-09-01", 270, 300),
            days(a, "2025-10-01", 183, 200),
        ],
    )
    await record(gql, token, ada, [{"schoolId": b, "periodStart": "2025-10-01", "value": 88}])
    await run_refresh(app_sessionmaker, district_id)

    chart = (await gql(CHART, {"m": ada}, token=token))["data"]["controlChart"]
    card = (await gql(SCORECARD, {"view": "DASHBOARD", "year": 2026}, token=token))["data"]

    assert [(p["periodStart"], p["value"]) for p in chart["points"]] == [
        ("2025-09-01", pytest.approx(90.6)),
        ("2025-10-01", 89.75),
    ]
    row = card["scorecard"]["rows"][0]
    assert (row["latestPeriod"], row["latestValue"]) == ("2025-10-01", 89.75)


async def test_scorecard_unknown_school_is_not_found(gql, factory):
    _, token = await factory.district()
    _, other = await factory.district()
    foreign = await create_school(gql, other, "Elsewhere")

    result = await gql(
        SCORECARD, {"view": "DASHBOARD", "year": 2026, "school": foreign}, token=token
    )

    assert result["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "schoolId"}


async def test_control_chart_limits_signals_exclusion_rebase_and_assurance(gql, factory, app):
    district_id, token = await factory.district()
    measure = await create_measure(gql, token, code="FIN", level="DISTRICT")
    # CL 10 and every moving range 1.128: sigma-hat 1, limits 7 and 13.
    values = [9.436, 10.564] * 6 + [13.5, 12.5]
    await record(gql, token, measure, monthly(None, 2024, 7, values))
    await target(gql, token, measure, 2026, 12, 11)

    with count_statements(app) as statements:
        chart = (await gql(CHART, {"m": measure}, token=token))["data"]["controlChart"]

    assert chart["status"] == "OK"
    assert chart["centerLine"] == pytest.approx(10.0)
    assert chart["upperLimit"] == pytest.approx(13.0)
    assert chart["lowerLimit"] == pytest.approx(7.0)
    assert [p["signals"] for p in chart["points"]][-3:] == [[], [1], [2]]
    assert not any(p["unfavorable"] for p in chart["points"])
    assert (chart["target"], chart["assurance"]) == (12.0, "SOMETIMES")
    # measure, series, rebase, exclusions, annotations, targets
    assert len(queries(statements)) == 6

    viewer = await factory.token(district_id, Role.VIEWER)
    refused = await gql(
        NOTE % "excludeChartPoint",
        {"input": {"measureId": measure, "periodStart": "2025-08-01", "text": "storm"}},
        token=viewer,
    )
    assert error_codes(refused) == ["FORBIDDEN"]
    for mutation, period, text in [
        ("excludeChartPoint", "2025-08-01", "snow days"),
        ("annotateMeasure", "2025-07-15", "new routing software"),
    ]:
        done = await gql(
            NOTE % mutation,
            {"input": {"measureId": measure, "periodStart": period, "text": text}},
            token=token,
        )
        assert "errors" not in done, done
    chart = (await gql(CHART, {"m": measure}, token=token))["data"]["controlChart"]
    assert chart["points"][-1] == {
        "periodStart": "2025-08-01",
        "value": 12.5,
        "signals": [],
        "unfavorable": False,
        "excluded": True,
        "exclusionReason": "snow days",
    }
    assert chart["annotations"] == [{"occurredOn": "2025-07-15", "text": "new routing software"}]

    bad = await gql(
        NOTE % "rebaseControlChart",
        {"input": {"measureId": measure, "periodStart": "2025-03-02", "text": "x"}},
        token=token,
    )
    assert bad["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.periodStart"}
    await gql(
        NOTE % "rebaseControlChart",
        {"input": {"measureId": measure, "periodStart": "2025-03-01", "text": "new bell schedule"}},
        token=token,
    )
    chart = (await gql(CHART, {"m": measure}, token=token))["data"]["controlChart"]
    assert (chart["status"], chart["startsAt"], chart["rebaseReason"]) == (
        "NOT_ENOUGH_DATA",
        "2025-03-01",
        "new bell schedule",
    )
    assert [p["periodStart"] for p in chart["points"]] == [
        "2025-03-01",
        "2025-04-01",
        "2025-05-01",
        "2025-06-01",
        "2025-07-01",
        "2025-08-01",
    ]
    assert chart["centerLine"] is None


async def test_control_chart_school_scope_rules(gql, factory):
    _, token = await factory.district()
    district_measure = await create_measure(gql, token, code="D", level="DISTRICT")
    school = await create_school(gql, token, "A")

    wrong = await gql(CHART, {"m": district_measure, "s": school}, token=token)

    assert wrong["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "schoolId"}


async def test_school_comparison_by_hand(gql, factory, app):
    district_id, token = await factory.district()
    measure = await create_measure(
        gql, token, code="SUSP", unit="COUNT", direction="LOWER_IS_BETTER"
    )
    schools = {
        "A": (await create_school(gql, token, "A", "ELEMENTARY", 200), 4.0),
        "B": (await create_school(gql, token, "B", "ELEMENTARY", 400), 4.0),
        "C": (await create_school(gql, token, "C", "ELEMENTARY", None), 10.0),
        "D": (await create_school(gql, token, "D", "MIDDLE", 500), 6.0),
        "E": (await create_school(gql, token, "E", "MIDDLE", 100), 2.0),
    }
    await record(
        gql,
        token,
        measure,
        [{"schoolId": sid, "periodStart": "2025-09-01", "value": v} for sid, v in schools.values()],
    )
    viewer = await factory.token(district_id, Role.VIEWER)

    with count_statements(app) as statements:
        result = await gql(COMPARE, {"m": measure, "p": "2025-09-01"}, token=viewer)

    rows = [
        (
            r["school"]["name"],
            r["value"],
            r["valuePer100Students"],
            r["rank"],
            r["percentile"],
            r["peerMedian"],
            r["gapToBest"],
        )
        for r in result["data"]["schoolComparison"]["rows"]
    ]
    assert rows == [
        ("E", 2.0, 2.0, 1, 100.0, 4.0, 0.0),
        ("A", 4.0, 2.0, 2, 75.0, 4.0, 0.0),
        ("B", 4.0, 1.0, 2, 75.0, 4.0, 0.0),
        ("D", 6.0, 1.2, 4, 25.0, 4.0, 4.0),
        ("C", 10.0, None, 5, 0.0, 4.0, 6.0),
    ]
    # the measure with its values, schools and the year's enrollments in one statement, and
    # one batched load of School.enrollment (the latest year's, which the row's per-100
    # figure does not use)
    assert len(queries(statements)) == 2
    empty = await gql(COMPARE, {"m": measure, "p": "2025-10-01"}, token=token)
    assert empty["data"]["schoolComparison"]["rows"] == []


async def test_school_comparison_reads_what_is_asked_for_however_it_is_asked(gql, factory, app):
    """The per-100 figure and the school's details are read only when selected, and are
    served when selected through a named or an inline fragment."""
    _, token = await factory.district()
    measure = await create_measure(gql, token, code="SUSP", unit="COUNT")
    school = await create_school(gql, token, "A", "ELEMENTARY", 200, nces_id="123456789012")
    await record(
        gql, token, measure, [{"schoolId": school, "periodStart": "2025-09-01", "value": 5}]
    )
    variables = {"m": measure, "p": "2025-09-01"}
    asked = "schoolComparison(measureId: $m, periodStart: $p)"

    with count_statements(app) as bare_statements:
        bare = await gql(
            f"query($m: ID!, $p: Date!) {{ {asked} {{ rows {{ school {{ name }} value }} }} }}",
            variables,
            token=token,
        )
    with count_statements(app) as statements:
        by_fragments = await gql(
            f"""query($m: ID!, $p: Date!) {{
              {asked} {{ rows {{ ...Row school {{ ...Details }} }} }}
            }}
        fragment Row on ComparisonRow {{ ... on ComparisonRow {{ valuePer100Students }} }}
        fragment Details on School {{ id ncesId firstBell level }}""",
            variables,
            token=token,
        )
    (bare_read,) = [q for q in queries(bare_statements) if "measurements" in q]
    (read,) = [q for q in queries(statements) if "measurements" in q]
    assert "schools.first_bell" not in bare_read and "school_enrollments" not in bare_read
    assert "schools.first_bell" in read and "school_enrollments" in read

    assert bare["data"]["schoolComparison"]["rows"] == [{"school": {"name": "A"}, "value": 5.0}]
    assert by_fragments["data"]["schoolComparison"]["rows"] == [
        {
            "valuePer100Students": 2.5,
            "school": {
                "id": school,
                "ncesId": "123456789012",
                "firstBell": "08:00:00",
                "level": "ELEMENTARY",
            },
        }
    ]


async def test_a_year_without_data_shows_the_trend_of_the_periods_before_it(
    gql, factory, app_sessionmaker
):
    # Given five yearly graduation rates (school years 2021-2025, rising) and a second such
    # measure that also has a target for 2026, and no value for 2026 in either.
    district_id, token = await factory.district()
    codes = {}
    for code in ("GRAD", "GRAD-T"):
        codes[code] = await create_measure(
            gql,
            token,
            code=code,
            level="DISTRICT",
            stage="LONG_TERM_OUTCOME",
            frequency="SCHOOL_YEAR",
        )
        rates = [80, 81, 83, 84, 86]
        values = [
            {"periodStart": f"{2020 + i}-07-01", "value": rate} for i, rate in enumerate(rates)
        ]
        assert "errors" not in await record(gql, token, codes[code], values)
    await target(gql, token, codes["GRAD-T"], 2026, 88, 85)
    await run_refresh(app_sessionmaker, district_id)

    # When the 2026 scoreboard is read.
    card = await gql(SCORECARD, {"view": "SCOREBOARD", "year": 2026}, token=token)

    # Then both show no 2026 value and the same trend of the last periods with data: whether
    # a target exists decides the status, not the trend.
    rows = {r["measure"]["code"]: r for r in card["data"]["scorecard"]["rows"]}
    assert {k: rows["GRAD"][k] for k in ("latestPeriod", "latestValue", "target")} == {
        "latestPeriod": None,
        "latestValue": None,
        "target": None,
    }
    assert (rows["GRAD"]["status"], rows["GRAD"]["trend"]) == ("NO_DATA", "IMPROVING")
    assert (rows["GRAD-T"]["status"], rows["GRAD-T"]["trend"]) == ("NO_DATA", "IMPROVING")
    assert rows["GRAD"]["computedAt"] is not None
    # Before the first period with data there is still nothing to show.
    early = await gql(SCORECARD, {"view": "SCOREBOARD", "year": 2020}, token=token)
    assert [(r["status"], r["trend"]) for r in early["data"]["scorecard"]["rows"]] == [
        ("NO_DATA", "NOT_ENOUGH_DATA"),
        ("NO_DATA", "NOT_ENOUGH_DATA"),
    ]


@pytest.mark.parametrize("mutation", ["rebaseControlChart", "excludeChartPoint", "annotateMeasure"])
async def test_a_blank_chart_note_names_its_text_field(gql, factory, mutation):
    _, token = await factory.district()
    measure = await create_measure(gql, token, code="FIN", level="DISTRICT")

    result = await gql(
        NOTE % mutation,
        {"input": {"measureId": measure, "periodStart": "2025-09-01", "text": "  "}},
        token=token,
    )

    # ChartNoteInput's field is `text`: the path names it, as the contract's errors do.
    assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.text"}


async def test_schools_of_equal_rank_are_listed_by_name_as_code_points_order_them(gql, factory):
    """Equal ranks list by name, compared by code point (uppercase before lowercase, accents
    after both), whatever the database's collation, then by id."""
    _, token = await factory.district()
    measure = await create_measure(gql, token, code="ADA")
    names = ["bravo", "Charlie", "Älpha", "alpha", "Bravo"]
    schools = [await create_school(gql, token, name) for name in names]
    await record(
        gql,
        token,
        measure,
        [{"schoolId": school, "periodStart": "2025-09-01", "value": 90.0} for school in schools],
    )

    result = await gql(COMPARE, {"m": measure, "p": "2025-09-01"}, token=token)

    rows = result["data"]["schoolComparison"]["rows"]
    assert [row["school"]["name"] for row in rows] == sorted(names)
    assert sorted(names) == ["Bravo", "Charlie", "alpha", "bravo", "Älpha"]
    assert {row["rank"] for row in rows} == {1}


async def test_schools_tied_once_hours_are_rounded_are_listed_by_name(gql, factory):
    """Hours are ranked as served, to two decimals: values apart when stored can tie, and
    the tied schools are then listed by name, not in the order of their stored values."""
    _, token = await factory.district()
    measure = await create_measure(gql, token, code="PD-HOURS", unit="HOURS")
    stored = {"Bravo": 6.004, "Alpha": 6.001, "Charlie": 6.5}
    schools = {name: await create_school(gql, token, name) for name in stored}
    await record(
        gql,
        token,
        measure,
        [
            {"schoolId": schools[name], "periodStart": "2025-09-01", "value": value}
            for name, value in stored.items()
        ],
    )

    result = await gql(COMPARE, {"m": measure, "p": "2025-09-01"}, token=token)

    rows = [
        (row["school"]["name"], row["value"], row["rank"])
        for row in result["data"]["schoolComparison"]["rows"]
    ]
    assert rows == [("Charlie", 6.5, 1), ("Alpha", 6.0, 2), ("Bravo", 6.0, 2)]
