"""metricsHygiene: each measure's reasons, worked out by hand for a small district."""

from __future__ import annotations

from tests.api.measures_support import SET_TARGET, create_measure, create_school, record
from tests.api.test_logic_models import CREATE_MODEL

HYGIENE = """
query($asOf: Date) {
  metricsHygiene(asOf: $asOf) { asOf notChecked rows { measure { code } reasons } }
}
"""
CREATE_PROCESS = """
mutation($input: CreateProcessInput!) { createProcess(input: $input) { process { id } } }
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


async def test_every_reason_of_every_measure(gql, factory):
    _, token = await factory.district()
    school = await create_school(gql, token, "Lincoln")
    process = await gql(
        CREATE_PROCESS,
        {"input": {"code": "5", "name": "Student support", "kind": "INSTRUCTIONAL"}},
        token=token,
    )
    process_id = process["data"]["createProcess"]["process"]["id"]

    async def measure(code, *, owner="Ms. Rivera", with_process=True, **overrides):
        return await create_measure(
            gql,
            token,
            code=code,
            owner=owner,
            processId=process_id if with_process else None,
            **overrides,
        )

    # As of 2025-11-15 the last two complete months are September and October 2025, the last
    # two complete quarters start on April 1st and July 1st, and the school year is 2026.
    clean = await measure("CLEAN")
    no_owner = await measure("NO-OWNER", owner=None)
    orphan = await measure("ORPHAN", with_process=False)
    modelled = await measure("MODELLED", with_process=False)
    stale = await measure("STALE")
    half = await measure("HALF")
    quarterly = await measure("QUARTERLY", frequency="QUARTERLY")
    last_year = await measure("LAST-YEAR")
    await measure("NOTHING", owner=None, with_process=False)
    await gql(CREATE_MODEL, {"input": {"name": "Tutoring", "measureIds": [modelled]}}, token=token)
    for m in (clean, no_owner, orphan, modelled, stale, half, quarterly):
        await target(gql, token, m, 2026)
    await target(gql, token, last_year, 2025)
    for m in (clean, no_owner, orphan, modelled, last_year):
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
        ("NOTHING", ["NO_OWNER", "NO_PROCESS_OR_LOGIC_MODEL", "NO_RECENT_DATA", "NO_TARGET"]),
        ("ORPHAN", ["NO_PROCESS_OR_LOGIC_MODEL"]),
        ("STALE", ["NO_RECENT_DATA"]),
    ]
    assert [note.split(":")[0] for note in report["notChecked"]] == ["FORUM_SCOPE"]


async def test_only_the_callers_district_and_today_by_default(gql, factory):
    _, token = await factory.district()
    await create_measure(gql, token, code="MINE")
    _, other = await factory.district()
    await create_measure(gql, other, code="THEIRS")

    result = await gql(HYGIENE, token=token)

    report = result["data"]["metricsHygiene"]
    assert report["asOf"] is not None
    assert [r["measure"]["code"] for r in report["rows"]] == ["MINE"]
