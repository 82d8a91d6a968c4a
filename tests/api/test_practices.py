"""Practices and adoptions over HTTP: roles, tenancy, refusals, exact gains and their spread."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update

from district_ppm.audit.models import AuditEvent
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.jobs.registry import followers_of, get_job
from district_ppm.measures.models import Measure
from district_ppm.practices.jobs import compute_adoption_gains_job
from district_ppm.practices.models import Adoption, AdoptionGain, Practice, PracticeMeasure
from district_ppm.tenancy.models import Role
from tests.support import savings
from tests.support.graphql import error_codes
from tests.support.improvement import create_project
from tests.support.measures import (
    count_statements,
    create_measure,
    create_school,
    monthly,
    queries,
    record,
)
from tests.support.practices import (
    ADOPT,
    CREATE_PRACTICE,
    PRACTICE,
    create_practice,
    practice_input,
)

PRACTICES = "{ practices { id title projectId measureIds adoptions { id school { id } } } }"
SPREAD = """
{
  gainsAcrossDistrict {
    practiceId title schoolsAdopted totalSavingsUsd computedAt
    measures { measureId medianGain adoptionsWithGain }
  }
}
"""

ALLOWED = {Role.DISTRICT_ADMIN, Role.IMPROVEMENT_LEAD}


async def adopt(gql: Any, token: str, practice_id: str, school_id: str, on: str) -> Any:
    return await gql(
        ADOPT,
        {"input": {"practiceId": practice_id, "schoolId": school_id, "adoptedOn": on}},
        token=token,
    )


async def run_gains_job(app_sessionmaker: Any, district_id: uuid.UUID, **payload: Any) -> None:
    """What the worker does (its queueing is checked separately)."""
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        await compute_adoption_gains_job.run(session, district_id, **payload)
        await session.commit()


async def counts(app_sessionmaker: Any, district_id: uuid.UUID) -> dict[str, int]:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return {
            model.__tablename__: await session.scalar(
                select(func.count()).select_from(model).where(model.district_id == district_id)
            )
            or 0
            for model in (Practice, PracticeMeasure, Adoption, AdoptionGain)
        }


async def test_a_practice_from_a_project_with_its_measures(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    project = await create_project(gql, token)
    ada = await create_measure(gql, token, code="ADA")
    tardy = await create_measure(gql, token, code="TARDY", direction="LOWER_IS_BETTER")

    practice = await create_practice(
        gql, token, title="  Attendance calls ", projectId=project["id"], measureIds=[tardy, ada]
    )

    assert practice == {
        "id": practice["id"],
        "title": "Attendance calls",
        "description": "A call home on the first day a student is absent.",
        "projectId": project["id"],
        "measureIds": [ada, tardy],  # by measure code
        "adoptions": [],
    }
    read = await gql(PRACTICE, {"id": practice["id"]}, token=token)
    assert read["data"]["practice"] == {
        "id": practice["id"],
        "title": "Attendance calls",
        "projectId": project["id"],
        "measureIds": [ada, tardy],
        "adoptions": [],
    }
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.district_id == district_id, AuditEvent.action == "createPractice"
            )
        )
    assert event is not None and event.entity_id == practice["id"]
    assert event.details["measureIds"] == [tardy, ada]


async def test_roles_write_as_domain_says_and_everyone_reads(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district()
    measure = await create_measure(gql, admin)
    schools = {role: await create_school(gql, admin, f"School {role.value}") for role in Role}
    practice = await create_practice(gql, admin, measureIds=[measure])

    for role in Role:
        token = admin if role is Role.DISTRICT_ADMIN else await factory.token(district_id, role)
        created = await gql(
            CREATE_PRACTICE,
            {"input": practice_input(title=f"By {role.value}", measureIds=[measure])},
            token=token,
        )
        adopted = await adopt(gql, token, practice["id"], schools[role], "2024-09-01")
        reads = [
            await gql(PRACTICES, token=token),
            await gql(PRACTICE, {"id": practice["id"]}, token=token),
            await gql(SPREAD, token=token),
        ]

        if role in ALLOWED:
            assert "errors" not in created and "errors" not in adopted, role
        else:
            assert error_codes(created) == ["FORBIDDEN"], role
            assert error_codes(adopted) == ["FORBIDDEN"], role
        assert all("errors" not in read for read in reads), role

    assert await counts(app_sessionmaker, district_id) == {
        "practices": 3,  # the first, and one by each allowed role
        "practice_measures": 3,
        "adoptions": 2,
        "adoption_gains": 0,
    }
    anonymous = await gql(PRACTICES, token=None)
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


async def test_another_districts_ids_are_not_found_and_nothing_is_written(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    other_id, other = await factory.district()
    mine = await create_measure(gql, token)
    school = await create_school(gql, token, "Adams")
    practice = await create_practice(gql, token, measureIds=[mine])
    their_project = await create_project(gql, other)
    their_measure = await create_measure(gql, other)
    their_school = await create_school(gql, other, "Theirs")
    their_practice = await create_practice(gql, other, measureIds=[their_measure])
    before = await counts(app_sessionmaker, district_id)

    answers = {
        "input.projectId": await gql(
            CREATE_PRACTICE,
            {"input": practice_input(projectId=their_project["id"], measureIds=[mine])},
            token=token,
        ),
        "input.measureIds.1": await gql(
            CREATE_PRACTICE,
            {"input": practice_input(measureIds=[mine, their_measure])},
            token=token,
        ),
        "input.practiceId": await adopt(gql, token, their_practice["id"], school, "2024-09-01"),
        "input.schoolId": await adopt(gql, token, practice["id"], their_school, "2024-09-01"),
    }

    for field, answer in answers.items():
        assert [e["extensions"] for e in answer["errors"]] == [
            {"code": "NOT_FOUND", "field": field}
        ], field
    assert (await gql(PRACTICE, {"id": their_practice["id"]}, token=token))["data"] == {
        "practice": None
    }
    assert [p["id"] for p in (await gql(PRACTICES, token=token))["data"]["practices"]] == [
        practice["id"]
    ]
    assert await counts(app_sessionmaker, district_id) == before
    assert await counts(app_sessionmaker, other_id) == {
        "practices": 1,
        "practice_measures": 1,
        "adoptions": 0,
        "adoption_gains": 0,
    }


async def test_bad_practices_name_the_field_and_write_nothing(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    school_measure = await create_measure(gql, token, code="ADA")
    district_measure = await create_measure(gql, token, code="BUDGET", level="DISTRICT")
    many = [await create_measure(gql, token, code=f"M{n:02d}") for n in range(11)]

    cases = {
        "input.measureIds.1": practice_input(measureIds=[school_measure, district_measure]),
        "input.measureIds": practice_input(measureIds=[]),
        "input.title": practice_input(title="   ", measureIds=[school_measure]),
        "input.description": practice_input(description="", measureIds=[school_measure]),
        "input.measureIds.2": practice_input(measureIds=[school_measure, many[0], school_measure]),
        "input.measureIds.0": practice_input(measureIds=["not-a-uuid"]),
        "input.projectId": practice_input(projectId="nope", measureIds=[school_measure]),
    }
    too_many = await gql(CREATE_PRACTICE, {"input": practice_input(measureIds=many)}, token=token)

    for field, data in cases.items():
        answer = await gql(CREATE_PRACTICE, {"input": data}, token=token)
        assert [e["extensions"] for e in answer["errors"]] == [
            {"code": "BAD_INPUT", "field": field}
        ], field
    district_level = await gql(CREATE_PRACTICE, {"input": cases["input.measureIds.1"]}, token=token)
    assert "BUDGET is a DISTRICT-level measure" in district_level["errors"][0]["message"]
    assert too_many["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.measureIds"}
    assert "at most 10" in too_many["errors"][0]["message"]
    assert await counts(app_sessionmaker, district_id) == {
        "practices": 0,
        "practice_measures": 0,
        "adoptions": 0,
        "adoption_gains": 0,
    }


async def test_the_same_school_twice_is_a_conflict_and_writes_nothing(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    measure = await create_measure(gql, token)
    school = await create_school(gql, token, "Adams")
    practice = await create_practice(gql, token, measureIds=[measure])

    first = await adopt(gql, token, practice["id"], school, "2024-09-01")
    again = await adopt(gql, token, practice["id"], school, "2025-01-06")

    assert first["data"]["adoptPractice"]["adoption"]["adoptedOn"] == "2024-09-01"
    assert again["errors"][0]["extensions"] == {"code": "CONFLICT", "field": "input.schoolId"}
    adoptions = (await gql(PRACTICE, {"id": practice["id"]}, token=token))["data"]["practice"]
    assert [(a["school"]["id"], a["adoptedOn"]) for a in adoptions["adoptions"]] == [
        (school, "2024-09-01")
    ]
    assert (await counts(app_sessionmaker, district_id))["adoptions"] == 1


async def test_an_adoption_date_outside_any_school_year_on_record_is_bad_input(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    measure = await create_measure(gql, token)
    school = await create_school(gql, token, "Adams")
    practice = await create_practice(gql, token, measureIds=[measure])

    for day in ("0001-01-01", "1899-12-31", "2200-01-01"):
        answer = await adopt(gql, token, practice["id"], school, day)
        assert answer["errors"][0]["extensions"] == {
            "code": "BAD_INPUT",
            "field": "input.adoptedOn",
        }, day
    assert (await counts(app_sessionmaker, district_id))["adoptions"] == 0
    assert "errors" not in await adopt(gql, token, practice["id"], school, "1900-01-01")


async def test_adopting_queues_the_gains_job_which_follows_every_status_refresh(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    measure = await create_measure(gql, token)
    school = await create_school(gql, token, "Adams")
    practice = await create_practice(gql, token, measureIds=[measure])

    adopted = await adopt(gql, token, practice["id"], school, "2024-09-01")

    adoption_id = adopted["data"]["adoptPractice"]["adoption"]["id"]
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        queued = (
            await session.execute(
                select(OutboxMessage.payload, OutboxMessage.dedupe_key).where(
                    OutboxMessage.district_id == district_id,
                    OutboxMessage.actor_name == "compute_adoption_gains",
                )
            )
        ).all()
    assert [tuple(row) for row in queued] == [
        ({"adoption_id": adoption_id}, f"adoption:{adoption_id}")
    ]
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.district_id == district_id, AuditEvent.action == "adoptPractice"
            )
        )
    assert event is not None and event.entity_id == adoption_id
    assert event.details == {
        "practiceId": practice["id"],
        "schoolId": school,
        "adoptedOn": "2024-09-01",
    }
    job = get_job("compute_adoption_gains")
    assert job.nightly and job.after == "refresh_measure_status"
    assert job in followers_of("refresh_measure_status")


# The district's numbers for the end-to-end tests: two monthly SCHOOL-level measures, attendance
# (higher is better) and tardies (lower is better), at four schools.
async def gains_district(gql: Any, factory: Any) -> dict[str, Any]:
    district_id, token = await factory.district()
    ada = await create_measure(gql, token, code="ADA")
    tardy = await create_measure(
        gql, token, code="TARDY", unit="COUNT", direction="LOWER_IS_BETTER"
    )
    schools = {name: await create_school(gql, token, name) for name in ("Adams", "Baker")}
    schools |= {name: await create_school(gql, token, name) for name in ("Carver", "Dewey")}
    a, b, c, d = (schools[n] for n in ("Adams", "Baker", "Carver", "Dewey"))
    writes = {
        ada: [
            # Adams adopts 2024-07-15: Nov-Dec 2023 are older than the latest six before July;
            # July (the adoption month) counts for neither side.
            *monthly(a, 2023, 11, [10, 10, 90, 91, 92, 93, 94, 95, 50, 96, 97, 98.5]),
            # Baker adopts 2024-09-01: June-August before, September left out, Oct-Dec after.
            *monthly(b, 2024, 6, [80, 82, 84, 99, 85, 86, 90]),
            # Carver adopts 2024-07-01 and gets worse.
            *monthly(c, 2024, 4, [70, 70, 70, 1, 69, 68, 67]),
            # Dewey adopts 2024-07-20.
            *monthly(d, 2024, 4, [60, 60, 60, 0, 61, 61, 61]),
        ],
        tardy: [
            *monthly(a, 2024, 4, [12, 15, 13, 40, 9, 8, 10]),
            # Baker: only two values after September.
            *monthly(b, 2024, 5, [20, 20, 22, 22, 0, 15, 15]),
            # Carver and Dewey: no tardy data.
        ],
    }
    for measure_id, values in writes.items():
        written = await record(gql, token, measure_id, values)
        assert "errors" not in written, written
    return {
        "district_id": district_id,
        "token": token,
        "ada": ada,
        "tardy": tardy,
        "schools": schools,
    }


async def test_exact_gains_end_to_end(gql, factory, app_sessionmaker):
    given = await gains_district(gql, factory)
    token, ada, tardy, schools = given["token"], given["ada"], given["tardy"], given["schools"]
    practice = await create_practice(gql, token, measureIds=[ada, tardy])
    for name, on in (("Adams", "2024-07-15"), ("Baker", "2024-09-01"), ("Carver", "2024-07-01")):
        answer = await adopt(gql, token, practice["id"], schools[name], on)
        assert answer["data"]["adoptPractice"]["adoption"]["gains"] == []
        assert answer["data"]["adoptPractice"]["adoption"]["computedAt"] is None

    await run_gains_job(app_sessionmaker, given["district_id"], full=True)

    read = (await gql(PRACTICE, {"id": practice["id"]}, token=token))["data"]["practice"]
    gains = {
        a["school"]["name"]: [
            (g["measureId"], g["before"], g["after"], g["gain"]) for g in a["gains"]
        ]
        for a in read["adoptions"]
    }
    assert gains == {
        # ADA: before (90+91+92+93+94+95)/6 = 92.5, after (96+97+98.5)/3 = 97.16666.. -> 97.1667
        # TARDY: before (12+15+13)/3 = 13.3333, after (9+8+10)/3 = 9; lower is better
        "Adams": [(ada, 92.5, 97.1667, 4.6667), (tardy, 13.3333, 9.0, 4.3333)],
        # ADA: (80+82+84)/3 = 82 -> (85+86+90)/3 = 87; TARDY: (20+20+22+22)/4 = 21, 2 after
        "Baker": [(ada, 82.0, 87.0, 5.0), (tardy, 21.0, None, None)],
        # ADA: 70 -> (69+68+67)/3 = 68, worse; no tardy data
        "Carver": [(ada, 70.0, 68.0, -2.0), (tardy, None, None, None)],
    }
    # earliest adoption first, then by school name
    assert [a["school"]["name"] for a in read["adoptions"]] == ["Carver", "Adams", "Baker"]
    assert all(a["computedAt"] is not None for a in read["adoptions"])


async def test_the_spread_takes_medians_of_known_gains(gql, factory, app_sessionmaker):
    given = await gains_district(gql, factory)
    token, ada, tardy, schools = given["token"], given["ada"], given["tardy"], given["schools"]
    calls = await create_practice(gql, token, title="Attendance calls", measureIds=[ada, tardy])
    breakfast = await create_practice(gql, token, title="Breakfast in class", measureIds=[ada])
    for name, on in (("Adams", "2024-07-15"), ("Baker", "2024-09-01"), ("Carver", "2024-07-01")):
        assert "errors" not in await adopt(gql, token, calls["id"], schools[name], on)
    assert "errors" not in await adopt(gql, token, breakfast["id"], schools["Dewey"], "2025-06-02")
    before_job = (await gql(SPREAD, token=token))["data"]["gainsAcrossDistrict"]

    await run_gains_job(app_sessionmaker, given["district_id"])
    odd = (await gql(SPREAD, token=token))["data"]["gainsAcrossDistrict"]
    assert "errors" not in await adopt(gql, token, calls["id"], schools["Dewey"], "2024-07-20")
    await run_gains_job(app_sessionmaker, given["district_id"])
    even = (await gql(SPREAD, token=token))["data"]["gainsAcrossDistrict"]

    def medians(spread: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (
                row["title"],
                row["schoolsAdopted"],
                [
                    (m["measureId"], m["medianGain"], m["adoptionsWithGain"])
                    for m in row["measures"]
                ],
            )
            for row in spread
        ]

    assert medians(before_job) == [
        ("Attendance calls", 3, [(ada, None, 0), (tardy, None, 0)]),
        ("Breakfast in class", 1, [(ada, None, 0)]),
    ]
    assert all(row["computedAt"] is None for row in before_job)
    # ADA gains 4.6667, 5, -2 -> 4.6667; TARDY 4.3333 and two nulls -> 4.3333.
    # Breakfast at Dewey from June 2025: no values after it -> null.
    assert medians(odd) == [
        ("Attendance calls", 3, [(ada, 4.6667, 3), (tardy, 4.3333, 1)]),
        ("Breakfast in class", 1, [(ada, None, 0)]),
    ]
    # Dewey adopts calls too: ADA 60 -> 61, gain 1; ADA gains -2, 1, 4.6667, 5 -> median
    # (1 + 4.6667) / 2 = 2.83335, exact.
    assert medians(even) == [
        ("Attendance calls", 4, [(ada, 2.83335, 4), (tardy, 4.3333, 1)]),
        ("Breakfast in class", 1, [(ada, None, 0)]),
    ]
    assert all(row["computedAt"] is not None for row in even)


async def test_a_new_value_moves_the_gain_when_the_job_runs_again(gql, factory, app_sessionmaker):
    given = await gains_district(gql, factory)
    token, ada, schools = given["token"], given["ada"], given["schools"]
    practice = await create_practice(gql, token, measureIds=[ada])
    adopted = await adopt(gql, token, practice["id"], schools["Carver"], "2024-07-01")
    adoption_id = adopted["data"]["adoptPractice"]["adoption"]["id"]
    await run_gains_job(app_sessionmaker, given["district_id"], adoption_id=adoption_id)
    first = (await gql(PRACTICE, {"id": practice["id"]}, token=token))["data"]["practice"]

    # November 2024 at Carver: after = (69+68+67+72)/4 = 69, gain -1.
    assert "errors" not in await record(gql, token, ada, monthly(schools["Carver"], 2024, 11, [72]))
    await run_gains_job(app_sessionmaker, given["district_id"])  # as after a status refresh
    second = (await gql(PRACTICE, {"id": practice["id"]}, token=token))["data"]["practice"]

    assert first["adoptions"][0]["gains"] == [
        {"measureId": ada, "before": 70.0, "after": 68.0, "gain": -2.0}
    ]
    assert second["adoptions"][0]["gains"] == [
        {"measureId": ada, "before": 70.0, "after": 69.0, "gain": -1.0}
    ]
    assert second["adoptions"][0]["computedAt"] > first["adoptions"][0]["computedAt"]
    # A run that changes no figure still says when it looked.
    await run_gains_job(app_sessionmaker, given["district_id"], full=True)
    third = (await gql(PRACTICE, {"id": practice["id"]}, token=token))["data"]["practice"]
    assert third["adoptions"][0]["gains"] == second["adoptions"][0]["gains"]
    assert third["adoptions"][0]["computedAt"] > second["adoptions"][0]["computedAt"]
    assert (await counts(app_sessionmaker, given["district_id"]))["adoption_gains"] == 1


async def test_reading_practices_takes_one_statement_per_level(app, gql, factory, app_sessionmaker):
    given = await gains_district(gql, factory)
    token, ada, tardy, schools = given["token"], given["ada"], given["tardy"], given["schools"]
    for title in ("One", "Two", "Three"):
        practice = await create_practice(gql, token, title=title, measureIds=[ada, tardy])
        for name in schools:
            assert "errors" not in await adopt(
                gql, token, practice["id"], schools[name], "2024-07-01"
            )
    await run_gains_job(app_sessionmaker, given["district_id"])
    # Every adoption's gains in full are read one practice at a time (the query cost bounds
    # practices x adoptions x gains); computedAt reads the same stored rows.
    everything = "{ practices { id measureIds adoptions { id school { id name } computedAt } } }"
    titles = "{ practices { id title } }"

    with count_statements(app) as statements:
        answer = await gql(everything, token=token)
    with count_statements(app) as title_statements:
        listed = await gql(titles, token=token)
    with count_statements(app) as spread_statements:
        spread = await gql(SPREAD, token=token)

    assert [len(p["adoptions"]) for p in answer["data"]["practices"]] == [4, 4, 4]
    # practices, their measures, their adoptions with schools, the adoptions' gains; all in
    # the request's one transaction (the token lookup sets its tenant: no other set_config)
    assert len(queries(statements)) == 4
    assert len(statements) == 1 + 4
    # a list of titles reads the practices only
    assert len(listed["data"]["practices"]) == 3
    assert len(title_statements) == 1 + 1
    assert len(spread["data"]["gainsAcrossDistrict"]) == 3
    # practices, their measures, adoptions counted, the practices' savings, the stored gains
    assert len(queries(spread_statements)) == 5


SAVINGS = """
query($id: ID!) {
  practice(id: $id) { adoptions { school { name } savingsUsd } }
  gainsAcrossDistrict { title totalSavingsUsd }
}
"""


async def test_savings_sum_realized_and_validated_usd_with_reversals(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await create_project(gql, token)
    measure = await create_measure(gql, token)
    schools = {name: await create_school(gql, token, name) for name in ("Adams", "Baker")}
    schools["Carver"] = await create_school(gql, token, "Carver")
    practice = await create_practice(gql, token, projectId=project["id"], measureIds=[measure])
    unadopted = await create_practice(gql, token, title="Untried", measureIds=[measure])
    adoption = {}
    for name, on in (("Adams", "2024-07-01"), ("Baker", "2024-08-01"), ("Carver", "2024-09-02")):
        answer = await adopt(gql, token, practice["id"], schools[name], on)
        adoption[name] = answer["data"]["adoptPractice"]["adoption"]["id"]

    async def entry(name: str | None, amount: str, **fields: Any) -> str:
        extra = {"adoptionId": adoption[name]} if name else {}
        written = await savings.record(gql, token, project["id"], amount=amount, **extra, **fields)
        return written["id"]  # type: ignore[no-any-return]

    await entry("Adams", "1000.00")  # REALIZED USD: counts
    await entry("Adams", "5000.00", status="PROJECTED")  # projected: not yet
    await entry("Adams", "40.00", unit="HOURS", category="SOFT")  # hours: not USD
    await savings.validate(gql, finance, await entry("Adams", "250.50"))  # VALIDATED: counts
    validated_then_reversed = await entry("Adams", "300.00")
    await savings.validate(gql, finance, validated_then_reversed)
    await savings.reverse(gql, finance, validated_then_reversed)  # +300 and -300
    await savings.reverse(gql, token, await entry("Adams", "99.99"))  # +99.99 and -99.99
    await entry("Baker", "200.00", fiscalYear=2025)  # every fiscal year counts
    await entry("Baker", "300.00", fiscalYear=2026)
    await entry(None, "777.00")  # the project's, no adoption's
    before_rollup = await gql(SAVINGS, {"id": practice["id"]}, token=token)

    await savings.rollup(app_sessionmaker, district_id)
    after_rollup = await gql(SAVINGS, {"id": practice["id"]}, token=token)

    assert before_rollup["data"]["practice"]["adoptions"] == [
        {"school": {"name": name}, "savingsUsd": "0.00"} for name in ("Adams", "Baker", "Carver")
    ]
    assert after_rollup["data"] == {
        "practice": {
            "adoptions": [
                # 1000.00 + 250.50 + (300.00 - 300.00) + (99.99 - 99.99)
                {"school": {"name": "Adams"}, "savingsUsd": "1250.50"},
                {"school": {"name": "Baker"}, "savingsUsd": "500.00"},
                {"school": {"name": "Carver"}, "savingsUsd": "0.00"},
            ]
        },
        "gainsAcrossDistrict": [
            {"title": "Attendance calls", "totalSavingsUsd": "1750.50"},
            {"title": "Untried", "totalSavingsUsd": "0.00"},
        ],
    }
    assert unadopted["adoptions"] == []


async def test_a_measure_that_is_no_longer_school_level_loses_its_stored_gains(
    gql, factory, app_sessionmaker
):
    given = await gains_district(gql, factory)
    token, ada, tardy, schools = given["token"], given["ada"], given["tardy"], given["schools"]
    practice = await create_practice(gql, token, measureIds=[ada, tardy])
    assert "errors" not in await adopt(gql, token, practice["id"], schools["Adams"], "2024-07-15")
    await run_gains_job(app_sessionmaker, given["district_id"])
    async with tenant_transaction(app_sessionmaker, given["district_id"]) as session:
        # No API changes a measure's level today; the worker must not keep serving the pair.
        await session.execute(
            update(Measure).where(Measure.id == uuid.UUID(tardy)).values(level="DISTRICT")
        )
        await session.commit()

    await run_gains_job(app_sessionmaker, given["district_id"])

    read = (await gql(PRACTICE, {"id": practice["id"]}, token=token))["data"]["practice"]
    assert [g["measureId"] for g in read["adoptions"][0]["gains"]] == [ada]
    assert (await counts(app_sessionmaker, given["district_id"]))["adoption_gains"] == 1
