"""A person's responsibilities: everything they own, and what of it is RED, signalling, due or
overdue as of a date, worked out by hand."""

from __future__ import annotations

from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.management import (
    MY_RESPONSIBILITIES,
    RESPONSIBILITIES,
    add_member,
    assign,
    create_process,
)
from tests.support.measures import (
    SET_TARGET,
    count_statements,
    create_measure,
    create_school,
    monthly,
    queries,
    record,
    run_refresh,
)

AS_OF = "2024-10-15"


async def _owner_district(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    rita, rita_token = await add_member(factory, district_id, "rita@example.org", name="Rita Ruiz")
    key = await create_process(gql, token, "4", is_key=True)
    child = await create_process(gql, token, "4.1", parent_id=key)
    other = await create_process(gql, token, "5")
    alder = await create_school(gql, token, "Alder")
    birch = await create_school(gql, token, "Birch")

    # On the child of Rita's process: steady for a year, then far below (an unfavorable rule-1
    # signal, and RED against the 2024-25 target); August and September 2024 not entered.
    on_time = await create_measure(gql, token, code="A-ONTIME", level="DISTRICT", processId=child)
    series = [90.0, 91.0] * 6 + [50.0]  # July 2023 - July 2024
    assert "errors" not in await record(gql, token, on_time, monthly(None, 2023, 7, series))
    target = {"measureId": on_time, "schoolYear": 2025, "value": 85.0, "redThreshold": 60.0}
    assert "errors" not in await gql(SET_TARGET, {"input": target}, token=token)
    # Rita's own measure, quarterly per school: Birch missed January and July 2024.
    quarterly = await create_measure(gql, token, code="B-QTR", frequency="QUARTERLY")
    values = [
        {"schoolId": alder, "periodStart": p, "value": 1.0}
        for p in ("2023-10-01", "2024-01-01", "2024-04-01", "2024-07-01")
    ] + [{"schoolId": birch, "periodStart": p, "value": 1.0} for p in ("2023-10-01", "2024-04-01")]
    assert "errors" not in await record(gql, token, quarterly, values)
    # Consulted on a measure that is in order.
    yearly = await create_measure(
        gql, token, code="C-YEAR", level="DISTRICT", frequency="SCHOOL_YEAR"
    )
    assert "errors" not in await record(
        gql, token, yearly, [{"periodStart": "2023-07-01", "value": 1.0}]
    )
    # RED too, but nothing of Rita's.
    elsewhere = await create_measure(gql, token, code="Z-RED", level="DISTRICT", processId=other)
    await record(gql, token, elsewhere, monthly(None, 2024, 7, [10.0]))
    await gql(SET_TARGET, {"input": {**target, "measureId": elsewhere}}, token=token)
    await run_refresh(app_sessionmaker, district_id)

    made = {
        "key": await assign(gql, token, "ACCOUNTABLE", userId=rita, processId=key),
        "quarterly": await assign(gql, token, "RESPONSIBLE", userId=rita, measureId=quarterly),
        "yearly": await assign(gql, token, "CONSULTED", userId=rita, measureId=yearly),
    }
    ids = {k: v["data"]["assignResponsibility"]["assignment"]["id"] for k, v in made.items()}
    return {
        "district_id": district_id,
        "token": token,
        "rita": rita,
        "rita_token": rita_token,
        "assignments": ids,
        "measures": {"on_time": on_time, "quarterly": quarterly},
        "schools": {"Alder": alder, "Birch": birch},
    }


async def test_a_person_sees_what_they_own_and_what_of_it_needs_attention(
    gql, factory, app_sessionmaker
):
    d = await _owner_district(gql, factory, app_sessionmaker)

    result = await gql(RESPONSIBILITIES, {"userId": d["rita"], "asOf": AS_OF}, token=d["token"])

    report = result["data"]["responsibilities"]
    a = d["assignments"]
    assert report["asOf"] == AS_OF
    assert report["person"]["email"] == "rita@example.org"
    assert [
        (
            i["assignmentId"],
            i["responsibility"],
            i["code"],
            i["red"],
            i["signalling"],
            i["due"],
            i["overdue"],
        )
        for i in report["items"]
    ] == [
        (a["key"], "ACCOUNTABLE", "4", 1, 1, 1, 1),
        (a["quarterly"], "RESPONSIBLE", "B-QTR", 0, 0, 1, 1),
        (a["yearly"], "CONSULTED", "C-YEAR", 0, 0, 0, 0),
    ]
    birch = d["schools"]["Birch"]
    # The key process answers for its child's measure. As of Oct 15, 2024 the last complete
    # month is September (due) and August is overdue; the last complete quarter began Jul 1.
    assert [
        (x["assignmentId"], x["reason"], x["measureCode"], x["schoolId"], x["periodStart"])
        for x in report["attention"]
    ] == [
        (a["key"], "RED", "A-ONTIME", None, "2024-07-01"),
        (a["key"], "SIGNALLING", "A-ONTIME", None, "2024-07-01"),
        (a["key"], "DUE", "A-ONTIME", None, "2024-09-01"),
        (a["key"], "OVERDUE", "A-ONTIME", None, "2024-08-01"),
        (a["quarterly"], "DUE", "B-QTR", birch, "2024-07-01"),
        (a["quarterly"], "OVERDUE", "B-QTR", birch, "2024-01-01"),
    ]
    assert report["attention"][4]["schoolName"] == "Birch"


async def test_my_responsibilities_are_the_callers_own(gql, factory, app_sessionmaker):
    d = await _owner_district(gql, factory, app_sessionmaker)
    integration = await factory.token(d["district_id"], Role.VIEWER)  # no person behind it

    mine = await gql(MY_RESPONSIBILITIES, {"asOf": AS_OF}, token=d["rita_token"])
    by_email = await gql(
        RESPONSIBILITIES, {"email": "RITA@example.org", "asOf": AS_OF}, token=d["token"]
    )
    nobody = await gql(MY_RESPONSIBILITIES, {"asOf": AS_OF}, token=integration)
    admin = await gql(MY_RESPONSIBILITIES, {"asOf": AS_OF}, token=d["token"])

    assert mine["data"]["myResponsibilities"] == by_email["data"]["responsibilities"]
    assert len(mine["data"]["myResponsibilities"]["items"]) == 3
    assert nobody["data"]["myResponsibilities"] is None
    assert admin["data"]["myResponsibilities"] is None


async def test_a_person_of_another_district_or_a_bad_request_gets_nothing(
    gql, factory, app_sessionmaker
):
    d = await _owner_district(gql, factory, app_sessionmaker)
    _, token = await factory.district()

    foreign = await gql(RESPONSIBILITIES, {"userId": d["rita"]}, token=token)
    foreign_email = await gql(RESPONSIBILITIES, {"email": "rita@example.org"}, token=token)
    both = await gql(
        RESPONSIBILITIES, {"userId": d["rita"], "email": "rita@example.org"}, token=d["token"]
    )
    neither = await gql(RESPONSIBILITIES, {}, token=d["token"])
    too_early = await gql(
        RESPONSIBILITIES, {"userId": d["rita"], "asOf": "1999-01-01"}, token=d["token"]
    )

    assert foreign["data"]["responsibilities"] is None
    assert foreign_email["data"]["responsibilities"] is None
    for refused in (both, neither):
        assert refused["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "userId"}
    assert too_early["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "asOf"}


async def test_a_persons_responsibilities_run_a_fixed_number_of_statements(gql, factory, app):
    counts = []
    for size in (1, 4):
        district_id, token = await factory.district()
        person, person_token = await add_member(factory, district_id, "p@example.org")
        school = await create_school(gql, token, "Alder")
        for index in range(size):
            process = await create_process(gql, token, f"{index + 1}")
            child = await create_process(gql, token, f"{index + 1}.1", parent_id=process)
            await assign(gql, token, "ACCOUNTABLE", userId=person, processId=process)
            below = await create_measure(gql, token, code=f"P-{index}", processId=child)
            await record(gql, token, below, monthly(school, 2024, 1, [1.0, 2.0, 3.0]))
            own = await create_measure(gql, token, code=f"M-{index}", level="DISTRICT")
            await assign(gql, token, "RESPONSIBLE", userId=person, measureId=own)
            await record(gql, token, own, monthly(None, 2024, 1, [1.0, 2.0]))

        counted = []
        for document, variables, who in (
            (RESPONSIBILITIES, {"userId": person, "asOf": AS_OF}, token),
            (MY_RESPONSIBILITIES, {"asOf": AS_OF}, person_token),
        ):
            with count_statements(app) as statements:
                result = await gql(document, variables, token=who)
            assert "errors" not in result, result
            counted.append(len(queries(statements)))
        counts.append(counted)

    # the calendar (today's date and the fiscal year: read once), the person, the
    # assignments, the process tree, the measures with their RED statuses, the series grouped
    # by period (and enrollments, were a measure weighted by them), the rebases, the
    # exclusions, the missing values; myResponsibilities first finds the caller's person (one
    # more)
    assert counts == [[9, 10], [9, 10]]


async def test_every_role_reads_responsibilities(gql, factory):
    district_id, _ = await factory.district()
    rita, _ = await add_member(factory, district_id, "rita@example.org", name="Rita Ruiz")

    for role in Role:
        token = await factory.token(district_id, role)
        for document, variables in (
            (RESPONSIBILITIES, {"userId": rita, "asOf": AS_OF}),
            (MY_RESPONSIBILITIES, {"asOf": AS_OF}),
        ):
            assert error_codes(await gql(document, variables, token=token)) == [], role
