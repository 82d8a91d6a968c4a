"""The worker's verdict history (sustainability.history): served for every date it covers with
exactly the verdict a computation gives, and never once a verdict's input was written since.

The district: ADA (DISTRICT level, monthly, January 2024 to December 2025, out of control in
October 2025), MEALS (SCHOOL level, checked at two schools, one missing August 2025) and
STEPS (DISTRICT level, weekly, 2025's first half) and LUNCH (SCHOOL level, enrollment-weighted,
checked district-wide). Three plans from 2025-01-01: ADA with quarterly reviews, open-ended;
MEALS at both schools with monthly reviews, for twelve months; STEPS, ADA and LUNCH with
school-year reviews. Their verdicts change many times over 2025.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from district_ppm.db.data_version import VERDICT_INPUT_TABLES
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.service import run_job
from district_ppm.measures.models import Frequency
from district_ppm.measures.periods import next_period, period_containing
from district_ppm.sustainability import history
from district_ppm.sustainability.compliance import (
    district_plans,
    evaluate_plans,
    plan_inputs,
    verdicts_on,
)
from district_ppm.sustainability.history import (
    HISTORY_DAYS_AHEAD,
    MAX_JUDGED_DAYS,
    store_verdict_history,
)
from district_ppm.sustainability.jobs import store_verdict_history_job
from district_ppm.sustainability.service import is_checked_on
from district_ppm.tenancy.calendar import district_today
from district_ppm.tenancy.models import Role
from tests.support.improvement import create_project
from tests.support.jobs import pending_jobs, run_refresh_job, stored_series
from tests.support.measures import SET_TARGET, create_measure, create_school, record
from tests.support.sustainability import COMPLIANCE, create_plan, log_review

LOW, HIGH = 9.436, 10.564  # CL 10, sigma-hat exactly 1 (UCL 13, LCL 7)
MONTHS = [date(2024 + i // 12, i % 12 + 1, 1) for i in range(24)]
STEADY = {month: LOW if i % 2 == 0 else HIGH for i, month in enumerate(MONTHS)}
PAST = date(2025, 11, 15)  # ADA's October point is among the last six: NON_COMPLIANT
EXCLUDE = """
mutation($input: ChartNoteInput!) { excludeChartPoint(input: $input) { __typename } }
"""
REBASE = """
mutation($input: ChartNoteInput!) { rebaseControlChart(input: $input) { __typename } }
"""
# Reads a verdict's computation may make besides its inputs' tables, and why they cannot change
# a verdict: the status refresh's copy of each series (read only while exact, as the
# computation from the data would give), its dirty marks, the versions themselves, the history
# (written by the job), and the stored verdicts of today (joined, unused, when computing).
DERIVED_READS = {
    "measure_series_signals",
    "measure_dirty_marks",
    "district_data_versions",
    "plan_verdict_history",
    "verdict_history_state",
    "plan_compliance",
}


def rows(values: dict[date, float], school_id: str | None = None) -> list[dict[str, Any]]:
    return [
        {"schoolId": school_id, "periodStart": p.isoformat(), "value": v}
        for p, v in sorted(values.items())
    ]


async def set_target(gql: Any, token: str, measure_id: str, year: int, value: float) -> None:
    target = {"measureId": measure_id, "schoolYear": year, "value": value, "redThreshold": 9}
    assert "errors" not in await gql(SET_TARGET, {"input": target}, token=token)


async def district_with_plans(gql: Any, factory: Any) -> tuple[uuid.UUID, str, dict[str, str]]:
    """The district above: its id, an admin's token, and the ids of its measures (by code) and
    plans (ada, meals, steps)."""
    district_id, token = await factory.district()
    ada = await create_measure(gql, token, code="ADA", level="DISTRICT")
    meals = await create_measure(gql, token, code="MEALS", level="SCHOOL")
    steps = await create_measure(gql, token, code="STEPS", level="DISTRICT", frequency="WEEKLY")
    for measure in (ada, meals):
        for year in (2025, 2026):
            await set_target(gql, token, measure, year, 10)
    assert "errors" not in await record(gql, token, ada, rows({**STEADY, date(2025, 10, 1): 6.5}))
    north = await create_school(gql, token, "North", enrollment=400)
    south = await create_school(gql, token, "South", enrollment=600)
    assert "errors" not in await record(gql, token, meals, rows(STEADY, north))
    south_values = {p: v for p, v in STEADY.items() if p != date(2025, 8, 1)}
    assert "errors" not in await record(gql, token, meals, rows(south_values, south))
    # Checked district-wide: the schools' series weighted by their enrollments.
    weighted = await create_measure(
        gql, token, code="LUNCH", level="SCHOOL", aggregation="ENROLLMENT_WEIGHTED_MEAN"
    )
    await set_target(gql, token, weighted, 2025, 10)
    assert "errors" not in await record(gql, token, weighted, rows(STEADY, north))
    assert "errors" not in await record(gql, token, weighted, rows(south_values, south))
    week = period_containing(Frequency.WEEKLY, date(2025, 1, 1), 7)
    weeks = {}
    for index in range(26):
        weeks[week] = LOW if index % 2 else HIGH
        week = next_period(Frequency.WEEKLY, week)
    assert "errors" not in await record(gql, token, steps, rows(weeks))

    plans = {}
    project = await create_project(gql, token, title="Attendance")
    plans["ada"] = (await create_plan(gql, token, project["id"], [ada]))["id"]
    for day in ("2025-02-10", "2025-05-10", "2025-08-10"):  # none in the fourth quarter
        assert "errors" not in await log_review(gql, token, plans["ada"], day)
    project = await create_project(gql, token, title="Meals", schoolIds=[north, south])
    plans["meals"] = (
        await create_plan(
            gql, token, project["id"], [meals], reviewCadence="MONTHLY", durationMonths=12
        )
    )["id"]
    for month in range(1, 8):
        day = f"2025-{month:02d}-20"
        assert "errors" not in await log_review(gql, token, plans["meals"], day)
    project = await create_project(gql, token, title="Steps")
    plans["steps"] = (
        await create_plan(
            gql, token, project["id"], [steps, ada, weighted], reviewCadence="SCHOOL_YEAR"
        )
    )["id"]
    return district_id, token, {"ADA": ada, "STEPS": steps, **plans}


async def run_history_job(app_sessionmaker: Any, district_id: uuid.UUID) -> None:
    await run_job(
        sessionmaker=app_sessionmaker,
        district_id=district_id,
        actor_name=store_verdict_history_job.name,
        message_id=f"test-{uuid.uuid4()}",
        body=store_verdict_history_job.handler,
    )


async def served_from_history(
    app_sessionmaker: Any, district_id: uuid.UUID, day: date
) -> set[uuid.UUID]:
    """The plans (checked on ``day``) whose verdict of ``day`` a read would serve as stored."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        plans = [
            p for p in await district_plans(session, district_id, None) if is_checked_on(p, day)
        ]
        inputs = await plan_inputs(
            session=session,
            district_id=district_id,
            plan_ids=[p.id for p in plans],
            as_of=day,
            serve_stored=True,
        )
        return set(inputs.stored)


