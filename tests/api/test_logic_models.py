"""Logic models with "drives" links, customer requirements (CTQs): rules, roles, isolation."""

from __future__ import annotations

from sqlalchemy import select

from district_ppm.audit.models import AuditEvent
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.measures import (
    CREATE_MODEL,
    MODEL_FIELDS,
    count_statements,
    create_measure,
    queries,
)

LINK = f"""
mutation($input: MeasureLinkInput!) {{
  linkMeasures(input: $input) {{ logicModel {{ {MODEL_FIELDS} }} }}
}}
"""
UNLINK = """
mutation($input: MeasureLinkInput!) { unlinkMeasures(input: $input) { logicModel { id } } }
"""
MODEL = f"query($id: ID!) {{ logicModel(id: $id) {{ {MODEL_FIELDS} }} }}"
MODELS = f"{{ logicModels(first: 10) {{ totalCount edges {{ node {{ {MODEL_FIELDS} }} }} }} }}"
CREATE_CTQ = """
mutation($input: CreateCustomerRequirementInput!) {
  createCustomerRequirement(input: $input) {
    customerRequirement { id stakeholderGroup requirement measureId lowerSpecLimit upperSpecLimit }
  }
}
"""
CTQS = """
query($m: ID) { customerRequirements(measureId: $m) {
  totalCount edges { node { stakeholderGroup requirement measureId lowerSpecLimit upperSpecLimit } }
} }
"""


def fields(result):
    return [(e["extensions"]["code"], e["extensions"].get("field")) for e in result["errors"]]


async def tutoring_measures(gql, token):
    return {
        code: await create_measure(gql, token, code=code, stage=stage)
        for code, stage in [
            ("TUTOR-HRS", "INPUT"),
            ("SESSIONS", "OUTPUT"),
            ("ATTENDED", "OUTPUT"),
            ("MATH-PROF", "SHORT_TERM_OUTCOME"),
        ]
    }


async def link(gql, token, model_id, driver, driven):
    return await gql(
        LINK,
        {"input": {"logicModelId": model_id, "driverId": driver, "drivenId": driven}},
        token=token,
    )


async def test_links_run_from_inputs_to_outcomes_without_cycles(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    m = await tutoring_measures(gql, token)

    created = await gql(
        CREATE_MODEL,
        {
            "input": {
                "name": "Middle-school tutoring",
                "description": "Grades 6-8",
                "measureIds": [m["MATH-PROF"]],
            }
        },
        token=token,
    )
    model_id = created["data"]["createLogicModel"]["logicModel"]["id"]
    await link(gql, token, model_id, m["TUTOR-HRS"], m["SESSIONS"])
    await link(gql, token, model_id, m["SESSIONS"], m["ATTENDED"])
    last = await link(gql, token, model_id, m["ATTENDED"], m["MATH-PROF"])

    model = last["data"]["linkMeasures"]["logicModel"]
    assert [(x["code"], x["stage"]) for x in model["measures"]] == [
        ("TUTOR-HRS", "INPUT"),
        ("ATTENDED", "OUTPUT"),
        ("SESSIONS", "OUTPUT"),
        ("MATH-PROF", "SHORT_TERM_OUTCOME"),
    ]
    assert [(x["driver"]["code"], x["driven"]["code"]) for x in model["links"]] == [
        ("ATTENDED", "MATH-PROF"),
        ("SESSIONS", "ATTENDED"),
        ("TUTOR-HRS", "SESSIONS"),
    ]
    backwards = await link(gql, token, model_id, m["MATH-PROF"], m["TUTOR-HRS"])
    cycle = await link(gql, token, model_id, m["ATTENDED"], m["SESSIONS"])
    itself = await link(gql, token, model_id, m["SESSIONS"], m["SESSIONS"])
    again = await link(gql, token, model_id, m["TUTOR-HRS"], m["SESSIONS"])
    same_name = await gql(CREATE_MODEL, {"input": {"name": "Middle-school tutoring"}}, token=token)
    assert fields(backwards) == [("BAD_INPUT", "input.drivenId")]
    assert "cycle" in cycle["errors"][0]["message"]
    assert fields(cycle) == fields(itself) == [("BAD_INPUT", "input.drivenId")]
    assert fields(again) == [("CONFLICT", "input.drivenId")]
    assert fields(same_name) == [("CONFLICT", "input.name")]

    unlink_input = {"logicModelId": model_id, "driverId": m["SESSIONS"], "drivenId": m["ATTENDED"]}
    removed = await gql(UNLINK, {"input": unlink_input}, token=token)
    gone = await gql(UNLINK, {"input": unlink_input}, token=token)
    assert "errors" not in removed and fields(gone) == [("NOT_FOUND", "input.drivenId")]
    read = await gql(MODEL, {"id": model_id}, token=token)
    assert len(read["data"]["logicModel"]["links"]) == 2
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        actions = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.entity_id == model_id)
                .order_by(AuditEvent.created_at)
            )
        )
    assert actions == ["createLogicModel"] + ["linkMeasures"] * 3 + ["unlinkMeasures"]


