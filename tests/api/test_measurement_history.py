"""measurementHistory, and the promise behind it: under racing writers every accepted value of a
key ends up either current or in the history, exactly once (DOMAIN.md "History")."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.measures import create_measure, create_school, record

HISTORY = """
query($measureId: ID!, $schoolId: ID, $periodStart: Date!) {
  measurementHistory(measureId: $measureId, schoolId: $schoolId, periodStart: $periodStart) {
    value numerator denominator source recordedBy recordedAt replacedAt
  }
}
"""


async def history(gql: Any, token: str, measure_id: str, school_id: str | None, period: str):
    result = await gql(
        HISTORY,
        {"measureId": measure_id, "schoolId": school_id, "periodStart": period},
        token=token,
    )
    assert "errors" not in result, result
    return result["data"]["measurementHistory"]


async def post_csv(client: Any, token: str, body: str) -> Any:
    return await client.post(
        "/api/v1/imports/measurements",
        content=body.encode("utf-8"),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )


async def test_history_lists_every_value_oldest_first_with_who_and_from_where(gql, client, factory):
    _, token = await factory.district()
    school = await create_school(gql, token, "Lincoln", nces_id="480000100001")
    measure = await create_measure(gql, token)
    one = {"schoolId": school, "periodStart": "2025-09-01"}

    await record(gql, token, measure, [{**one, "value": 91.5}])
    await post_csv(
        client, token, "measure_code,school,period_start,value\nSS-ADA,480000100001,2025-09-01,93\n"
    )
    await record(gql, token, measure, [{**one, "value": 93}])  # the current value: no change
    await record(
        gql, token, measure, [{**one, "value": 94.25, "numerator": 377, "denominator": 400}]
    )

    entries = await history(gql, token, measure, school, "2025-09-01")

    assert [(e["value"], e["numerator"], e["denominator"], e["source"]) for e in entries] == [
        (91.5, None, None, "MANUAL"),
        (93.0, None, None, "IMPORT"),
        (94.25, 377.0, 400.0, "MANUAL"),
    ]
    assert [e["replacedAt"] is None for e in entries] == [False, False, True]
    assert entries[0]["replacedAt"] <= entries[1]["replacedAt"]
    assert all(e["recordedBy"] for e in entries)


async def test_history_of_an_unknown_measure_is_not_found_and_an_unwritten_key_is_empty(
    gql, factory
):
    _, token = await factory.district()
    measure = await create_measure(gql, token, code="FIN", level="DISTRICT", unit="DOLLARS")
    missing = await gql(
        HISTORY,
        {"measureId": "00000000-0000-0000-0000-000000000001", "periodStart": "2025-09-01"},
        token=token,
    )

    assert error_codes(missing) == ["NOT_FOUND"]
    assert missing["errors"][0]["extensions"]["field"] == "measureId"
    assert await history(gql, token, measure, None, "2025-09-01") == []


async def test_another_districts_history_looks_missing(gql, factory):
    _, token_a = await factory.district()
    district_b, _ = await factory.district()
    viewer_b = await factory.token(district_b, Role.VIEWER)
    measure = await create_measure(gql, token_a, code="FIN", level="DISTRICT", unit="DOLLARS")
    await record(gql, token_a, measure, [{"periodStart": "2025-09-01", "value": 1}])

    result = await gql(HISTORY, {"measureId": measure, "periodStart": "2025-09-01"}, token=viewer_b)

    assert error_codes(result) == ["NOT_FOUND"]


def assert_each_value_once(entries: list[dict[str, Any]], written: list[float]) -> None:
    """Every accepted value is current or in the history, exactly once; one is current."""
    assert Counter(e["value"] for e in entries) == Counter(written)
    assert [e["replacedAt"] is None for e in entries].count(True) == 1
    assert entries[-1]["replacedAt"] is None


async def test_racing_batches_on_one_key_lose_no_value_over_twenty_runs(gql, factory):
    _, token = await factory.district()
    school = await create_school(gql, token, "Lincoln")
    measure = await create_measure(gql, token)

    for run in range(20):
        period = f"{2000 + run}-09-01"
        values = [float(run * 100 + writer) for writer in range(20)]
        answers = await asyncio.gather(
            *(
                record(
                    gql, token, measure, [{"schoolId": school, "periodStart": period, "value": v}]
                )
                for v in values
            )
        )

        assert [a["data"]["recordMeasurements"]["written"] for a in answers] == [1] * 20
        assert_each_value_once(await history(gql, token, measure, school, period), values)


async def test_batches_and_imports_racing_on_many_keys_keep_every_value(gql, client, factory):
    _, token = await factory.district()
    schools = [
        await create_school(gql, token, f"School {n}", nces_id=f"4800001000{n:02d}")
        for n in range(3)
    ]
    measure = await create_measure(gql, token)
    periods = [f"2025-{month:02d}-01" for month in (9, 10, 11, 12)]
    keys = [(n, period) for n in range(3) for period in periods]
    writers = 16  # even: half write by GraphQL batch, half by CSV import

    def value(writer: int, key_index: int) -> float:
        return float(writer * 1000 + key_index)

    async def by_batch(writer: int) -> None:
        rows = [
            {"schoolId": schools[n], "periodStart": period, "value": value(writer, k)}
            for k, (n, period) in enumerate(keys)
        ]
        answer = await record(gql, token, measure, rows)
        assert answer["data"]["recordMeasurements"]["written"] == len(keys), answer

    async def by_import(writer: int) -> None:
        lines = [
            f"SS-ADA,4800001000{n:02d},{period},{value(writer, k)}"
            for k, (n, period) in enumerate(keys)
        ]
        answer = await post_csv(
            client, token, "measure_code,school,period_start,value\n" + "\n".join(lines) + "\n"
        )
        assert answer.status_code == 200, answer.text

    await asyncio.gather(*(by_batch(w) if w % 2 == 0 else by_import(w) for w in range(writers)))

    for k, (n, period) in enumerate(keys):
        entries = await history(gql, token, measure, schools[n], period)
        assert_each_value_once(entries, [value(w, k) for w in range(writers)])