async def computed_verdicts(
    session: Any, district_id: uuid.UUID, plans: list[Any], day: date
) -> list[Any]:
    """The plans' verdicts of ``day`` computed now, whatever is stored."""
    inputs = await plan_inputs(
        session=session,
        district_id=district_id,
        plan_ids=[plan.id for plan in plans],
        as_of=day,
        serve_stored=False,
    )
    return await evaluate_plans(
        session=session, district_id=district_id, plans=plans, as_of=day, inputs=inputs
    )


async def verdicts_of(gql: Any, token: str, day: date) -> dict[str, tuple[str, list[str], str]]:
    result = await gql(COMPLIANCE, {"asOf": day.isoformat()}, token=token)
    assert "errors" not in result, result
    return {
        row["plan"]["id"]: (row["status"], row["failedChecks"], row["computedAt"])
        for row in result["data"]["sustainabilityCompliance"]
    }


@pytest.mark.parametrize("series", ["computed", "stored by the status refresh"])
async def test_every_day_the_history_serves_the_verdict_a_computation_gives(
    gql, factory, app_sessionmaker, series
):
    district_id, _, _ = await district_with_plans(gql, factory)
    if series != "computed":  # the series the verdicts read as the refresh stored them
        await run_refresh_job(app_sessionmaker, district_id, full=True)
        assert await stored_series(app_sessionmaker, district_id)
    await run_history_job(app_sessionmaker, district_id)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        ranges = (await session.execute(text("SELECT count(*) FROM plan_verdict_history"))).scalar()
        today = await district_today(session=session, district_id=district_id)
        plans = await district_plans(session, district_id, None)
        horizon = today + timedelta(days=HISTORY_DAYS_AHEAD)
        # Every day from before the plans' start to past the horizon.
        days = [date(2024, 12, 30) + timedelta(days=n) for n in range(800)]
        days = [day for day in days if day <= horizon + timedelta(days=2)]
        assert days[-1] == horizon + timedelta(days=2)
        changes = set()
        for day in days:
            checked = [plan for plan in plans if is_checked_on(plan, day)]
            served = await verdicts_on(
                session=session, district_id=district_id, plans=checked, as_of=day
            )
            plan_ids = [plan.id for plan in checked]
            computed = await computed_verdicts(session, district_id, checked, day)
            stored = await plan_inputs(
                session=session,
                district_id=district_id,
                plan_ids=plan_ids,
                as_of=day,
                serve_stored=True,
            )
            expected = [(v.plan.id, v.status, v.failed_checks) for v in computed]
            assert [(v.plan.id, v.status, v.failed_checks) for v in served] == expected, day
            assert all(v.as_of == day for v in served)
            # Served from the history up to its horizon, computed after it.
            assert set(stored.stored) == (set(plan_ids) if day <= horizon else set()), day
            changes.add(tuple(expected))

    # Not a constant: the verdicts moved many times, and the history holds ranges, not days.
    assert len(changes) >= 10
    assert 3 < ranges < 100


