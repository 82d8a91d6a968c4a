"""Roles and accountabilities: RACI assignments of the district's people to processes and
measures, one ACCOUNTABLE per subject (held by the database under racing writers), the key
processes nobody is accountable for, and the people listing."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.errors import Conflict
from district_ppm.governance.accountability import assign_responsibility
from district_ppm.governance.models_people import Responsibility
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.improvement import count_rows
from tests.support.management import (
    ASSIGNMENTS,
    PEOPLE,
    UNASSIGN,
    WITHOUT_ACCOUNTABLE,
    add_member,
    assign,
    create_process,
)
from tests.support.measures import count_statements, create_measure, queries


async def _district(gql, factory):
    district_id, token = await factory.district()
    rita, _ = await add_member(factory, district_id, "rita@example.org", name="Rita Ruiz")
    alan, _ = await add_member(factory, district_id, "alan@example.org", name="Alan Ames")
    process = await create_process(gql, token, "4", is_key=True)
    return district_id, token, rita, alan, process


async def _audit_actions(app_sessionmaker, district_id):
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.execute(
            text(
                "SELECT action, entity_type, entity_id, details FROM audit_events "
                "WHERE district_id = :d AND action LIKE '%ssignResponsibility' ORDER BY created_at"
            ),
            {"d": district_id},
        )
        return [tuple(row) for row in rows]


async def test_an_admin_assigns_people_and_reads_the_raci_chart(gql, factory, app_sessionmaker):
    district_id, token, _, alan, process = await _district(gql, factory)
    measure = await create_measure(gql, token, code="TR-OT", processId=process)

    accountable = await assign(gql, token, "ACCOUNTABLE", userId=alan, processId=process)
    responsible = await assign(
        gql, token, "RESPONSIBLE", email="Rita@Example.org", processId=process
    )
    informed = await assign(gql, token, "INFORMED", userId=alan, measureId=measure)
    chart = await gql(ASSIGNMENTS, {"processId": process}, token=token)

    made = accountable["data"]["assignResponsibility"]
    assert made["created"] is True
    assert made["assignment"]["person"] == {
        "id": alan,
        "email": "alan@example.org",
        "displayName": "Alan Ames",
        "role": "PROCESS_OWNER",
    }
    assert (made["assignment"]["subjectCode"], made["assignment"]["assignedBy"]) == (
        "4",
        "test admin",
    )
    rows = chart["data"]["responsibilityAssignments"]
    assert [(r["responsibility"], r["person"]["email"]) for r in rows] == [
        ("RESPONSIBLE", "rita@example.org"),
        ("ACCOUNTABLE", "alan@example.org"),
    ]
    assert rows[0]["id"] == responsible["data"]["assignResponsibility"]["assignment"]["id"]
    on_measure = await gql(ASSIGNMENTS, {"measureId": measure}, token=token)
    assert [r["id"] for r in on_measure["data"]["responsibilityAssignments"]] == [
        informed["data"]["assignResponsibility"]["assignment"]["id"]
    ]
    audits = await _audit_actions(app_sessionmaker, district_id)
    assert [(a[0], a[1]) for a in audits] == [
        ("assignResponsibility", "responsibility_assignment")
    ] * 3
    assert audits[0][2] == made["assignment"]["id"]
    assert audits[0][3]["responsibility"] == "ACCOUNTABLE"
    assert audits[0][3]["userId"] == alan


async def test_assigning_again_changes_nothing(gql, factory, app_sessionmaker):
    district_id, token, rita, _, process = await _district(gql, factory)
    first = await assign(gql, token, "ACCOUNTABLE", userId=rita, processId=process)

    again = await assign(gql, token, "ACCOUNTABLE", email="rita@example.org", processId=process)

    assert again["data"]["assignResponsibility"]["created"] is False
    assert (
        again["data"]["assignResponsibility"]["assignment"]["id"]
        == first["data"]["assignResponsibility"]["assignment"]["id"]
    )
    assert await count_rows(app_sessionmaker, district_id, "responsibility_assignments") == 1


async def test_a_second_accountable_person_is_a_conflict_naming_the_first(
    gql, factory, app_sessionmaker
):
    district_id, token, rita, alan, process = await _district(gql, factory)
    measure = await create_measure(gql, token, code="TR-OT", processId=process)
    await assign(gql, token, "ACCOUNTABLE", userId=alan, processId=process)
    await assign(gql, token, "ACCOUNTABLE", userId=alan, measureId=measure)

    on_process = await assign(
        gql, token, "ACCOUNTABLE", userId=rita, processId=process, expect_ok=False
    )
    on_measure = await assign(
        gql, token, "ACCOUNTABLE", userId=rita, measureId=measure, expect_ok=False
    )

    for result, kind, code in ((on_process, "process", "4"), (on_measure, "measure", "TR-OT")):
        error = result["errors"][0]
        assert error["extensions"] == {"code": "CONFLICT", "field": "input.responsibility"}
        assert (
            f"{kind} {code} already has an ACCOUNTABLE person (alan@example.org)"
            in (error["message"])
        )
    assert await count_rows(app_sessionmaker, district_id, "responsibility_assignments") == 2
    # RESPONSIBLE, CONSULTED and INFORMED are not limited.
    await assign(gql, token, "RESPONSIBLE", userId=rita, processId=process)
    await assign(gql, token, "RESPONSIBLE", userId=alan, processId=process)


async def test_racing_requests_make_exactly_one_accountable(gql, factory, app_sessionmaker):
    district_id, token, rita, alan, process = await _district(gql, factory)
    people = [rita, alan] + [
        (await add_member(factory, district_id, f"p{i}@example.org"))[0] for i in range(4)
    ]

    results = await asyncio.gather(
        *(
            assign(gql, token, "ACCOUNTABLE", userId=person, processId=process, expect_ok=False)
            for person in people
        )
    )

    codes = sorted(str(error_codes(r)) for r in results)
    assert codes == ["['CONFLICT']"] * 5 + ["[]"]
    assert all(
        r["errors"][0]["extensions"]["field"] == "input.responsibility"
        for r in results
        if "errors" in r
    )
    chart = await gql(ASSIGNMENTS, {"processId": process}, token=token)
    winner = next(r for r in results if "errors" not in r)
    assert [r["id"] for r in chart["data"]["responsibilityAssignments"]] == [
        winner["data"]["assignResponsibility"]["assignment"]["id"]
    ]
    assert await count_rows(app_sessionmaker, district_id, "responsibility_assignments") == 1


async def test_the_index_refuses_a_writer_that_checked_before_the_other_committed(
    gql, factory, app_sessionmaker
):
    """Both writers pass the service's own check; the partial unique index stops the second,
    which still gets a CONFLICT that names the winner."""
    district_id, _, rita, alan, process = await _district(gql, factory)

    async def write(session, user):
        return await assign_responsibility(
            session=session,
            district_id=district_id,
            user_id=uuid.UUID(user),
            email=None,
            process_id=uuid.UUID(process),
            measure_id=None,
            responsibility=Responsibility.ACCOUNTABLE,
            assigned_by="test",
        )

    async with (
        tenant_transaction(app_sessionmaker, district_id) as first,
        tenant_transaction(app_sessionmaker, district_id) as second,
    ):
        await write(first, alan)  # flushed, not committed: invisible to the second's check
        racing = asyncio.create_task(write(second, rita))  # waits on the index
        await asyncio.sleep(0.3)
        assert not racing.done()
        await first.commit()
        with pytest.raises(Conflict) as refused:
            await racing

    assert refused.value.field == "responsibility"
    assert "(alan@example.org)" in refused.value.message
    assert await count_rows(app_sessionmaker, district_id, "responsibility_assignments") == 1


async def test_unassigning_removes_the_assignment_and_is_audited(gql, factory, app_sessionmaker):
    district_id, token, rita, alan, process = await _district(gql, factory)
    made = await assign(gql, token, "ACCOUNTABLE", userId=alan, processId=process)
    assignment_id = made["data"]["assignResponsibility"]["assignment"]["id"]

    removed = await gql(UNASSIGN, {"input": {"assignmentId": assignment_id}}, token=token)
    again = await gql(UNASSIGN, {"input": {"assignmentId": assignment_id}}, token=token)
    now_rita = await assign(gql, token, "ACCOUNTABLE", userId=rita, processId=process)

    assert removed["data"]["unassignResponsibility"]["assignment"]["id"] == assignment_id
    assert removed["data"]["unassignResponsibility"]["assignment"]["person"]["id"] == alan
    assert again["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "input.assignmentId"}
    assert now_rita["data"]["assignResponsibility"]["created"] is True
    audits = await _audit_actions(app_sessionmaker, district_id)
    assert [a[0] for a in audits] == [
        "assignResponsibility",
        "unassignResponsibility",
        "assignResponsibility",
    ]
    assert audits[1][2] == assignment_id


@pytest.mark.parametrize(
    ("subject", "field"),
    [
        ({}, "input.processId"),
        ({"processId": "P", "measureId": "M"}, "input.processId"),
        ({"userId": None, "email": None}, "input.userId"),
        ({"email": "rita@example.org", "userId": "U"}, "input.userId"),
        ({"processId": "not-a-uuid"}, "input.processId"),
    ],
)
async def test_a_request_naming_no_subject_or_two_is_bad_input(
    gql, factory, app_sessionmaker, subject, field
):
    district_id, token, rita, _, process = await _district(gql, factory)
    measure = await create_measure(gql, token, code="TR-OT")
    values = {"P": process, "M": measure, "U": rita}
    named = {"userId": rita, **{k: values.get(v, v) for k, v in subject.items()}}

    result = await assign(gql, token, "RESPONSIBLE", expect_ok=False, **named)

    assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": field}
    assert await count_rows(app_sessionmaker, district_id, "responsibility_assignments") == 0


async def test_another_districts_people_processes_measures_and_assignments_are_not_found(
    gql, factory, app_sessionmaker
):
    other_id, other_token, other_rita, _, other_process = await _district(gql, factory)
    other_measure = await create_measure(gql, other_token, code="TR-OT")
    other = await assign(
        gql, other_token, "ACCOUNTABLE", userId=other_rita, processId=other_process
    )
    other_assignment = other["data"]["assignResponsibility"]["assignment"]["id"]
    district_id, token, rita, _, process = await _district(gql, factory)
    # Someone who is a member of the other district only.
    stranger, _ = await add_member(factory, other_id, "stranger@example.org")

    calls = [
        ({"userId": stranger, "processId": process}, "input.userId"),
        ({"email": "stranger@example.org", "processId": process}, "input.email"),
        ({"userId": rita, "processId": other_process}, "input.processId"),
        ({"userId": rita, "measureId": other_measure}, "input.measureId"),
    ]
    for subject, field in calls:
        result = await assign(gql, token, "INFORMED", expect_ok=False, **subject)
        assert result["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": field}
    unassigned = await gql(UNASSIGN, {"input": {"assignmentId": other_assignment}}, token=token)
    chart = await gql(ASSIGNMENTS, {"processId": other_process}, token=token)

    assert error_codes(unassigned) == ["NOT_FOUND"]
    assert chart["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "processId"}
    assert await count_rows(app_sessionmaker, district_id, "responsibility_assignments") == 0
    assert await count_rows(app_sessionmaker, other_id, "responsibility_assignments") == 1


async def test_key_processes_without_an_accountable_person_are_listed(gql, factory):
    _, token, rita, _, process = await _district(gql, factory)  # "4", key
    child = await create_process(gql, token, "4.2", parent_id=process, is_key=True)
    await create_process(gql, token, "4.10", parent_id=process, is_key=True)
    await create_process(gql, token, "5")  # not key
    await assign(gql, token, "RESPONSIBLE", userId=rita, processId=process)

    before = await gql(WITHOUT_ACCOUNTABLE, token=token)
    await assign(gql, token, "ACCOUNTABLE", userId=rita, processId=child)
    after = await gql(WITHOUT_ACCOUNTABLE, token=token)

    assert [p["code"] for p in before["data"]["keyProcessesWithoutAccountable"]] == [
        "4",
        "4.2",
        "4.10",
    ]
    assert [p["code"] for p in after["data"]["keyProcessesWithoutAccountable"]] == ["4", "4.10"]


async def test_people_lists_the_districts_members_by_email_a_page_at_a_time(gql, factory):
    district_id, token, *_ = await _district(gql, factory)
    other_id, _ = await factory.district()
    await add_member(factory, other_id, "zed@example.org")  # another district's
    await add_member(factory, district_id, "bea@example.org", role=Role.VIEWER)

    first = await gql(PEOPLE, {"first": 2}, token=token)
    page = first["data"]["people"]
    rest = await gql(PEOPLE, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=token)

    assert page["totalCount"] == 3
    assert [e["node"]["email"] for e in page["edges"]] == ["alan@example.org", "bea@example.org"]
    assert page["edges"][1]["node"]["role"] == "VIEWER"
    assert [e["node"]["email"] for e in rest["data"]["people"]["edges"]] == ["rita@example.org"]
    assert rest["data"]["people"]["pageInfo"]["hasNextPage"] is False


async def test_list_queries_run_a_fixed_number_of_statements(gql, factory, app):
    counts = []
    for size in (1, 6):
        district_id, token = await factory.district()
        for index in range(size):
            user, _ = await add_member(factory, district_id, f"p{index}@example.org")
            process = await create_process(gql, token, f"{index + 1}", is_key=True)
            await create_process(gql, token, f"{index + 1}.1", is_key=True)
            await assign(gql, token, "RESPONSIBLE", userId=user, processId=process)
        counted = []
        for document, variables in (
            (PEOPLE, {"first": 50}),
            (ASSIGNMENTS, {"processId": process}),
            (WITHOUT_ACCOUNTABLE, {}),
        ):
            with count_statements(app) as statements:
                result = await gql(document, variables, token=token)
            assert "errors" not in result, result
            counted.append(len(queries(statements)))
        counts.append(counted)

    # people: the page with its count, roles; the chart: the process, the assignments;
    # key processes: one
    assert counts == [[2, 2, 1], [2, 2, 1]]


ASSIGN_DOC = (
    "mutation($input: AssignResponsibilityInput!) "
    "{ assignResponsibility(input: $input) { created } }"
)


async def test_roles_only_a_district_admin_assigns_and_everyone_reads(gql, factory):
    district_id, admin, rita, alan, process = await _district(gql, factory)
    made = await assign(gql, admin, "INFORMED", userId=alan, processId=process)
    assignment_id = made["data"]["assignResponsibility"]["assignment"]["id"]
    reads = [
        (PEOPLE, {}),
        (ASSIGNMENTS, {"processId": process}),
        (WITHOUT_ACCOUNTABLE, {}),
    ]

    for role in Role:
        token = await factory.token(district_id, role)
        assigned = await gql(
            ASSIGN_DOC,
            {"input": {"userId": rita, "processId": process, "responsibility": "CONSULTED"}},
            token=token,
        )
        unassigned = await gql(
            UNASSIGN, {"input": {"assignmentId": str(uuid.uuid4())}}, token=token
        )
        writer = role is Role.DISTRICT_ADMIN
        assert error_codes(assigned) == ([] if writer else ["FORBIDDEN"]), role
        # An admin reaches the lookup (NOT_FOUND); nobody else gets that far.
        assert error_codes(unassigned) == (["NOT_FOUND"] if writer else ["FORBIDDEN"]), role
        for document, variables in reads:
            assert error_codes(await gql(document, variables, token=token)) == [], (role, document)
    still = await gql(ASSIGNMENTS, {"processId": process}, token=admin)
    assert [r["id"] for r in still["data"]["responsibilityAssignments"]][-1] == assignment_id
