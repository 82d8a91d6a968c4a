"""A district admin issues, lists and revokes its district's tokens over GraphQL."""

from __future__ import annotations

from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.measures import count_statements
from tests.support.schools import CREATE, school_input

ISSUE = """
mutation Issue($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token apiToken { id name role schoolIds revokedAt } }
}
"""
REVOKE = "mutation($id: ID!) { revokeApiToken(id: $id) { apiToken { id revokedAt } } }"
LIST = "{ apiTokens(first: 500) { edges { node { id name role } } } }"


async def _listed(gql, token: str) -> list[dict]:
    result = await gql(LIST, token=token)
    return [edge["node"] for edge in result["data"]["apiTokens"]["edges"]]


async def test_admin_issues_a_viewer_token_that_works_until_revoked(gql, factory):
    _, admin = await factory.district()

    issued = await gql(ISSUE, {"input": {"name": "Board dashboard", "role": "VIEWER"}}, token=admin)
    token = issued["data"]["createApiToken"]["token"]
    token_id = issued["data"]["createApiToken"]["apiToken"]["id"]
    assert (await gql("{ me { role } }", token=token))["data"]["me"]["role"] == "VIEWER"
    listed = await _listed(gql, admin)
    assert {"id": token_id, "name": "Board dashboard", "role": "VIEWER"} in listed

    revoked = await gql(REVOKE, {"id": token_id}, token=admin)

    assert revoked["data"]["revokeApiToken"]["apiToken"]["revokedAt"] is not None
    assert error_codes(await gql("{ me { role } }", token=token)) == ["UNAUTHENTICATED"]
    assert token_id not in [t["id"] for t in await _listed(gql, admin)]


async def test_school_leader_tokens_need_schools_of_this_district(gql, factory):
    _, admin = await factory.district()
    _, other_admin = await factory.district()
    school = (await gql(CREATE, {"input": school_input()}, token=admin))["data"]["createSchool"]
    foreign = (await gql(CREATE, {"input": school_input()}, token=other_admin))["data"][
        "createSchool"
    ]

    without = await gql(ISSUE, {"input": {"name": "P", "role": "SCHOOL_LEADER"}}, token=admin)
    elsewhere = await gql(
        ISSUE,
        {"input": {"name": "P", "role": "SCHOOL_LEADER", "schoolIds": [foreign["school"]["id"]]}},
        token=admin,
    )
    scoped = await gql(
        ISSUE,
        {"input": {"name": "P", "role": "SCHOOL_LEADER", "schoolIds": [school["school"]["id"]]}},
        token=admin,
    )

    assert without["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.schoolIds"}
    assert elsewhere["errors"][0]["extensions"] == {
        "code": "NOT_FOUND",
        "field": "input.schoolIds.0",
    }
    assert scoped["data"]["createApiToken"]["apiToken"]["schoolIds"] == [school["school"]["id"]]


async def test_only_admins_manage_tokens_and_other_districts_tokens_look_missing(gql, factory):
    district_id, admin = await factory.district()
    _, other_admin = await factory.district()
    viewer = await factory.token(district_id, Role.VIEWER)
    issued = await gql(ISSUE, {"input": {"name": "X", "role": "VIEWER"}}, token=admin)
    token_id = issued["data"]["createApiToken"]["apiToken"]["id"]

    as_viewer = await gql(ISSUE, {"input": {"name": "Y", "role": "DISTRICT_ADMIN"}}, token=viewer)
    cross = await gql(REVOKE, {"id": token_id}, token=other_admin)

    assert error_codes(as_viewer) == ["FORBIDDEN"]
    assert cross["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "id"}
    assert error_codes(await gql(LIST, token=viewer)) == ["FORBIDDEN"]


PAGE = """
query($after: String) {
  apiTokens(first: 2, after: $after, includeRevoked: true) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { name } }
  }
}
"""


async def test_tokens_are_listed_a_page_at_a_time_in_a_fixed_number_of_statements(
    gql, factory, app
):
    _, admin = await factory.district()  # its own token is named "test admin"
    for name in ("c integration", "a dashboard", "b board"):
        await gql(ISSUE, {"input": {"name": name, "role": "VIEWER"}}, token=admin)

    with count_statements(app) as statements:
        first = (await gql(PAGE, token=admin))["data"]["apiTokens"]
    after = first["pageInfo"]["endCursor"]
    second = (await gql(PAGE, {"after": after}, token=admin))["data"]["apiTokens"]

    assert first["totalCount"] == 4 and first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["name"] for e in first["edges"]] == ["a dashboard", "b board"]
    assert [e["node"]["name"] for e in second["edges"]] == ["c integration", "test admin"]
    assert second["pageInfo"]["hasNextPage"] is False
    # the token lookup setting the tenant; the page with its count
    assert len(statements) == 2
    too_many = await gql("{ apiTokens(first: 501) { totalCount } }", token=admin)
    assert too_many["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "first"}