@pytest.mark.parametrize("write", ["measurement", "target", "review", "exclusion", "rebase"])
async def test_a_write_to_a_verdicts_input_stops_the_history_at_once(
    gql, factory, app_sessionmaker, write
):
    district_id, token, ids = await district_with_plans(gql, factory)
    await run_history_job(app_sessionmaker, district_id)
    assert len(await served_from_history(app_sessionmaker, district_id, PAST)) == 3
    before = await verdicts_of(gql, token, PAST)

    ada = ids["ADA"]
    if write == "measurement":  # October back in control
        written = await record(gql, token, ada, rows({date(2025, 10, 1): 10.0}))
    elif write == "target":  # October's 6.5 meets a target of 6 for school year 2026
        target = {"measureId": ada, "schoolYear": 2026, "value": 6, "redThreshold": 5}
        written = await gql(SET_TARGET, {"input": target}, token=token)
    elif write == "review":
        written = await log_review(gql, token, ids["ada"], "2025-11-02")
    else:
        note = {"measureId": ada, "periodStart": "2025-10-01", "text": "snow day"}
        written = await gql(
            EXCLUDE if write == "exclusion" else REBASE, {"input": note}, token=token
        )
    assert "errors" not in written, written

    # No plan's verdict is served from the history: every one is computed, and shows the write.
    assert await served_from_history(app_sessionmaker, district_id, PAST) == set()
    # And the write queued what brings the history back (the refresh, or the check).
    queued = {name for name, _ in await pending_jobs(app_sessionmaker, district_id)}
    assert queued & {"refresh_measure_status", "check_sustainability"}, queued
    after = await verdicts_of(gql, token, PAST)
    if write in ("measurement", "target", "exclusion"):
        assert before[ids["ada"]][:2] != after[ids["ada"]][:2]
    assert all(after[plan][2] > before[plan][2] for plan in after)  # computed now

    # The worker's next run covers the write.
    await run_history_job(app_sessionmaker, district_id)
    assert len(await served_from_history(app_sessionmaker, district_id, PAST)) == 3
    assert {p: v[:2] for p, v in (await verdicts_of(gql, token, PAST)).items()} == {
        p: v[:2] for p, v in after.items()
    }


async def test_a_write_to_anything_else_keeps_the_history(gql, factory, app_sessionmaker):
    district_id, token, _ = await district_with_plans(gql, factory)
    await run_history_job(app_sessionmaker, district_id)
    served = await verdicts_of(gql, token, PAST)

    await create_project(gql, token, title="Unrelated")  # a project without a plan
    await factory.token(district_id, Role.VIEWER)  # the operator's write, with no tenant

    assert len(await served_from_history(app_sessionmaker, district_id, PAST)) == 3
    assert await verdicts_of(gql, token, PAST) == served  # computedAt: the worker's


