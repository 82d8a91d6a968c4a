"""Helpers for the improvement API tests: projects and opportunities over GraphQL."""

from __future__ import annotations

from typing import Any

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
