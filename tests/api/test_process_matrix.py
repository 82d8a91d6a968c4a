"""processMatrix: every school x each SCHOOL-level measure of a process and its descendants,
with the latest value in the school year, the school's status, its rank and the peer-group
medians, worked out by hand."""

from __future__ import annotations

import pytest

from district_ppm.measures.jobs import refresh_measure_status_job
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.jobs import HandRun, marked_measures
from tests.support.management import MATRIX, create_process
from tests.support.measures import (
    SET_TARGET,
    count_statements,
    create_measure,
    create_school,
    queries,
    record,
    run_refresh,
)


def value(school, period, amount):
    return {"schoolId": school, "periodStart": period, "value": amount}


async def _district(gql, factory, app_sessionmaker, *, refreshed_by_worker=False):
    """``refreshed_by_worker``: the worker's job takes the writes' dirty marks, so the cells'
    values are read from its status rows; else the marks stay and they are computed."""
    district_id, token = await factory.district()
    process = await create_process(gql, token, "3")
    child = await create_process(gql, token, "3.1", parent_id=process)
    elsewhere = await create_process(gql, token, "4")
    schools = {
        name: await create_school(gql, token, name, level)
        for name, level in (
            ("Alder", "ELEMENTARY"),
            ("Birch", "ELEMENTARY"),
            ("Cedar", "ELEMENTARY"),
            ("Dogwood", "MIDDLE"),
            ("Elm", "MIDDLE"),
            ("Fir", "HIGH"),
        )
    }
    s = schools
    # X: higher is better, on the process itself.
    x = await create_measure(gql, token, code="X-ATT", processId=process)
    await record(
        gql,
        token,
        x,
        [
            value(s["Alder"], "2024-09-01", 80.0),
            value(s["Alder"], "2024-10-01", 90.0),  # Alder's latest in 2024-25
            value(s["Birch"], "2024-10-01", 90.0),
            value(s["Cedar"], "2024-09-01", 70.0),
            value(s["Dogwood"], "2024-06-01", 100.0),  # school year 2023-24: not this one
            value(s["Dogwood"], "2024-10-01", 85.0),
            value(s["Dogwood"], "2025-07-01", 99.0),  # school year 2025-26: not this one
            value(s["Elm"], "2024-10-01", 60.0),
        ],
    )
    for school, target, red in ((None, 85.0, 65.0), (s["Cedar"], 60.0, 50.0)):
        await gql(
            SET_TARGET,
            {
                "input": {
                    "measureId": x,
                    "schoolId": school,
                    "schoolYear": 2025,
                    "value": target,
                    "redThreshold": red,
                }
            },
            token=token,
        )
    # Y: lower is better, on the child process.
    y = await create_measure(
        gql, token, code="Y-LATE", direction="LOWER_IS_BETTER", processId=child
    )
    await record(
        gql,
        token,
        y,
        [
            value(s["Alder"], "2024-11-01", 0.1),
            value(s["Birch"], "2024-11-01", 0.2),
            value(s["Dogwood"], "2024-11-01", 0.3),
            value(s["Fir"], "2024-11-01", 0.1),
        ],
    )
    # Neither a DISTRICT-level measure of the process nor another process's measure is a column.
    await create_measure(gql, token, code="X-DIST", level="DISTRICT", processId=process)
    await create_measure(gql, token, code="Z-ELSE", processId=elsewhere)
    if refreshed_by_worker:
        await HandRun(refresh_measure_status_job).drain(app_sessionmaker, district_id)
        assert await marked_measures(app_sessionmaker, district_id) == []
    else:
        await run_refresh(app_sessionmaker, district_id)
        assert len(await marked_measures(app_sessionmaker, district_id)) == 2
    return district_id, token, process, schools, x, y


@pytest.mark.parametrize("refreshed_by_worker", [False, True], ids=["computed", "stored"])
async def test_the_matrix_holds_values_statuses_ranks_and_peer_medians(
    gql, factory, app_sessionmaker, refreshed_by_worker
):
    _, token, process, schools, x, y = await _district(
        gql, factory, app_sessionmaker, refreshed_by_worker=refreshed_by_worker
    )

    result = await gql(MATRIX, {"processId": process, "schoolYear": 2025}, token=token)

    matrix = result["data"]["processMatrix"]
    assert (matrix["processId"], matrix["schoolYear"]) == (process, 2025)
    assert [(c["measureId"], c["code"], c["direction"]) for c in matrix["columns"]] == [
        (x, "X-ATT", "HIGHER_IS_BETTER"),
        (y, "Y-LATE", "LOWER_IS_BETTER"),
    ]
    # X: elementary 90, 90, 70 -> 90; middle 85, 60 -> 72.5. Y: elementary 0.1, 0.2 -> 0.15
    # exactly (not 0.15000000000000002); middle 0.3; high 0.1.
    assert [c["peerMedians"] for c in matrix["columns"]] == [
        [
            {"level": "ELEMENTARY", "median": 90.0, "schools": 3},
            {"level": "MIDDLE", "median": 72.5, "schools": 2},
        ],
        [
            {"level": "ELEMENTARY", "median": 0.15, "schools": 2},
            {"level": "MIDDLE", "median": 0.3, "schools": 1},
            {"level": "HIGH", "median": 0.1, "schools": 1},
        ],
    ]
    table = {
        row["school"]["name"]: [(c["value"], c["status"], c["rank"]) for c in row["cells"]]
        for row in matrix["rows"]
    }
    assert [row["school"]["id"] for row in matrix["rows"]] == list(schools.values())
    # X ranks (higher is better): 90, 90 share 1; 85 is 3rd; 70 4th; 60 5th. Statuses against
    # the district's target (85, red below 65), Cedar against its own (60, red below 50).
    # Y ranks (lower is better): 0.1, 0.1 share 1; 0.2 is 3rd; 0.3 4th. Y has no target.
    assert table == {
        "Alder": [(90.0, "GREEN", 1), (0.1, "NO_TARGET", 1)],
        "Birch": [(90.0, "GREEN", 1), (0.2, "NO_TARGET", 3)],
        "Cedar": [(70.0, "GREEN", 4), (None, "NO_DATA", None)],
        "Dogwood": [(85.0, "GREEN", 3), (0.3, "NO_TARGET", 4)],
        "Elm": [(60.0, "RED", 5), (None, "NO_DATA", None)],
        "Fir": [(None, "NO_DATA", None), (0.1, "NO_TARGET", 1)],
    }


