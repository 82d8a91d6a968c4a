"""Shared set-up moved from test_practices.py."""

from __future__ import annotations

from typing import Any

CREATE_PRACTICE = """
mutation($input: CreatePracticeInput!) {
  createPractice(input: $input) {
    practice { id title description projectId measureIds adoptions { id } }
  }
}
"""


ADOPT = """
mutation($input: AdoptPracticeInput!) {
  adoptPractice(input: $input) {
    adoption {
      id practiceId school { id name } adoptedOn computedAt
      gains { measureId before after gain }
    }
  }
}
"""


PRACTICE = """
query($id: ID!) {
  practice(id: $id) {
    id title projectId measureIds
    adoptions {
      id practiceId school { id name } adoptedOn computedAt
      gains { measureId before after gain }
    }
  }
}
"""


async def create_practice(gql: Any, token: str, **fields: Any) -> dict[str, Any]:
    result = await gql(CREATE_PRACTICE, {"input": practice_input(**fields)}, token=token)
    assert "errors" not in result, result
    return result["data"]["createPractice"]["practice"]  # type: ignore[no-any-return]


def practice_input(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Attendance calls",
        "description": "A call home on the first day a student is absent.",
        "measureIds": [],
        **fields,
    }
