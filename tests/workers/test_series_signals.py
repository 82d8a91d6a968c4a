"""Stored control series (measures.series_signals): the status refresh job stores each series of
the measures sustainability plans check, and the verdicts of a date read a stored one only while
it is exact; otherwise they compute it from the data. Every verdict equals the one computed from
the data, whatever the job has or has not run."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.recording import ComputedValue, record_computed_measurements
from district_ppm.sustainability.compliance import compliance_report, verdicts_on
from tests.support.improvement import create_project
from tests.support.jobs import run_refresh_job, stored_series
from tests.support.measures import SET_TARGET, create_measure, create_school, record
from tests.support.sustainability import create_plan

MONTHS = [date(2024 + i // 12, i % 12 + 1, 1) for i in range(24)]
# In control around 10 (CL 10, sigma-hat 1), with one point far under the LCL in August 2025
# and two months never reported (March and November 2025).
VALUES = {m: 9.436 if i % 2 == 0 else 10.564 for i, m in enumerate(MONTHS)}
VALUES[date(2025, 8, 1)] = 5.0
for gap in (date(2025, 3, 1), date(2025, 11, 1)):
    del VALUES[gap]
# Verdicts as of the first of every month from the plan's start to after the data ends: each
# cuts the charts at another point of their history.
DATES = [date(2025 + i // 12, i % 12 + 1, 1) for i in range(16)]


def rows(values: dict[date, float], school: str | None = None, shift: float = 0.0) -> list[Any]:
    return [
        {"schoolId": school, "periodStart": p.isoformat(), "value": v + shift}
        for p, v in sorted(values.items())
    ]


async def build(gql: Any, factory: Any) -> tuple[uuid.UUID, str, dict[str, str]]:
    """A DISTRICT-level measure (D), a SCHOOL-level MEAN (S) and one weighted by enrollments
    (W) at two schools, and a measure no plan checks (X). One plan checks D, S and W
    district-wide; another checks S and W at the two schools (its project names them); a
    third, D from a later start."""
    district_id, token = await factory.district()
    north = await create_school(gql, token, "North", enrollment=300)
    south = await create_school(gql, token, "South", enrollment=500)
    ids = {
        "D": await create_measure(gql, token, code="D", level="DISTRICT"),
        "S": await create_measure(gql, token, code="S", aggregation="MEAN"),
        "W": await create_measure(gql, token, code="W", aggregation="ENROLLMENT_WEIGHTED_MEAN"),
        "X": await create_measure(gql, token, code="X", level="DISTRICT"),
    }
    for code in ("D", "X"):
        assert "errors" not in await record(gql, token, ids[code], rows(VALUES))
    for code in ("S", "W"):
        at_schools = [*rows(VALUES, north), *rows(VALUES, south, shift=0.5)]
        assert "errors" not in await record(gql, token, ids[code], at_schools)
    # Targets for two school years (a school's own for North): meets_target turns on them.
    for code, school in (("D", None), ("S", None), ("S", north), ("W", None)):
        for year in (2025, 2026):
            target = {"measureId": ids[code], "schoolId": school, "schoolYear": year}
            target |= {"value": 10 if school is None else 9.5, "redThreshold": 9}
            assert "errors" not in await gql(SET_TARGET, {"input": target}, token=token)
    district = await create_project(gql, token, title="District-wide")
    await create_plan(gql, token, district["id"], [ids["D"], ids["S"], ids["W"]])
    schools = await create_project(gql, token, title="Schools", schoolIds=[north, south])
    await create_plan(gql, token, schools["id"], [ids["S"], ids["W"]], startDate="2025-03-01")
    # D again from June: one series, two windows of due periods.
    later = await create_project(gql, token, title="Later")
    await create_plan(gql, token, later["id"], [ids["D"]], startDate="2025-06-01")
    return district_id, token, {**ids, "north": north, "south": south}


async def verdicts(app_sessionmaker: Any, district_id: uuid.UUID, *, computed: bool) -> list[Any]:
    """Every plan's verdict on each of DATES; ``computed``: with every measure marked (in a
    transaction rolled back), so that nothing stored is read."""
    found = []
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        if computed:
            await session.execute(
                text(
                    "INSERT INTO measure_dirty_marks (district_id, measure_id) "
                    "SELECT district_id, id FROM measures"
                )
            )
        for day in DATES:
            together = await compliance_report(session=session, district_id=district_id, as_of=day)
            # And each plan alone: its series are all the computation reads.
            alone = [
                verdict
                for plan in [v.plan for v in together]
                for verdict in await verdicts_on(
                    session=session, district_id=district_id, plans=[plan], as_of=day
                )
            ]
            for verdict in [*together, *alone]:
                found.append((day, verdict.plan.id, verdict.status, verdict.failed_checks))
        await session.rollback()
    return found


async def agree(app_sessionmaker: Any, district_id: uuid.UUID) -> list[Any]:
    answered = await verdicts(app_sessionmaker, district_id, computed=False)
    assert answered == await verdicts(app_sessionmaker, district_id, computed=True)
    return answered


async def falsify(app_sessionmaker: Any, district_id: uuid.UUID, *series: tuple) -> None:
    """Turn the stored charts' answers over (of the ``series`` given as (measure id, school
    id or None), or of every series): verdicts that change came from them."""
    only = " WHERE (measure_id, coalesce(school_id, measure_id)) IN :keys" if series else ""
    keys = tuple((uuid.UUID(m), uuid.UUID(s) if s else uuid.UUID(m)) for m, s in series)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        statement = text(
            "UPDATE measure_series_signals SET out_of_control = "
            "ARRAY(SELECT NOT flag FROM unnest(out_of_control) AS flag)" + only
        )
        if series:
            statement = statement.bindparams(bindparam("keys", expanding=True))
        await session.execute(statement, {"keys": list(keys)} if series else {})
        await session.commit()


async def test_stored_series_give_the_computed_verdicts(gql, factory, app_sessionmaker):
    district_id, _, ids = await build(gql, factory)
    before = await agree(app_sessionmaker, district_id)  # nothing stored: computed
    assert {status for _, _, status, _ in before} >= {"NON_COMPLIANT", "AT_RISK"}
    failed = [check for *_, checks in before for check in checks]
    assert any(check.startswith("meets_target") for check in failed)  # and some met
    assert sum(check.startswith("meets_target") for check in failed) < len(before) * 3

    await run_refresh_job(app_sessionmaker, district_id, full=True)

    stored = await stored_series(app_sessionmaker, district_id)
    d, s, w = (uuid.UUID(ids[code]) for code in "DSW")
    north, south = uuid.UUID(ids["north"]), uuid.UUID(ids["south"])
    # Every series of the checked measures, but W's district-wide one (enrollments move it
    # without a mark) and nothing of X, which no plan checks.
    assert set(stored) == {
        (d, None),
        (s, None),
        (s, north),
        (s, south),
        (w, north),
        (w, south),
    }
    periods, values, out_of_control = stored[(d, None)]
    assert periods == sorted(VALUES) and values == [VALUES[p] for p in periods]
    assert out_of_control[periods.index(date(2025, 8, 1))]  # the chart cut at August
    assert not out_of_control[0]
    assert await agree(app_sessionmaker, district_id) == before

    await falsify(app_sessionmaker, district_id)
    assert await verdicts(app_sessionmaker, district_id, computed=False) != before
    # The windows' counts and latest values come from the stored series too.
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(
            text(
                "UPDATE measure_series_signals "
                "SET periods = '{}', vals = '{}', out_of_control = '{}'"
            )
        )
        await session.commit()
    emptied = await verdicts(app_sessionmaker, district_id, computed=False)
    assert emptied != before
    assert all(
        any(check.startswith("data_current") for check in checks)
        for day, _, _, checks in emptied
        if day.year == 2026
    )


async def test_a_stored_series_is_read_only_while_exact(gql, factory, app_sessionmaker):
    district_id, token, ids = await build(gql, factory)
    await run_refresh_job(app_sessionmaker, district_id, full=True)
    before = await agree(app_sessionmaker, district_id)
    # The series the writes below change (a row whose series and settings are unchanged is
    # not written again: its figures follow from them).
    written_to = [(ids["D"], None), (ids["S"], ids["north"]), (ids["W"], ids["north"])]
    await falsify(app_sessionmaker, district_id, *written_to)
    assert await verdicts(app_sessionmaker, district_id, computed=False) != before

    # A committed write marks its measure: computed until the job has run.
    november = [{"schoolId": None, "periodStart": "2025-11-01", "value": 10.0}]
    assert "errors" not in await record(gql, token, ids["D"], november)
    at_schools = [{"schoolId": ids["north"], "periodStart": "2025-11-01", "value": 10.0}]
    assert "errors" not in await record(gql, token, ids["S"], at_schools)
    assert "errors" not in await record(gql, token, ids["W"], at_schools)
    written = await agree(app_sessionmaker, district_id)
    await run_refresh_job(app_sessionmaker, district_id, full=False)
    assert await agree(app_sessionmaker, district_id) == written

    # A rebase or an exclusion the row was not computed with: computed.
    await falsify(app_sessionmaker, district_id, (ids["D"], None), (ids["S"], ids["north"]))
    assert await verdicts(app_sessionmaker, district_id, computed=False) != written
    rebase = {"measureId": ids["D"], "schoolId": None, "periodStart": "2024-06-01", "text": "new"}
    assert "errors" not in await gql(REBASE, {"input": rebase}, token=token)
    note = {"measureId": ids["S"], "schoolId": ids["north"], "periodStart": "2025-08-01"}
    assert "errors" not in await gql(EXCLUDE, {"input": {**note, "text": "strike"}}, token=token)
    settled = await agree(app_sessionmaker, district_id)

    # The nightly run stores what no longer matched; a quiet one writes nothing.
    stale = await stored_series(app_sessionmaker, district_id)
    await run_refresh_job(app_sessionmaker, district_id, full=True)
    fresh = await stored_series(app_sessionmaker, district_id)
    assert {key for key in fresh if fresh[key] != stale[key]} == {
        (uuid.UUID(ids["D"]), None),
        (uuid.UUID(ids["S"]), uuid.UUID(ids["north"])),
    }
    assert await agree(app_sessionmaker, district_id) == settled
    versions = await row_versions(app_sessionmaker, district_id)
    await run_refresh_job(app_sessionmaker, district_id, full=True)
    assert await row_versions(app_sessionmaker, district_id) == versions


async def test_rows_of_a_measure_no_plan_checks_any_more_go(
    gql, factory, app_sessionmaker, admin_sessionmaker
):
    district_id, token, ids = await build(gql, factory)
    await run_refresh_job(app_sessionmaker, district_id, full=True)
    d = uuid.UUID(ids["D"])
    assert (d, None) in await stored_series(app_sessionmaker, district_id)

    # The API has no way to take a control measure off a plan (yet): as the owner.
    async with admin_sessionmaker() as session:
        await session.execute(
            text("DELETE FROM sustainability_plan_measures WHERE measure_id = :d"), {"d": d}
        )
        await session.commit()
    december = [{"schoolId": None, "periodStart": "2025-12-01", "value": 3.0}]
    assert "errors" not in await record(gql, token, ids["D"], december)
    await run_refresh_job(app_sessionmaker, district_id, full=False)

    # Its marks were taken without storing it: a row left behind would be trusted, and stale,
    # once a plan checks the measure again.
    assert (d, None) not in await stored_series(app_sessionmaker, district_id)


EXCLUDE = "mutation($input: ChartNoteInput!) { excludeChartPoint(input: $input) { __typename } }"
REBASE = "mutation($input: ChartNoteInput!) { rebaseControlChart(input: $input) { __typename } }"


async def row_versions(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[str, str]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(text("SELECT id, xmin::text FROM measure_series_signals"))
        return {str(row[0]): row[1] for row in rows}


async def test_a_series_off_its_measure_s_calendar_is_not_stored(gql, factory, app_sessionmaker):
    """A worker's computed values are written as the worker vouches for them: monthly values
    in a QUARTERLY measure. A window's periods would then not count its due quarters, so the
    series is computed, with the verdicts the data give."""
    district_id, token = await factory.district()
    quarterly = await create_measure(gql, token, code="Q", level="DISTRICT", frequency="QUARTERLY")
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await record_computed_measurements(
            session=session,
            district_id=district_id,
            measure_id=uuid.UUID(quarterly),
            values=[ComputedValue(None, month, value) for month, value in sorted(VALUES.items())],
        )
        await session.commit()
    project = await create_project(gql, token, title="Quarterly")
    await create_plan(gql, token, project["id"], [quarterly])
    before = await agree(app_sessionmaker, district_id)

    await run_refresh_job(app_sessionmaker, district_id, full=True)

    assert await stored_series(app_sessionmaker, district_id) == {}
    assert await agree(app_sessionmaker, district_id) == before


async def test_a_district_mean_sums_its_schools_in_one_order(gql, factory, app_sessionmaker):
    """Four schools' mean whose fourth decimal rounds one way or the other with the order of
    the sum (50.7029 in school id order, 50.703 in another), against a target of 50.703: the
    stored series and the one computed from the data sum a period's schools in id order."""
    district_id, token = await factory.district()
    schools = sorted([await create_school(gql, token, f"S{k}") for k in range(4)], key=uuid.UUID)
    mean = await create_measure(gql, token, code="M", aggregation="MEAN")
    school_values = [22.6617, 87.5491, 27.31, 65.291]
    for school, value in reversed(
        list(zip(schools, school_values, strict=True))
    ):  # newest id first
        monthly = {date(2025, month, 1): value for month in range(1, 10)}
        assert "errors" not in await record(gql, token, mean, rows(monthly, school))
    target = {"measureId": mean, "schoolYear": 2026, "value": 50.703, "redThreshold": 40}
    assert "errors" not in await gql(SET_TARGET, {"input": target}, token=token)
    project = await create_project(gql, token, title="Mean")
    await create_plan(gql, token, project["id"], [mean])
    before = await agree(app_sessionmaker, district_id)

    await run_refresh_job(app_sessionmaker, district_id, full=True)

    (periods, values, _) = (await stored_series(app_sessionmaker, district_id))[
        (uuid.UUID(mean), None)
    ]
    assert values[periods.index(date(2025, 9, 1))] == 50.7029
    assert await agree(app_sessionmaker, district_id) == before
    october = [checks for day, _, _, checks in before if day == date(2025, 10, 1)]
    assert october and all("meets_target:M" in checks for checks in october)