async def test_a_value_written_after_the_refresh_shows_at_once(gql, factory, app_sessionmaker):
    """Stored values are served only while their measure has no dirty mark: a write shows in
    the next read (its status is the worker's until the refresh)."""
    district_id, token, process, s, x, _ = await _district(
        gql, factory, app_sessionmaker, refreshed_by_worker=True
    )
    await record(gql, token, x, [value(s["Alder"], "2024-11-01", 50.0)])
    assert await marked_measures(app_sessionmaker, district_id) == [x]

    def alder(result):
        row = next(
            r for r in result["data"]["processMatrix"]["rows"] if r["school"]["id"] == s["Alder"]
        )
        return [(c["value"], c["status"], c["rank"]) for c in row["cells"]]

    before = await gql(MATRIX, {"processId": process, "schoolYear": 2025}, token=token)
    # X: 50 is now Alder's newest and the last of five; Y (not written) is the worker's.
    assert alder(before) == [(50.0, "GREEN", 5), (0.1, "NO_TARGET", 1)]

    await HandRun(refresh_measure_status_job).drain(app_sessionmaker, district_id)
    after = await gql(MATRIX, {"processId": process, "schoolYear": 2025}, token=token)
    assert alder(after) == [(50.0, "RED", 5), (0.1, "NO_TARGET", 1)]


async def test_a_school_year_with_no_values_has_empty_cells(gql, factory, app_sessionmaker):
    _, token, process, _, _, _ = await _district(gql, factory, app_sessionmaker)

    result = await gql(MATRIX, {"processId": process, "schoolYear": 2023}, token=token)

    matrix = result["data"]["processMatrix"]
    assert [c["peerMedians"] for c in matrix["columns"]] == [[], []]
    assert {
        (c["value"], c["status"], c["rank"]) for row in matrix["rows"] for c in row["cells"]
    } == {(None, "NO_DATA", None)}


async def test_an_unknown_process_or_a_bad_school_year_is_refused(gql, factory, app_sessionmaker):
    _, _, other_process, *_ = await _district(gql, factory, app_sessionmaker)
    _, token = await factory.district()
    own = await create_process(gql, token, "1")

    foreign = await gql(MATRIX, {"processId": other_process, "schoolYear": 2025}, token=token)
    bad_year = await gql(MATRIX, {"processId": own, "schoolYear": 20250}, token=token)
    bad_id = await gql(MATRIX, {"processId": "nope", "schoolYear": 2025}, token=token)

    assert foreign["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "processId"}
    assert bad_year["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "schoolYear"}
    assert bad_id["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "processId"}


async def test_the_matrix_runs_a_fixed_number_of_statements(gql, factory, app):
    counts = []
    for size in (1, 4):
        _, token = await factory.district()
        process = await create_process(gql, token, "1")
        below = await create_process(gql, token, "1.1", parent_id=process)
        schools = [await create_school(gql, token, f"School {i}") for i in range(size)]
        for index in range(size):
            measure = await create_measure(
                gql, token, code=f"M-{index}", processId=below if index % 2 else process
            )
            await record(gql, token, measure, [value(s, "2024-09-01", 1.0) for s in schools])

        with count_statements(app) as statements:
            result = await gql(MATRIX, {"processId": process, "schoolYear": 2025}, token=token)
        assert len(result["data"]["processMatrix"]["rows"]) == size
        assert len(result["data"]["processMatrix"]["rows"][-1]["cells"]) == size
        counts.append(len(queries(statements)))

    # the process tree, the measures, the schools, the cells (statuses and latest values)
    assert counts == [4, 4]


async def test_every_role_reads_the_matrix(gql, factory):
    district_id, admin = await factory.district()
    process = await create_process(gql, admin, "1")

    for role in Role:
        token = await factory.token(district_id, role)
        result = await gql(MATRIX, {"processId": process, "schoolYear": 2025}, token=token)
        assert error_codes(result) == [], role
