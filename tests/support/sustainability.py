"""Shared set-up moved from test_sustainability.py."""

from __future__ import annotations

from typing import Any

PLAN_FIELDS = """
  id projectId reviewCadence startDate measureIds owner responsePlan durationMonths endDate
  controlMeasures { measureId code direction reviewFrequency target }
  reviews { reviewedOn reviewer result notes }
"""


CREATE_PLAN = f"""
mutation($input: CreateSustainabilityPlanInput!) {{
  createSustainabilityPlan(input: $input) {{ plan {{ {PLAN_FIELDS} }} }}
}}
"""


LOG_REVIEW = f"""
mutation($input: LogReviewInput!) {{
  logSustainabilityReview(input: $input) {{ plan {{ {PLAN_FIELDS} }} }}
}}
"""


COMPLIANCE = """
query($asOf: Date) {
  sustainabilityCompliance(asOf: $asOf) {
    plan { id projectId } status failedChecks asOf computedAt
  }
}
"""


def plan_input(project_id: str, measure_ids: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        "projectId": project_id,
        "measureIds": measure_ids,
        "reviewCadence": "QUARTERLY",
        "startDate": "2025-01-01",
        "responsePlan": "Re-run the route audit when a point goes out of control.",
        **overrides,
    }


async def create_plan(gql: Any, token: str, project_id: str, measure_ids: list[str], **kw: Any):  # type: ignore[no-untyped-def]
    result = await gql(
        CREATE_PLAN, {"input": plan_input(project_id, measure_ids, **kw)}, token=token
    )
    assert "errors" not in result, result
    return result["data"]["createSustainabilityPlan"]["plan"]


async def log_review(gql: Any, token: str, plan_id: str, day: str, **kw: Any) -> dict[str, Any]:
    return await gql(  # type: ignore[no-any-return]
        LOG_REVIEW,
        {"input": {"planId": plan_id, "reviewedOn": day, "result": "on track", **kw}},
        token=token,
    )
