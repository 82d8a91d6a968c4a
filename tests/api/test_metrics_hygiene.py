"""metricsHygiene: each measure's reasons, worked out by hand for a small district."""

from __future__ import annotations

from tests.support.measures import (
    CREATE_MODEL,
    SET_TARGET,
    count_statements,
    create_measure,
    create_school,
    queries,
    record,
)

HYGIENE = """
query($asOf: Date) {
  metricsHygiene(asOf: $asOf) { asOf notChecked rows { measure { code } reasons } }
}
"""
CREATE_PROCESS = """
mutation($input: CreateProcessInput!) { createProcess(input: $input) { process { id } } }
"""
CREATE_FORUM = """
mutation($input: CreateForumInput!) { createForum(input: $input) { forum { id } } }
"""


async def target(gql, token, measure_id, year):
    result = await gql(
        SET_TARGET,
        {"input": {"measureId": measure_id, "schoolYear": year, "value": 90, "redThreshold": 80}},
        token=token,
    )
    assert "errors" not in result, result


async def values(gql, token, measure_id, school_id, periods):
    result = await record(
        gql,
        token,
        measure_id,
        [{"schoolId": school_id, "periodStart": p, "value": 91.0} for p in periods],
    )
    assert "errors" not in result, result


async def create_process(gql, token, code, name, parent_id=None):
    process = await gql(
        CREATE_PROCESS,
        {"input": {"code": code, "name": name, "kind": "INSTRUCTIONAL", "parentId": parent_id}},
        token=token,
    )
    return process["data"]["createProcess"]["process"]["id"]


async def test_every_reason_of_every_measure(gql, factory):
    _, token = await factory.district()
    school = await create_school(gql, token, "Lincoln")
    process_id = await create_process(gql, token, "5", "Student support")
    child_id = await create_process(gql, token, "5.1", "Attendance", process_id)
    unreviewed_id = await create_process(gql, token, "6", "Facilities")

    async def measure(code, *, owner="Ms. Rivera", process=process_id, **overrides):
        return await create_measure(
            gql, token, code=code, owner=owner, processId=process, **overrides
        )

    # As of 2025-11-15 the last two complete months are September and October 2025, the last
    # two complete quarters start on April 1st and July 1st, and the school year is 2026.
    clean = await measure("CLEAN")
    no_owner = await measure("NO-OWNER", owner=None)
    orphan = await measure("ORPHAN", process=None)
    modelled = await measure("MODELLED", process=None)
    stale = await measure("STALE")
    half = await measure("HALF")
    quarterly = await measure("QUARTERLY", frequency="QUARTERLY")
    last_year = await measure("LAST-YEAR")
    child = await measure("CHILD", process=child_id)
    unreviewed = await measure("UNREVIEWED", process=unreviewed_id)
    await measure("NOTHING", owner=None, process=None)
    await gql(CREATE_MODEL, {"input": {"name": "Tutoring", "measureIds": [modelled]}}, token=token)
    # The review names process 5 (so 5.1's CHILD is in its scope too) and MODELLED.
    forum = {"name": "Student support review", "cadence": "MONTHLY", "processIds": [process_id]}
    forum["measureIds"] = [modelled]
    assert "errors" not in await gql(CREATE_FORUM, {"input": forum}, token=token)
    for m in (clean, no_owner, orphan, modelled, stale, half, quarterly, child, unreviewed):
        await target(gql, token, m, 2026)
    await target(gql, token, last_year, 2025)
    for m in (clean, no_owner, orphan, modelled, last_year, child, unreviewed):
        await values(gql, token, m, school, ["2025-10-01"])
    await values(gql, token, stale, school, ["2025-07-01", "2025-08-01", "2025-11-01"])
    await values(gql, token, half, school, ["2025-09-01"])
    await values(gql, token, quarterly, school, ["2025-04-01"])

    result = await gql(HYGIENE, {"asOf": "2025-11-15"}, token=token)

    report = result["data"]["metricsHygiene"]
    assert report["asOf"] == "2025-11-15"
    assert [(r["measure"]["code"], r["reasons"]) for r in report["rows"]] == [
        ("LAST-YEAR", ["NO_TARGET"]),
        ("NO-OWNER", ["NO_OWNER"]),
        (
            "NOTHING",
            [
                "NO_OWNER",
                "NO_PROCESS_OR_LOGIC_MODEL",
                "NO_RECENT_DATA",
                "NO_TARGET",
                "NOT_ON_ANY_FORUM",
            ],
        ),
        ("ORPHAN", ["NO_PROCESS_OR_LOGIC_MODEL", "NOT_ON_ANY_FORUM"]),
        ("STALE", ["NO_RECENT_DATA"]),
        ("UNREVIEWED", ["NOT_ON_ANY_FORUM"]),
    ]
    assert report["notChecked"] == []


