"""createProcess, processes, applyProcessTemplate over HTTP."""

from __future__ import annotations

from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.measures import count_statements, queries

CREATE = """
mutation($input: CreateProcessInput!) {
  createProcess(input: $input) { process { id code name kind isKey parent { code } } }
}
"""
TREE = """
{ processes { code name kind isKey parent { code } children { code children { code } } } }
"""
TEMPLATE = "mutation { applyProcessTemplate { processesCreated measuresCreated } }"


async def test_admin_builds_a_tree_read_in_one_statement(gql, factory, app):
    district_id, token = await factory.district()
    root = await gql(
        CREATE,
        {"input": {"code": "4", "name": "Transportation", "kind": "OPERATIONAL"}},
        token=token,
    )
    root_id = root["data"]["createProcess"]["process"]["id"]
    for code in ("4.10", "4.2"):
        child = await gql(
            CREATE,
            {
                "input": {
                    "code": code,
                    "name": f"Step {code}",
                    "kind": "OPERATIONAL",
                    "isKey": True,
                    "parentId": root_id,
                }
            },
            token=token,
        )
        assert child["data"]["createProcess"]["process"]["parent"] == {"code": "4"}
    viewer = await factory.token(district_id, Role.VIEWER)

    with count_statements(app) as statements:
        tree = (await gql(TREE, token=viewer))["data"]["processes"]

    assert [p["code"] for p in tree] == ["4", "4.2", "4.10"]
    assert tree[0]["children"] == [
        {"code": "4.2", "children": []},
        {"code": "4.10", "children": []},
    ]
    assert tree[1]["parent"] == {"code": "4"} and tree[1]["isKey"] is True
    assert len(queries(statements)) == 1


async def test_create_process_errors_and_roles(gql, factory):
    district_id, token = await factory.district()
    await gql(CREATE, {"input": {"code": "1", "name": "T&L", "kind": "INSTRUCTIONAL"}}, token=token)

    duplicate = await gql(
        CREATE, {"input": {"code": "1", "name": "x", "kind": "MANAGEMENT"}}, token=token
    )
    bad_code = await gql(
        CREATE, {"input": {"code": "1..2", "name": "x", "kind": "MANAGEMENT"}}, token=token
    )
    no_parent = await gql(
        CREATE,
        {
            "input": {
                "code": "2",
                "name": "x",
                "kind": "MANAGEMENT",
                "parentId": "00000000-0000-0000-0000-000000000009",
            }
        },
        token=token,
    )
    owner = await factory.token(district_id, Role.PROCESS_OWNER)
    refused = await gql(
        CREATE, {"input": {"code": "3", "name": "x", "kind": "MANAGEMENT"}}, token=owner
    )

    assert duplicate["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "input.code"}
    assert bad_code["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.code"}
    assert no_parent["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "input.parentId"}
    assert error_codes(refused) == ["FORBIDDEN"]


async def test_template_applies_once_with_the_transportation_kpis(gql, factory):
    district_id, token = await factory.district()

    first = await gql(TEMPLATE, token=token)
    again = await gql(TEMPLATE, token=token)
    refused = await gql(TEMPLATE, token=await factory.token(district_id, Role.VIEWER))

    assert first["data"]["applyProcessTemplate"] == {"processesCreated": 22, "measuresCreated": 36}
    assert again["data"]["applyProcessTemplate"] == {"processesCreated": 0, "measuresCreated": 0}
    assert error_codes(refused) == ["FORBIDDEN"]
    tree = (await gql(TREE, token=token))["data"]["processes"]
    transport = next(p for p in tree if p["code"] == "4")
    assert [c["code"] for c in transport["children"]] == ["4.1", "4.2"]
    measures = (
        await gql(
            "{ measures(first: 100) { edges { node { code frequency level stage "
            "direction processId aggregation definition } } } }",
            token=token,
        )
    )["data"]["measures"]
    by_code = {e["node"]["code"]: e["node"] for e in measures["edges"]}
    ids = (await gql("{ processes { id code } }", token=token))["data"]["processes"]
    run_daily_service = next(p["id"] for p in ids if p["code"] == "4.2")
    for code in (
        "TRN-LATE-INSTANCES",
        "TRN-AVG-LATE-MIN",
        "TRN-INSTR-HOURS-LOST",
        "TRN-STUDENT-INSTR-HOURS-LOST",
    ):
        node = by_code[code]
        assert (node["frequency"], node["level"], node["stage"], node["direction"]) == (
            "MONTHLY",
            "SCHOOL",
            "OUTPUT",
            "LOWER_IS_BETTER",
        )
        assert node["processId"] == run_daily_service
        assert node["definition"], f"{code} is created without a definition"
    # District-wide: counts and hours add up; an average pools its late minutes and late
    # runs, and a school rate its two counts (when the values carry them).
    assert {
        code: by_code[code]["aggregation"]
        for code in (
            "TRN-LATE-INSTANCES",
            "TRN-AVG-LATE-MIN",
            "TRN-INSTR-HOURS-LOST",
            "SS-ADA",
            "NUT-MPLH",
            "TEC-TICKET-RESOLVE",
        )
    } == {
        "TRN-LATE-INSTANCES": "SUM",
        "TRN-AVG-LATE-MIN": "RATIO",
        "TRN-INSTR-HOURS-LOST": "SUM",
        "SS-ADA": "RATIO",
        "NUT-MPLH": "RATIO",
        # a DISTRICT-level measure has nothing to aggregate; it keeps the unit's default
        "TEC-TICKET-RESOLVE": "MEAN",
    }


async def test_too_long_owner_is_bad_input(gql, factory):
    _, token = await factory.district()
    process = {"code": "4", "name": "Transportation", "kind": "OPERATIONAL"}

    refused = await gql(CREATE, {"input": {**process, "owner": "x" * 201}}, token=token)
    fits = await gql(CREATE, {"input": {**process, "owner": "x" * 200}}, token=token)

    assert refused["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.owner"}
    assert "errors" not in fits, fits
