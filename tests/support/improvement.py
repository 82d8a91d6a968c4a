"""Helpers for the improvement API tests: projects and opportunities over GraphQL."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction

PROJECT_FIELDS = """
  id title phase processId primaryMeasureId problemStatement goalStatement scope
  baseline target baselineSchoolYear sponsor lead team schoolIds opportunityId createdAt
  tollgateRequest { requestedAt requestedBy note }
  tollgates { fromPhase toPhase approvedAt approvedBy note requestedAt requestedBy }
"""
CREATE_PROJECT = f"""
mutation($input: CreateProjectInput!) {{
  createProject(input: $input) {{ project {{ {PROJECT_FIELDS} }} }}
}}
"""
PROJECT = f"query($id: ID!) {{ project(id: $id) {{ {PROJECT_FIELDS} }} }}"
PROJECTS = """
query($first: Int, $after: String) {
  projects(first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title phase } }
  }
}
"""
REQUEST_TOLLGATE = f"""
mutation($input: RequestTollgateInput!) {{
  requestTollgate(input: $input) {{ project {{ {PROJECT_FIELDS} }} }}
}}
"""
ADVANCE = f"""
mutation($input: AdvancePhaseInput!) {{
  advanceProjectPhase(input: $input) {{ project {{ {PROJECT_FIELDS} }} }}
}}
"""


def project_input(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Late buses",
        "problemStatement": "Buses arrive after the first bell.",
        "goalStatement": "No bus later than the first bell.",
        **overrides,
    }


async def create_project(gql: Any, token: str, **overrides: Any) -> dict[str, Any]:
    result = await gql(CREATE_PROJECT, {"input": project_input(**overrides)}, token=token)
    assert "errors" not in result, result
    return result["data"]["createProject"]["project"]  # type: ignore[no-any-return]


UPDATE_PROJECT = f"""
mutation($input: UpdateProjectInput!) {{
  updateProject(input: $input) {{ project {{ {PROJECT_FIELDS} }} }}
}}
"""
OPPORTUNITY_FIELDS = """
  id title description source processId measureId impact effort alignment estimatedSavings
  priorityScore quadrant status projectId createdAt createdBy
"""
CREATE_OPPORTUNITY = f"""
mutation($input: CreateOpportunityInput!) {{
  createOpportunity(input: $input) {{ opportunity {{ {OPPORTUNITY_FIELDS} }} }}
}}
"""
FROM_MEASURE = f"""
mutation($input: CreateOpportunityFromMeasureInput!) {{
  createOpportunityFromMeasure(input: $input) {{ opportunity {{ {OPPORTUNITY_FIELDS} }} }}
}}
"""
SET_STATUS = f"""
mutation($input: SetOpportunityStatusInput!) {{
  setOpportunityStatus(input: $input) {{ opportunity {{ {OPPORTUNITY_FIELDS} }} }}
}}
"""
CONVERT = f"""
mutation($input: ConvertOpportunityInput!) {{
  convertOpportunity(input: $input) {{ project {{ {PROJECT_FIELDS} }} }}
}}
"""
OPPORTUNITY = f"query($id: ID!) {{ opportunity(id: $id) {{ {OPPORTUNITY_FIELDS} }} }}"
OPPORTUNITIES = f"""
query($first: Int, $after: String) {{
  opportunities(first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ {OPPORTUNITY_FIELDS} }} }}
  }}
}}
"""


def opportunity_input(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Re-route the late buses",
        "source": "STAFF_IDEA",
        "impact": 4,
        "effort": 2,
        "alignment": 3,
        **overrides,
    }


async def create_opportunity(gql: Any, token: str, **overrides: Any) -> dict[str, Any]:
    result = await gql(CREATE_OPPORTUNITY, {"input": opportunity_input(**overrides)}, token=token)
    assert "errors" not in result, result
    return result["data"]["createOpportunity"]["opportunity"]  # type: ignore[no-any-return]


async def count_rows(app_sessionmaker: Any, district_id: uuid.UUID, table: str) -> int:
    """Rows of ``table`` in the district, read as the application role (under RLS)."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        count = await session.scalar(
            text(f"SELECT count(*) FROM {table} WHERE district_id = :d"), {"d": district_id}
        )
    return int(count or 0)


async def snapshot(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[str, Any]:
    """Everything this area writes for the district, to compare before and after a refusal."""
    tables = ("projects", "project_schools", "project_tollgates", "opportunities", "audit_events")
    found: dict[str, Any] = {}
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        for table in tables:
            rows = await session.execute(
                text(f"SELECT * FROM {table} WHERE district_id = :d ORDER BY id"),
                {"d": district_id},
            )
            found[table] = [tuple(row) for row in rows.all()]
    return found
