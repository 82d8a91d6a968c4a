"""savingsSummary over HTTP: figures worked out by hand, reversals netting out, fiscal years
named per district, and computedAt moving past each write once the worker has run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from district_ppm.tenancy.models import Role
from tests.support.improvement import REQUEST_TOLLGATE
from tests.support.measures import count_statements, create_school, queries
from tests.support.savings import (
    new_adoption,
    new_process,
    new_project,
    op,
    record,
    reverse,
    rollup,
    summary,
    validate,
)


def totals(
    hard_validated: str,
    total_usd: str,
    validated_usd: str,
    total_hours: str,
    validated_hours: str,
) -> dict[str, str]:
    return {
        "hardValidated": hard_validated,
        "totalUsd": total_usd,
        "validatedUsd": validated_usd,
        "totalHours": total_hours,
        "validatedHours": validated_hours,
    }


def row(category: str, status: str, unit: str, amount: str) -> dict[str, str]:
    return {"category": category, "status": status, "unit": unit, "amount": amount}


async def test_a_july_district_fiscal_year_summed_by_hand(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district(fiscal_year_start_month=7)
    lead = await factory.token(district_id, Role.IMPROVEMENT_LEAD)
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    buses = await new_process(gql, admin, "4.2", kind="OPERATIONAL")
    teaching = await new_process(gql, admin, "1.1")
    lincoln = await create_school(gql, admin, "Lincoln")
    grant = await create_school(gql, admin, "Grant")
    late_buses = await new_project(gql, admin, "Late buses", processId=buses)
    tutoring = await new_project(gql, admin, "Tutoring", processId=teaching)
    meals = await new_project(gql, admin, "Meals")
    practice, adoption = await new_adoption(app_sessionmaker, district_id, grant, late_buses)

    async def realized(project: str, **fields: Any) -> dict[str, Any]:
        return await record(gql, lead, project, **fields)

    async def validated(project: str, **fields: Any) -> dict[str, Any]:
        entry = await realized(project, **fields)
        return await validate(gql, finance, entry["id"])

    # Late buses
    await validated(late_buses, amount="1000", schoolId=lincoln)
    await realized(late_buses, amount="250")
    await realized(
        late_buses, category="COST_AVOIDANCE", amount="400", status="PROJECTED", schoolId=lincoln
    )
    await validated(
        late_buses, category="INSTRUCTIONAL_TIME", unit="HOURS", amount="120.5", adoptionId=adoption
    )
    wrong = await validated(late_buses, amount="300", schoolId=grant)
    await reverse(gql, finance, wrong["id"])
    await validated(late_buses, amount="5000", fiscalYear=2025)
    # Tutoring
    await realized(tutoring, category="SOFT", unit="HOURS", amount="80", schoolId=grant)
    await validated(tutoring, category="SOFT", amount="500")
    doubtful = await realized(tutoring, amount="90")
    await reverse(gql, lead, doubtful["id"])
    await realized(tutoring, amount="60", fiscalYear=2027)
    # Meals
    await validated(meals, amount="700")
    await rollup(app_sessionmaker, district_id)

    found = await summary(gql, admin, 2026)

    assert found["fiscalYear"] == 2026
    assert found["rows"] == [
        row("HARD", "REALIZED", "USD", "250.00"),  # 250 + 90 - 90
        row("HARD", "VALIDATED", "USD", "1700.00"),  # 1000 + 300 - 300 + 700
        row("COST_AVOIDANCE", "PROJECTED", "USD", "400.00"),
        row("SOFT", "REALIZED", "HOURS", "80.00"),
        row("SOFT", "VALIDATED", "USD", "500.00"),
        row("INSTRUCTIONAL_TIME", "VALIDATED", "HOURS", "120.50"),
    ]
    late_buses_totals = totals("1000.00", "1250.00", "1000.00", "120.50", "120.50")
    tutoring_totals = totals("0.00", "500.00", "500.00", "80.00", "0.00")
    assert [
        (p["project"]["title"], {k: p[k] for k in p if k != "project"}) for p in found["byProject"]
    ] == [
        ("Late buses", late_buses_totals),
        ("Meals", totals("700.00", "700.00", "700.00", "0.00", "0.00")),
        ("Tutoring", tutoring_totals),
    ]
    assert found["byProcess"] == [
        {"processId": buses, **late_buses_totals},
        {"processId": teaching, **tutoring_totals},
    ]
    assert found["bySchool"] == [
        {"schoolId": lincoln, **totals("1000.00", "1000.00", "1000.00", "0.00", "0.00")},
        {"schoolId": grant, **totals("0.00", "0.00", "0.00", "200.50", "120.50")},
    ]
    assert found["byPractice"] == [
        {"practiceId": practice, **totals("0.00", "0.00", "0.00", "120.50", "120.50")}
    ]
    earlier = await summary(gql, admin, 2025)
    assert earlier["rows"] == [row("HARD", "VALIDATED", "USD", "5000.00")]
    assert [p["project"]["title"] for p in earlier["byProject"]] == ["Late buses"]


async def test_an_october_district_sums_each_fiscal_year_by_its_own_name(
    gql, factory, app_sessionmaker
):
    # FY2027 runs October 2026 - September 2027 here: October 2026 (month 10) and September
    # 2027 (month 9) are both in it; September 2026 is the last month of FY2026.
    district_id, admin = await factory.district(fiscal_year_start_month=10)
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    october = await record(gql, admin, project, amount="100.10", fiscalYear=2027, month=10)
    await validate(gql, finance, october["id"])
    await record(gql, admin, project, amount="20.02", fiscalYear=2027, month=9, status="PROJECTED")
    await record(gql, admin, project, amount="3.03", fiscalYear=2026, month=9)
    await rollup(app_sessionmaker, district_id)

    fy2027 = await summary(gql, admin, 2027)
    fy2026 = await summary(gql, admin, 2026)

    assert fy2027["rows"] == [
        row("HARD", "PROJECTED", "USD", "20.02"),
        row("HARD", "VALIDATED", "USD", "100.10"),
    ]
    assert [{k: p[k] for k in p if k != "project"} for p in fy2027["byProject"]] == [
        totals("100.10", "100.10", "100.10", "0.00", "0.00")
    ]
    assert fy2026["rows"] == [row("HARD", "REALIZED", "USD", "3.03")]


async def test_a_reversal_nets_the_summary_to_zero(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district()
    project = await new_project(gql, admin)
    entry = await record(gql, admin, project, amount="99.99")
    await reverse(gql, admin, entry["id"])
    await rollup(app_sessionmaker, district_id)

    found = await summary(gql, admin, 2026)

    assert found["rows"] == [row("HARD", "REALIZED", "USD", "0.00")]
    assert [{k: p[k] for k in p if k != "project"} for p in found["byProject"]] == [
        totals("0.00", "0.00", "0.00", "0.00", "0.00")
    ]


async def test_computed_at_is_null_before_the_first_run_and_moves_past_each_write(
    gql, factory, app_sessionmaker
):
    district_id, admin = await factory.district()
    project = await new_project(gql, admin)
    first = await record(gql, admin, project, amount="10")

    before = await summary(gql, admin, 2026)
    await rollup(app_sessionmaker, district_id)
    computed = await summary(gql, admin, 2026)
    second = await record(gql, admin, project, amount="5")
    stale = await summary(gql, admin, 2026)
    await rollup(app_sessionmaker, district_id)
    fresh = await summary(gql, admin, 2026)

    assert (before["computedAt"], before["rows"], before["byProject"]) == (None, [], [])
    assert when(computed["computedAt"]) > when(first["recordedAt"])
    assert computed["rows"] == [row("HARD", "REALIZED", "USD", "10.00")]
    assert stale == computed  # served as stored until the worker runs
    assert when(fresh["computedAt"]) > when(second["recordedAt"])
    assert fresh["rows"] == [row("HARD", "REALIZED", "USD", "15.00")]


def when(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_a_summary_for_a_year_out_of_range_is_bad_input(gql, factory):
    _, admin = await factory.district()

    result = await op(gql, "SavingsSummary", {"fiscalYear": 99}, admin)

    assert [e["extensions"] for e in result["errors"]] == [
        {"code": "BAD_INPUT", "field": "fiscalYear"}
    ]


async def test_the_summary_reads_only_what_is_selected_fragments_included(gql, factory, app):
    district_id, admin = await factory.district()
    project = await new_project(gql, admin, "Late buses")
    await record(gql, admin, project, amount="12.34")
    await rollup(app.state.sessionmaker, district_id)
    rows_only = "query { savingsSummary(fiscalYear: 2026) { rows { amount } } }"
    through_fragments = """
    query { savingsSummary(fiscalYear: 2026) { ...Totals } }
    fragment Totals on SavingsSummary { byProject { ... on ProjectSavings { ...Named } } }
    fragment Named on ProjectSavings { projectId project { title } totalUsd }
    """

    with count_statements(app) as light:
        small = await gql(rows_only, token=admin)
    with count_statements(app) as full:
        named = await gql(through_fragments, token=admin)

    assert small == {"data": {"savingsSummary": {"rows": [{"amount": "12.34"}]}}}
    assert named == {
        "data": {
            "savingsSummary": {
                "byProject": [
                    {"projectId": project, "project": {"title": "Late buses"}, "totalUsd": "12.34"}
                ]
            }
        }
    }
    # rows and computedAt; then also the projects' roll-ups and the projects
    assert (len(queries(light)), len(queries(full))) == (2, 4)


async def test_a_summarys_projects_read_every_field_as_the_project_query_does(gql, factory, app):
    """byProject's projects are read from plain rows, not the ORM: every field, the enum,
    the array, the dates and the pending tollgate request included, is what ``project``
    answers."""
    district_id, admin = await factory.district()
    buses = await new_process(gql, admin, "4.2", kind="OPERATIONAL")
    project = await new_project(
        gql, admin, "Late buses", processId=buses, baseline=12.5, target=4.0
    )
    updated = await gql(
        """mutation($input: UpdateProjectInput!) { updateProject(input: $input) {
             project { id } } }""",
        {
            "input": {
                "projectId": project,
                "scope": "Routes 1-9",
                "sponsor": "Ms. Ortiz",
                "lead": "Mr. Lee",
                "team": ["Ana", "Bo"],
                "baselineSchoolYear": 2026,
            }
        },
        token=admin,
    )
    assert "errors" not in updated, updated
    requested = await gql(
        REQUEST_TOLLGATE, {"input": {"projectId": project, "note": "ready"}}, token=admin
    )
    assert "errors" not in requested, requested
    await record(gql, admin, project, amount="12.34")
    await rollup(app.state.sessionmaker, district_id)
    fields = """id title phase processId primaryMeasureId problemStatement goalStatement scope
      baseline target baselineSchoolYear sponsor lead team createdAt
      tollgateRequest { requestedAt requestedBy note }"""

    by_project = f"byProject {{ project {{ {fields} }} }}"
    summarized = await gql(
        f"query {{ savingsSummary(fiscalYear: 2026) {{ {by_project} }} }}", token=admin
    )
    alone = await gql(
        f"query($id: ID!) {{ project(id: $id) {{ {fields} }} }}", {"id": project}, token=admin
    )

    (line,) = summarized["data"]["savingsSummary"]["byProject"]
    assert line["project"] == alone["data"]["project"]
    assert line["project"]["team"] == ["Ana", "Bo"]
    assert line["project"]["tollgateRequest"]["note"] == "ready"