async def test_roles_and_another_districts_models(gql, factory):
    district_id, token = await factory.district()
    m = await tutoring_measures(gql, token)
    model = await gql(CREATE_MODEL, {"input": {"name": "Tutoring"}}, token=token)
    model_id = model["data"]["createLogicModel"]["logicModel"]["id"]
    viewer = await factory.token(district_id, Role.VIEWER)
    owner = await factory.token(district_id, Role.PROCESS_OWNER)
    leader = await factory.token(district_id, Role.SCHOOL_LEADER)
    _, other = await factory.district()

    assert error_codes(await gql(CREATE_MODEL, {"input": {"name": "X"}}, token=viewer)) == [
        "FORBIDDEN"
    ]
    assert error_codes(await link(gql, leader, model_id, m["TUTOR-HRS"], m["SESSIONS"])) == [
        "FORBIDDEN"
    ]
    assert "errors" not in await link(gql, owner, model_id, m["TUTOR-HRS"], m["SESSIONS"])
    seen = await gql(MODELS, token=viewer)
    assert seen["data"]["logicModels"]["totalCount"] == 1

    assert (await gql(MODEL, {"id": model_id}, token=other))["data"]["logicModel"] is None
    assert (await gql(MODELS, token=other))["data"]["logicModels"]["totalCount"] == 0
    theirs = await gql(
        CREATE_MODEL, {"input": {"name": "Mine", "measureIds": [m["SESSIONS"]]}}, token=other
    )
    foreign = await link(gql, other, model_id, m["TUTOR-HRS"], m["ATTENDED"])
    assert fields(theirs) == [("NOT_FOUND", "input.measureIds.0")]
    assert fields(foreign) == [("NOT_FOUND", "input.logicModelId")]


async def test_logic_models_page_runs_a_fixed_number_of_statements(gql, factory, app):
    counts = []
    for size in (1, 4):
        _, token = await factory.district()
        m = await tutoring_measures(gql, token)
        for index in range(size):
            model = await gql(CREATE_MODEL, {"input": {"name": f"Program {index}"}}, token=token)
            model_id = model["data"]["createLogicModel"]["logicModel"]["id"]
            await link(gql, token, model_id, m["TUTOR-HRS"], m["SESSIONS"])

        with count_statements(app) as statements:
            result = await gql(MODELS, token=token)
        assert len(result["data"]["logicModels"]["edges"]) == size
        counts.append(len(queries(statements)))

    # the page with its count, measures placed, links
    assert counts == [3, 3]


async def test_customer_requirements(gql, factory):
    district_id, token = await factory.district()
    ontime = await create_measure(gql, token, code="ONTIME", unit="PERCENT")
    meals = await create_measure(gql, token, code="MEALS", unit="COUNT")
    viewer = await factory.token(district_id, Role.VIEWER)
    _, other = await factory.district()
    ctq = {
        "stakeholderGroup": "Parents",
        "requirement": "Buses arrive before first bell",
        "measureId": ontime,
        "lowerSpecLimit": 95.0,
    }

    created = await gql(CREATE_CTQ, {"input": ctq}, token=token)
    await gql(
        CREATE_CTQ,
        {
            "input": {
                **ctq,
                "stakeholderGroup": "Students",
                "measureId": meals,
                "requirement": "A hot lunch",
                "upperSpecLimit": 400.0,
            }
        },
        token=token,
    )
    no_limit = await gql(CREATE_CTQ, {"input": {**ctq, "lowerSpecLimit": None}}, token=token)
    crossed = await gql(CREATE_CTQ, {"input": {**ctq, "upperSpecLimit": 90.0}}, token=token)
    by_viewer = await gql(CREATE_CTQ, {"input": ctq}, token=viewer)
    foreign = await gql(CREATE_CTQ, {"input": ctq}, token=other)

    assert created["data"]["createCustomerRequirement"]["customerRequirement"] | {"id": None} == {
        "id": None,
        "stakeholderGroup": "Parents",
        "requirement": "Buses arrive before first bell",
        "measureId": ontime,
        "lowerSpecLimit": 95.0,
        "upperSpecLimit": None,
    }
    assert fields(no_limit) == [("BAD_INPUT", "input.lowerSpecLimit")]
    assert fields(crossed) == [("BAD_INPUT", "input.upperSpecLimit")]
    assert error_codes(by_viewer) == ["FORBIDDEN"]
    assert fields(foreign) == [("NOT_FOUND", "input.measureId")]
    of_ontime = await gql(CTQS, {"m": ontime}, token=viewer)
    assert [
        n["node"]["stakeholderGroup"] for n in of_ontime["data"]["customerRequirements"]["edges"]
    ] == ["Parents"]
    everything = await gql(CTQS, token=token)
    assert everything["data"]["customerRequirements"]["totalCount"] == 2
    assert (await gql(CTQS, token=other))["data"]["customerRequirements"]["totalCount"] == 0