async def test_another_districts_forum_reviews_nothing_here(gql, factory):
    _, token = await factory.district()
    process_id = await create_process(gql, token, "5", "Student support")
    await create_measure(gql, token, code="MINE", owner="Ms. Rivera", processId=process_id)
    _, other = await factory.district()
    forum = {"name": "Review", "cadence": "MONTHLY", "processIds": []}
    assert "errors" not in await gql(CREATE_FORUM, {"input": forum}, token=other)

    result = await gql(HYGIENE, {"asOf": "2025-11-15"}, token=token)

    rows = result["data"]["metricsHygiene"]["rows"]
    assert [(r["measure"]["code"], r["reasons"][-1]) for r in rows] == [
        ("MINE", "NOT_ON_ANY_FORUM")
    ]


async def test_only_the_callers_district_and_today_by_default(gql, factory):
    _, token = await factory.district()
    await create_measure(gql, token, code="MINE")
    _, other = await factory.district()
    await create_measure(gql, other, code="THEIRS")

    result = await gql(HYGIENE, token=token)

    report = result["data"]["metricsHygiene"]
    assert report["asOf"] is not None
    assert [r["measure"]["code"] for r in report["rows"]] == ["MINE"]


MEASURE_FIELDS = (
    "id code name unit direction stage view frequency level processId definition aggregation "
    "owner dataSource"
)


async def test_each_flagged_measure_has_every_field_of_measure_by_id(gql, factory):
    _, token = await factory.district()
    process_id = await create_process(gql, token, "7", "Meals")
    created = [
        await create_measure(
            gql, token, code="M-1", owner=None, processId=process_id, definition="Meals served"
        ),
        await create_measure(
            gql, token, code="M-2", level="DISTRICT", frequency="QUARTERLY", dataSource="POS"
        ),
    ]
    result = await gql(
        f"{{ metricsHygiene {{ rows {{ measure {{ {MEASURE_FIELDS} }} }} }} }}", token=token
    )
    assert "errors" not in result, result
    served = [row["measure"] for row in result["data"]["metricsHygiene"]["rows"]]
    assert [m["id"] for m in served] == created
    for measure in served:
        by_id = await gql(
            f"query($id: ID!) {{ measure(id: $id) {{ {MEASURE_FIELDS} }} }}",
            {"id": measure["id"]},
            token=token,
        )
        assert measure == by_id["data"]["measure"]
    assert served[0]["processId"] == process_id and served[1]["dataSource"] == "POS"


async def test_the_report_runs_three_statements_whatever_the_number_of_measures(gql, factory, app):
    counts = []
    for size in (1, 6):
        _, token = await factory.district()
        for index in range(size):
            await create_measure(gql, token, code=f"M-{index}")
        with count_statements(app) as statements:
            result = await gql(HYGIENE, token=token)
        assert len(result["data"]["metricsHygiene"]["rows"]) == size
        counts.append(len(queries(statements)))
    # the district's calendar, the measures with their checks, the measures some forum reviews
    assert counts == [3, 3]
