"""Helpers for the people side of the management system's tests: members of a district,
processes, RACI assignments, and the GraphQL documents (as graphql/operations/management.graphql
sends them)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from district_ppm.tenancy import service as tenancy
from district_ppm.tenancy.models import Role

PERSON = "id email displayName role"
ASSIGNMENT = f"""
  id responsibility processId measureId subjectCode subjectName assignedAt assignedBy
  person {{ {PERSON} }}
"""
ASSIGN = f"""
mutation($input: AssignResponsibilityInput!) {{
  assignResponsibility(input: $input) {{ created assignment {{ {ASSIGNMENT} }} }}
}}
"""
UNASSIGN = f"""
mutation($input: UnassignResponsibilityInput!) {{
  unassignResponsibility(input: $input) {{ assignment {{ {ASSIGNMENT} }} }}
}}
"""
ASSIGNMENTS = f"""
query($processId: ID, $measureId: ID) {{
  responsibilityAssignments(processId: $processId, measureId: $measureId) {{ {ASSIGNMENT} }}
}}
"""
PEOPLE = f"""
query($first: Int, $after: String) {{
  people(first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {PERSON} }} }}
  }}
}}
"""
REPORT = f"""
  asOf person {{ {PERSON} }}
  items {{ assignmentId responsibility processId measureId code name red signalling due overdue }}
  attention {{ assignmentId reason measureId measureCode schoolId schoolName periodStart }}
"""
RESPONSIBILITIES = f"""
query($userId: ID, $email: String, $asOf: Date) {{
  responsibilities(userId: $userId, email: $email, asOf: $asOf) {{ {REPORT} }}
}}
"""
MY_RESPONSIBILITIES = f"query($asOf: Date) {{ myResponsibilities(asOf: $asOf) {{ {REPORT} }} }}"
WITHOUT_ACCOUNTABLE = "{ keyProcessesWithoutAccountable { id code name } }"
REMINDERS = """
query($asOf: Date) {
  dataEntryReminders(asOf: $asOf) {
    asOf
    owners { key userId name email due overdue }
    items {
      ownerKey measureId measureCode measureName frequency schoolId schoolName periodStart overdue
    }
  }
}
"""
MATRIX = """
query($processId: ID!, $schoolYear: Int!) {
  processMatrix(processId: $processId, schoolYear: $schoolYear) {
    processId schoolYear
    columns { measureId code name unit direction peerMedians { level median schools } }
    rows { school { id name level } cells { value status rank } }
  }
}
"""
RATING = "element rating action ratedOn notes ratedBy recordedAt"
RATE = f"""
mutation($input: RateElementInput!) {{
  rateManagementElement(input: $input) {{ rating {{ {RATING} }} }}
}}
"""
ASSESSMENT = f"{{ managementAssessment {{ {RATING} }} }}"
HISTORY = f"""
query($element: ManagementElement, $first: Int, $after: String) {{
  managementAssessmentHistory(element: $element, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {RATING} }} }}
  }}
}}
"""
CREATE_PROCESS = """
mutation($input: CreateProcessInput!) { createProcess(input: $input) { process { id } } }
"""


async def add_member(
    factory: Any,
    district_id: uuid.UUID,
    email: str,
    *,
    name: str | None = None,
    role: Role = Role.PROCESS_OWNER,
) -> tuple[str, str]:
    """A person in the district (as the platform operator adds one): (user id, their token).

    Users are platform-wide and matched by e-mail: a test run shares them between districts,
    and a user keeps the name it was first given, so give one e-mail one name everywhere."""
    async with factory.admin_sessionmaker() as session, session.begin():
        membership, token = await tenancy.add_member(
            session=session,
            district_id=district_id,
            email=email,
            display_name=name or email.split("@")[0].title(),
            role=role,
            school_ids=[],
            ttl=timedelta(days=1),
        )
        return str(membership.user_id), token


async def create_process(
    gql: Any, token: str, code: str, *, parent_id: str | None = None, is_key: bool = False
) -> str:
    result = await gql(
        CREATE_PROCESS,
        {
            "input": {
                "code": code,
                "name": f"Process {code}",
                "kind": "OPERATIONAL",
                "isKey": is_key,
                "parentId": parent_id,
            }
        },
        token=token,
    )
    assert "errors" not in result, result
    return result["data"]["createProcess"]["process"]["id"]  # type: ignore[no-any-return]


async def assign(
    gql: Any, token: str, responsibility: str, *, expect_ok: bool = True, **subject: Any
) -> dict[str, Any]:
    """assignResponsibility with ``userId``/``email`` and ``processId``/``measureId``."""
    result = await gql(
        ASSIGN, {"input": {"responsibility": responsibility, **subject}}, token=token
    )
    if expect_ok:
        assert "errors" not in result, result
    return result  # type: ignore[no-any-return]
