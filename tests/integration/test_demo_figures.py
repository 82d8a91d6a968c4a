"""No figure in any query of the demo district has more than its stated decimals.

The walk asks the API, as a dashboard would, for the demo's scorecards (both views, every
school year, the district and each school), every control chart (district-wide and each
school's), school comparisons for every period of every school-level measure's last two
school years, the time-loss reports (every grouping, every bus year), the savings summaries,
claims and reinvestment, the practice's gains and the opportunities; then checks each number it
got against the precision docs/formulas.md states for it ("Precision").
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.support.demo import TODAY, demo_district

# Decimals each field may carry (docs/formulas.md, "Precision"); every other Float has four
# at most. Decimal fields (strings) carry exactly two.
FLOAT_DECIMALS = {"medianGain": 5}
DECIMAL_FIELDS = {
    "amount",
    "instructionalHoursLost",
    "studentInstructionalHoursLost",
    "claimedHours",
    "computedHours",
    "baselineHoursLost",
    "claimedYearHoursLost",
    "hardValidated",
    "totalUsd",
    "validatedUsd",
    "totalHours",
    "validatedHours",
    "savingsUsd",
    "totalSavingsUsd",
    "validated",
    "allocated",
    "unallocated",
    "estimatedSavings",
}
HOURS_MEASURES_DECIMALS = 2


def decimals_of(number: float) -> int:
    """How many decimals the number shows as the API serialized it (shortest repr)."""
    exponent = Decimal(repr(number)).normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


class Walk:
    """Collects every number of every answer, with where it was found."""

    def __init__(self, gql: Any, token: str) -> None:
        self.gql, self.token = gql, token
        self.floats: list[tuple[str, float]] = []
        self.decimals: list[tuple[str, str]] = []
        self.answers = 0

    async def ask(self, document: str, **variables: Any) -> dict[str, Any]:
        result = await self.gql(document, variables, token=self.token)
        assert "errors" not in result, (document, variables, result)
        self.answers += 1
        self._collect(result["data"], "")
        return result["data"]  # type: ignore[no-any-return]

    def _collect(self, node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in DECIMAL_FIELDS and isinstance(value, str):
                    self.decimals.append((f"{path}.{key}", value))
                else:
                    self._collect(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                self._collect(value, f"{path}[{index}]")
        elif isinstance(node, float):
            self.floats.append((path, node))

    def too_precise(self) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        for path, number in self.floats:
            field = path.rsplit(".", 1)[-1].split("[")[0]
            if decimals_of(number) > FLOAT_DECIMALS.get(field, 4):
                found.append((path, number))
        for path, amount in self.decimals:
            if Decimal(amount).as_tuple().exponent != -2:
                found.append((path, amount))
        return found


@pytest.fixture
async def demo(admin_sessionmaker, app_sessionmaker) -> tuple[uuid.UUID, str]:
    return await demo_district(admin_sessionmaker, app_sessionmaker)


SCORECARD = """query($v: ScorecardView!, $y: Int!, $s: ID) {
  scorecard(view: $v, schoolYear: $y, schoolId: $s) {
    rows { measure { code unit } latestPeriod latestValue target status } } }"""
CHART = """query($m: ID!, $s: ID) { controlChart(measureId: $m, schoolId: $s) {
  centerLine upperLimit lowerLimit target points { periodStart value } } }"""
COMPARISON = """query($m: ID!, $p: Date!) { schoolComparison(measureId: $m, periodStart: $p) {
  rows { value valuePer100Students rank percentile peerMedian gapToBest } } }"""
TIME_LOSS = """query($y: Int!, $g: TimeLossGrouping!) {
  instructionalTimeLost(schoolYear: $y, groupBy: $g) {
    rows { key lateInstances lateMinutes averageLateMinutes instructionalHoursLost
      studentInstructionalHoursLost }
    total { instructionalHoursLost studentInstructionalHoursLost } } }"""
SAVINGS = """query($y: Int!) {
  savingsSummary(fiscalYear: $y) { rows { amount } byProject { hardValidated totalUsd
    validatedUsd totalHours validatedHours } byProcess { totalUsd validatedHours }
    bySchool { totalUsd } byPractice { totalUsd validatedUsd } }
  savingsClaimChecks(fiscalYear: $y) { check { claimedHours computedHours baselineHoursLost
    claimedYearHoursLost } }
  savingsReinvested(fiscalYear: $y) { balances { validated allocated unallocated }
    byProcess { amount } } }"""


async def test_no_figure_of_the_demo_has_more_than_its_stated_decimals(demo, gql):
    _, token = demo
    walk = Walk(gql, token)
    catalogue = await walk.ask(
        "{ measures(first: 100) { edges { node { id code unit level frequency } } } "
        "schools(first: 20) { edges { node { id } } } }"
    )
    measures = [e["node"] for e in catalogue["measures"]["edges"]]
    schools = [e["node"]["id"] for e in catalogue["schools"]["edges"]]
    years = range(TODAY.year - 2, TODAY.year + 2)  # 2024-25 .. 2026-27 and the one before
    for view in ("DASHBOARD", "SCOREBOARD"):
        for year in years:
            for school in [None, *schools]:
                await walk.ask(SCORECARD, v=view, y=year, s=school)
    hours = set()
    for measure in measures:
        scopes = [None, *schools] if measure["level"] == "SCHOOL" else [None]
        for school in scopes:
            chart = await walk.ask(CHART, m=measure["id"], s=school)
            if measure["level"] == "SCHOOL" and school is None:
                periods = [p["periodStart"] for p in chart["controlChart"]["points"]][-24:]
                for period in periods:
                    await walk.ask(COMPARISON, m=measure["id"], p=period)
        if measure["unit"] == "HOURS":
            hours.add(measure["code"])
    for year in (2025, 2026, 2027):
        for grouping in ("SCHOOL", "ROUTE", "MONTH"):
            await walk.ask(TIME_LOSS, y=year, g=grouping)
        await walk.ask(SAVINGS, y=year)
    practices = await walk.ask("{ practices { id } gainsAcrossDistrict { totalSavingsUsd "
                               "measures { medianGain } } }")  # fmt: skip
    for practice in practices["practices"]:
        await walk.ask(
            "query($p: ID!) { practice(id: $p) { adoptions { savingsUsd gains { before after "
            "gain } } } }",
            p=practice["id"],
        )
    await walk.ask(
        "{ opportunities(first: 50) { edges { node { priorityScore estimatedSavings } } } "
        "projects(first: 50) { edges { node { baseline target savings { amount } } } } }"
    )

    assert walk.answers > 500 and len(walk.floats) > 20_000  # the walk saw the whole demo
    assert walk.too_precise() == []
    # Hours keep their two decimals wherever a measure's values are served.
    assert hours == {"TL-PD-HOURS", "SS-MENTOR-HOURS", "TRN-INSTR-HOURS-LOST",
                     "TRN-STUDENT-INSTR-HOURS-LOST"}  # fmt: skip


def test_decimals_are_read_as_the_api_wrote_them():
    assert decimals_of(119.25000000000001) == 14
    assert decimals_of(82.1667) == 4
    assert decimals_of(5.0) == 0
    assert decimals_of(1e-05) == 5