async def test_a_write_committed_while_the_worker_computes_makes_its_history_stale(
    gql, factory, app_sessionmaker, monkeypatch
):
    """The write commits after the job has read the inputs version and before it reads the
    plans and their data: the job's ranges may hold the write, but are not served."""
    district_id, token, ids = await district_with_plans(gql, factory)
    read_plans = history.district_plans
    racing = []

    async def plans_after_a_write(*args: Any) -> Any:
        if not racing:  # October back in control
            racing.append(await record(gql, token, ids["ADA"], rows({date(2025, 10, 1): 10.0})))
        return await read_plans(*args)

    monkeypatch.setattr(history, "district_plans", plans_after_a_write)
    await run_history_job(app_sessionmaker, district_id)
    assert racing and "errors" not in racing[0]

    assert await served_from_history(app_sessionmaker, district_id, PAST) == set()
    _, failed_checks, _ = (await verdicts_of(gql, token, PAST))[ids["ada"]]
    assert "in_control:ADA" not in failed_checks
    monkeypatch.setattr(history, "district_plans", read_plans)
    await run_history_job(app_sessionmaker, district_id)
    assert len(await served_from_history(app_sessionmaker, district_id, PAST)) == 3


async def stored_ranges(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[tuple, tuple]:
    """(plan, valid_from) -> (valid_until, status, failed checks, computed_at, row id)."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text(
                "SELECT plan_id, valid_from, valid_until, status, failed_checks, computed_at, id "
                "FROM plan_verdict_history"
            )
        )
        return {(row[0], row[1]): (row[2], row[3], tuple(row[4]), row[5], row[6]) for row in rows}


def verdicts(ranges: dict[tuple, tuple]) -> dict[tuple, tuple]:
    """The ranges without when and as which row they were stored."""
    return {key: value[:3] for key, value in ranges.items()}


async def from_scratch(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[tuple, tuple]:
    """The ranges a run stores with nothing stored before it."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await session.execute(text("DELETE FROM plan_verdict_history"))
        await session.execute(text("DELETE FROM verdict_history_state"))
        await session.commit()
    await run_history_job(app_sessionmaker, district_id)
    return await stored_ranges(app_sessionmaker, district_id)


async def test_a_run_writes_only_the_ranges_that_changed(gql, factory, app_sessionmaker):
    district_id, token, ids = await district_with_plans(gql, factory)
    await run_history_job(app_sessionmaker, district_id)
    first = await stored_ranges(app_sessionmaker, district_id)

    # Nothing written since: the run finds nothing to do.
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        assert await store_verdict_history(session=session, district_id=district_id) is False

    # A review of the MEALS plan in August: only that plan's ranges from August on change.
    assert "errors" not in await log_review(gql, token, ids["meals"], "2025-08-20")
    await run_history_job(app_sessionmaker, district_id)
    second = await stored_ranges(app_sessionmaker, district_id)

    plans = {key[0] for key in first}
    assert len(plans) == 3
    unchanged = {key for key in first if key in second and first[key] == second[key]}
    moved = {key[0] for key in first.keys() | second.keys() if key not in unchanged}
    assert moved == {uuid.UUID(ids["meals"])}
    assert len(unchanged) > len(first) // 2  # the other plans' rows, untouched
    assert verdicts(second) == verdicts(await from_scratch(app_sessionmaker, district_id))


async def test_a_new_day_judges_everything_again_and_puts_a_wrong_range_right(
    gql, factory, app_sessionmaker
):
    """As if yesterday's run had stored a range a write outside the application then made
    wrong: today's first run judges every day again and rewrites that range alone."""
    district_id, _, _ = await district_with_plans(gql, factory)
    await run_history_job(app_sessionmaker, district_id)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        wrong = (
            await session.execute(
                text(
                    "UPDATE plan_verdict_history SET failed_checks = '{made:up}' WHERE id = "
                    "(SELECT min(id::text)::uuid FROM plan_verdict_history) RETURNING id"
                )
            )
        ).scalar_one()
        await session.execute(text("UPDATE verdict_history_state SET horizon = horizon - 1"))
        await session.commit()
    before = await stored_ranges(app_sessionmaker, district_id)

    await run_history_job(app_sessionmaker, district_id)
    after = await stored_ranges(app_sessionmaker, district_id)

    rewritten = {key for key in before if before[key] != after.get(key)}
    assert {before[key][4] for key in rewritten} == {wrong}
    assert verdicts(after) == verdicts(await from_scratch(app_sessionmaker, district_id))


async def test_a_daily_plan_keeps_its_latest_days_and_earlier_ones_are_computed(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    daily = await create_measure(gql, token, code="DAY", level="DISTRICT", frequency="DAILY")
    first_day = date(2024, 12, 1)
    values = [
        {"periodStart": (first_day + timedelta(days=n)).isoformat(), "value": 10 + n % 2}
        for n in range(700)
    ]
    assert "errors" not in await record(gql, token, daily, values)
    project = await create_project(gql, token, title="Daily")
    await create_plan(gql, token, project["id"], [daily], startDate="2025-01-01")
    await run_history_job(app_sessionmaker, district_id)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        state = (await session.execute(text("SELECT horizon FROM verdict_history_state"))).one()
        earliest = (
            await session.execute(text("SELECT min(valid_from) FROM plan_verdict_history"))
        ).scalar_one()
    # Every day is a day the verdict may change: the latest MAX_JUDGED_DAYS up to the horizon.
    assert earliest == state.horizon - timedelta(days=MAX_JUDGED_DAYS - 1)
    before, after = earliest - timedelta(days=1), earliest
    assert await served_from_history(app_sessionmaker, district_id, before) == set()
    assert len(await served_from_history(app_sessionmaker, district_id, after)) == 1
    for day in (before, after):
        served = await verdicts_of(gql, token, day)
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            plans = await district_plans(session, district_id, None)
            computed = await computed_verdicts(session, district_id, plans, day)
        assert [v[:2] for v in served.values()] == [
            (v.status.value, list(v.failed_checks)) for v in computed
        ]


async def test_runs_racing_with_writes_leave_one_exact_history(gql, factory, app_sessionmaker):
    district_id, token, ids = await district_with_plans(gql, factory)

    async def write(month: int) -> None:
        values = rows({date(2025, month, 1): 10.0})
        assert "errors" not in await record(gql, token, ids["ADA"], values)

    await asyncio.gather(
        run_history_job(app_sessionmaker, district_id),
        write(10),
        run_history_job(app_sessionmaker, district_id),
        write(9),
        run_history_job(app_sessionmaker, district_id),
    )
    await run_history_job(app_sessionmaker, district_id)  # the last word, after every write

    assert len(await served_from_history(app_sessionmaker, district_id, PAST)) == 3
    assert verdicts(await stored_ranges(app_sessionmaker, district_id)) == verdicts(
        await from_scratch(app_sessionmaker, district_id)
    )


async def test_the_history_is_computed_from_its_input_tables_only(gql, factory, app_sessionmaker):
    """Every table the computation reads is one whose writes move the inputs version (or a
    derived one, above): a verdict read from a new table must be added to
    ``data_version.VERDICT_INPUT_TABLES``, with a migration creating its trigger."""
    district_id, _, _ = await district_with_plans(gql, factory)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await store_verdict_history(session=session, district_id=district_id)
        read = set(
            (
                await session.execute(
                    text(
                        "SELECT relname FROM pg_stat_xact_user_tables "
                        "WHERE seq_scan + coalesce(idx_scan, 0) > 0"
                    )
                )
            ).scalars()
        )

    assert {"measurements", "sustainability_plans", "measure_targets"} <= read
    assert read - DERIVED_READS - set(VERDICT_INPUT_TABLES) == set()


async def test_every_input_table_moves_the_inputs_version(admin_sessionmaker):
    async with admin_sessionmaker() as session:
        marked = set(
            (
                await session.execute(
                    text(
                        "SELECT tgrelid::regclass::text FROM pg_trigger "
                        "WHERE tgname = 'ppm_verdict_input' AND NOT tgisinternal"
                    )
                )
            ).scalars()
        )
    assert marked == set(VERDICT_INPUT_TABLES)
