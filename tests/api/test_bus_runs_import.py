"""POST /api/v1/imports/bus-runs: COPY, set-based checks, insert or merge, all or nothing."""

from __future__ import annotations

import asyncio
from datetime import time
from typing import Any

import pytest
from sqlalchemy import func, select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.tenancy.models import Role
from district_ppm.transportation import service
from district_ppm.transportation.models import BusRoute, BusRunDirtyMonth
from tests.support.imports import last_write, waiting_on_a_lock
from tests.support.transportation import (
    HEADER,
    add_route,
    add_school,
    admin,
    recompute,
    report,
    run,
    setup,
    stored,
)


async def post(client: Any, token: str, body: str | bytes) -> Any:
    return await client.post(
        "/api/v1/imports/bus-runs",
        content=body if isinstance(body, bytes) else body.encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )


async def dirty_count(app_sessionmaker: Any, district_id: Any) -> int:
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        return int(await session.scalar(select(func.count()).select_from(BusRunDirtyMonth)) or 0)


async def test_a_file_is_written_riders_default_to_the_route_and_a_resend_changes_nothing(
    client, factory, app_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    # columns in another order, a byte-order mark, CRLF line ends, a blank line
    body = (
        "\ufeffservice_date,route_code,actual_arrival,scheduled_arrival\r\n"
        "2025-09-01,R1,08:10,07:40\r\n\r\n"
        "2025-09-02,R2,07:45:30,07:40\r\n"
    ).encode()

    first = await post(client, token, body)
    await recompute(app_sessionmaker, district_id)
    again = await post(client, token, body)

    assert first.status_code == 200 and first.json() == {"written": 2}
    assert again.status_code == 200 and again.json() == {"written": 2}
    assert [(str(d), str(a), r) for d, _, a, r in await stored(app_sessionmaker, district_id)] == [
        ("2025-09-01", "08:10:00", 40),
        ("2025-09-02", "07:45:30", 20),
    ]
    # the re-sent file changed no run: nothing marked for recompute
    assert await dirty_count(app_sessionmaker, district_id) == 0


async def test_a_changed_run_replaces_the_old_one_and_is_recomputed(
    client, factory, app_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    await post(client, token, HEADER + "R1,2025-09-01,07:40,08:10,\n")
    await recompute(app_sessionmaker, district_id)

    response = await post(client, token, HEADER + "R1,2025-09-01,07:40,08:20,10\n")
    await recompute(app_sessionmaker, district_id)

    assert response.json() == {"written": 1}
    total = (await report(app_sessionmaker, district_id, 2026, "ROUTE")).total
    # late 40; 20 min after the bell x 10 riders = 200 min = 3.33 h
    assert (total.late_minutes, str(total.student_instructional_hours_lost)) == (40, "3.33")


async def test_every_bad_cell_is_reported_by_line_and_column_and_nothing_is_written(
    client, factory, app_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    body = HEADER + (
        "R1,2025-09-01,07:40,08:10,\n"  # line 2: fine
        "R7,2025-09-02,07:40,08:10,\n"  # line 3: unknown route
        "R1,2025-02-30,07:40,08:10,\n"  # line 4: no such day
        "R1,2025-09-04,7.40,08:10,\n"  # line 5: not a time
        "R1,2025-09-05,07:40,24:00,-3\n"  # line 6: hour 24, negative riders
        ",2025-09-06,07:40,08:10,\n"  # line 7: empty route code
    )

    response = await post(client, token, body)

    assert response.status_code == 422
    assert [(e["line"], e["column"]) for e in response.json()["errors"]] == [
        (3, "route_code"),
        (4, "service_date"),
        (5, "scheduled_arrival"),
        (6, "actual_arrival"),
        (6, "riders"),
        (7, "route_code"),
    ]
    assert response.json()["errors"][0]["message"] == "no bus route with code R7"
    assert await stored(app_sessionmaker, district_id) == []


async def test_the_same_route_and_day_twice_is_refused(client, factory, app_sessionmaker):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    body = (
        HEADER + "R1,2025-09-01,07:40,08:10,\nR2,2025-09-01,07:40,08:10,\n"
        "R1,2025-09-01,07:40,08:11,\n"
    )

    response = await post(client, token, body)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "line": 4,
            "column": "service_date",
            "message": "route R1 on 2025-09-01 repeats line 2: a run is one arrival a day",
        }
    ]
    assert await stored(app_sessionmaker, district_id) == []


async def test_ragged_rows_and_bad_headers_are_refused(client, factory, app_sessionmaker):
    district_id, token, _ = await setup(factory, app_sessionmaker)

    ragged = await post(client, token, HEADER + "R1,2025-09-01,07:40\n")
    extra = await post(
        client,
        token,
        "route_code,service_date,scheduled_arrival,"
        "actual_arrival,driver\nR1,2025-09-01,07:40,08:00,Bo\n",
    )
    missing = await post(client, token, "route_code,service_date\nR1,2025-09-01\n")

    assert ragged.json()["errors"] == [
        {"line": 2, "column": None, "message": "expected 5 cells, found 3"}
    ]
    assert extra.json()["errors"] == [{"line": 1, "column": "driver", "message": "unknown column"}]
    assert {e["column"] for e in missing.json()["errors"]} == {
        "scheduled_arrival",
        "actual_arrival",
    }
    assert await stored(app_sessionmaker, district_id) == []


async def test_a_school_leader_imports_only_routes_of_its_schools(
    client, factory, app_sessionmaker
):
    district_id, _, school = await setup(factory, app_sessionmaker)
    other = await add_school(app_sessionmaker, district_id, "Other", time(8, 0))
    await add_route(app_sessionmaker, district_id, "O1", other, 5)
    leader = await factory.token(district_id, Role.SCHOOL_LEADER, school_ids=[school])
    viewer = await factory.token(district_id, Role.VIEWER)

    refused = await post(
        client, leader, HEADER + "R1,2025-09-01,07:40,08:10,\nO1,2025-09-01,07:40,08:10,\n"
    )
    accepted = await post(client, leader, HEADER + "R1,2025-09-01,07:40,08:10,\n")
    forbidden = await post(client, viewer, HEADER + "R1,2025-09-01,07:40,08:10,\n")

    assert refused.json()["errors"] == [
        {"line": 3, "column": "route_code", "message": "the route serves a school outside yours"}
    ]
    assert accepted.json() == {"written": 1}
    assert forbidden.status_code == 403


async def test_a_well_formed_file_with_unknown_routes_or_riders_out_of_range_is_refused(
    client, factory, app_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    # every cell has the right type, so COPY takes it whole; the checks after COPY refuse it
    body = HEADER + "R1,2025-09-01,07:40,08:10,5000\nR8,2025-09-02,07:40,08:10,3\n"

    response = await post(client, token, body)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"line": 2, "column": "riders", "message": "must be a whole number from 0 to 1000"},
        {"line": 3, "column": "route_code", "message": "no bus route with code R8"},
    ]
    assert await stored(app_sessionmaker, district_id) == []


async def test_a_bad_run_last_in_key_order_leaves_nothing_written_or_marked(
    client, factory, app_sessionmaker
):
    """The fast INSERT has written the sound runs before it reaches the bad one: its failure
    takes them back, and the checks name the line."""
    district_id, token, _ = await setup(factory, app_sessionmaker)
    body = HEADER + (
        "R1,2025-10-02,07:40,24:00,\n"  # line 2: last in key order, hour 24
        "R1,2025-09-01,07:40,08:10,\n"
        "R1,2025-10-01,07:40,08:10,\n"
    )

    response = await post(client, token, body)

    assert response.status_code == 422
    assert [(e["line"], e["column"]) for e in response.json()["errors"]] == [(2, "actual_arrival")]
    assert await stored(app_sessionmaker, district_id) == []
    assert await dirty_count(app_sessionmaker, district_id) == 0


async def test_a_new_file_with_a_stored_run_after_its_first_line_is_merged(
    client, factory, app_sessionmaker, admin_sessionmaker
):
    """The first line is new, so the fast INSERT is tried; the stored run makes it fail on the
    primary key, and the merge writes the file with only the changed month marked."""
    district_id, token, _ = await setup(factory, app_sessionmaker)
    await post(client, token, HEADER + "R1,2025-10-01,07:40,08:10,\n")
    await recompute(app_sessionmaker, district_id)

    response = await post(
        client, token, HEADER + "R1,2025-09-01,07:40,08:10,\nR1,2025-10-01,07:40,08:10,\n"
    )

    assert response.json() == {"written": 2}
    assert await last_write(admin_sessionmaker, district_id, "bus-runs") == "merge"
    assert [str(d) for d, _, _, _ in await stored(app_sessionmaker, district_id)] == [
        "2025-09-01",
        "2025-10-01",
    ]
    # October's run is unchanged: only September is marked
    assert await dirty_count(app_sessionmaker, district_id) == 1


async def test_dates_and_times_are_read_as_written_whatever_the_server_s_date_style(
    client, factory, app_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    # Each file is otherwise well formed, so COPY would take it whole: 03/04/2025 would be
    # March 4th or April 3rd depending on the server's DateStyle, and 24:00 is a PostgreSQL
    # time that no client can read back.
    ambiguous = await post(client, token, HEADER + "R1,03/04/2025,07:40,08:10,\n")
    midnight = await post(client, token, HEADER + "R1,2025-09-01,07:40,24:00,\n")

    assert ambiguous.status_code == 422
    assert ambiguous.json()["errors"] == [
        {"line": 2, "column": "service_date", "message": "must be a date YYYY-MM-DD"}
    ]
    assert midnight.status_code == 422
    assert midnight.json()["errors"] == [
        {"line": 2, "column": "actual_arrival", "message": "must be a time HH:MM or HH:MM:SS"}
    ]
    assert await stored(app_sessionmaker, district_id) == []


async def test_words_postgresql_reads_as_dates_are_refused(client, factory, app_sessionmaker):
    """PostgreSQL casts 'infinity', 'today' or 'epoch' to a date, and takes '2025-09-01 BC';
    none is a file's YYYY-MM-DD. An infinite date once went in whole, and the recompute then
    tried to list its endless months."""
    district_id, token, _ = await setup(factory, app_sessionmaker)
    for word in ("infinity", "-infinity", "today", "epoch", "2025-09-01 BC"):
        response = await post(client, token, HEADER + f"R1,{word},07:40,08:10,\n")

        assert response.status_code == 422, word
        assert response.json()["errors"] == [
            {"line": 2, "column": "service_date", "message": "must be a date YYYY-MM-DD"}
        ], word
    assert await stored(app_sessionmaker, district_id) == []
    assert await dirty_count(app_sessionmaker, district_id) == 0


async def test_a_repeated_route_and_day_is_refused_even_when_one_line_matches_the_stored_run(
    client, factory, app_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    await post(client, token, HEADER + "R1,2025-09-01,07:40,08:10,\n")
    before = await stored(app_sessionmaker, district_id)

    # line 2 equals the stored run (the merge skips it), line 3 repeats its key
    response = await post(
        client, token, HEADER + "R1,2025-09-01,07:40,08:10,\nR1,2025-09-01,07:40,09:10,\n"
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "line": 3,
            "column": "service_date",
            "message": "route R1 on 2025-09-01 repeats line 2: a run is one arrival a day",
        }
    ]
    assert await stored(app_sessionmaker, district_id) == before


async def test_a_cell_that_does_not_cast_is_reported_beside_another_error_of_its_row(
    client, factory, app_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)

    # line 2: an unknown route and a day that does not exist
    response = await post(client, token, HEADER + "R9,2025-02-30,07:40,08:10,\n")

    assert response.status_code == 422
    assert [(e["line"], e["column"]) for e in response.json()["errors"]] == [
        (2, "route_code"),
        (2, "service_date"),
    ]
    assert await stored(app_sessionmaker, district_id) == []


async def test_new_runs_are_inserted_with_their_months_marked_and_overlaps_are_merged(
    client, factory, app_sessionmaker, admin_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)
    september = "R1,2025-09-01,07:40,08:10,\nR2,2025-09-30,07:40,08:10,\n"
    october = "R1,2025-10-01,07:40,08:12,\n"

    first = await post(client, token, HEADER + september)
    first_write = await last_write(admin_sessionmaker, district_id, "bus-runs")
    first_marks = await dirty_count(app_sessionmaker, district_id)
    await recompute(app_sessionmaker, district_id)
    # October is after every stored day of R1: new again
    later = await post(client, token, HEADER + october)
    later_write = await last_write(admin_sessionmaker, district_id, "bus-runs")
    later_marks = await dirty_count(app_sessionmaker, district_id)
    await recompute(app_sessionmaker, district_id)
    # R1 on September 1st is stored: merged, and only its month is marked
    overlap = await post(client, token, HEADER + september.replace("08:10,\nR2", "08:20,\nR2"))
    overlap_write = await last_write(admin_sessionmaker, district_id, "bus-runs")

    assert [r.json() for r in (first, later, overlap)] == [{"written": n} for n in (2, 1, 2)]
    assert (first_write, later_write, overlap_write) == ("insert", "insert", "merge")
    assert (first_marks, later_marks, await dirty_count(app_sessionmaker, district_id)) == (2, 1, 1)
    assert [str(a) for _, _, a, _ in await stored(app_sessionmaker, district_id)] == [
        "08:20:00",
        "08:10:00",
        "08:12:00",
    ]


async def test_a_new_run_a_racing_writer_commits_while_the_import_inserts_is_merged(
    client, factory, app_sessionmaker, admin_sessionmaker
):
    """The import surveys nothing stored and inserts; a writer that stored one of its runs
    meanwhile makes the INSERT fail on the primary key: the import merges instead (the last
    writer's run wins whole) and answers 200."""
    district_id, token, _ = await setup(factory, app_sessionmaker)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        route = await session.scalar(select(BusRoute.id).where(BusRoute.code == "R1"))
    body = HEADER + "R1,2025-09-01,07:40,08:10,\nR1,2025-09-02,07:40,08:11,\n"

    async with tenant_transaction(app_sessionmaker, district_id) as racer:
        await service.record_bus_runs(
            session=racer,
            district_id=district_id,
            principal=admin(district_id),
            runs=[run(route, "2025-09-02", "07:40", "09:00")],
        )
        upload = asyncio.create_task(post(client, token, body))
        # The import's INSERT (the fast path's, within its WITH) waits for the racer's
        # uncommitted run.
        await waiting_on_a_lock(admin_sessionmaker, "WITH written AS (%INSERT INTO bus_runs")
        await racer.commit()
    response = await upload

    assert (response.status_code, response.json()) == (200, {"written": 2})
    assert await last_write(admin_sessionmaker, district_id, "bus-runs") == "merge"
    assert [str(a) for _, _, a, _ in await stored(app_sessionmaker, district_id)] == [
        "08:10:00",
        "08:11:00",
    ]


async def test_cells_of_spaces_are_empty_an_empty_date_refused_empty_riders_the_route_s(
    client, factory, app_sessionmaker
):
    district_id, token, _ = await setup(factory, app_sessionmaker)

    empty_date = await post(client, token, HEADER + "R1,  ,07:40,08:10,\n")
    # a line of spaces is blank
    padded = await post(client, token, HEADER + " R1 , 2025-09-01 , 07:40 ,08:10,  \n , , , ,\n")

    assert empty_date.json()["errors"] == [
        {"line": 2, "column": "service_date", "message": "must not be empty"}
    ]
    assert padded.json() == {"written": 1}
    assert [(str(d), r) for d, _, _, r in await stored(app_sessionmaker, district_id)] == [
        ("2025-09-01", 40)
    ]


async def test_cells_the_fast_insert_refuses_are_written_by_the_general_path(
    client, factory, app_sessionmaker, admin_sessionmaker
):
    """A padded date and riders given as "" fail the fast INSERT's casts; the general path,
    which trims and reads "" as blank, writes them as a sound file's."""
    district_id, token, _ = await setup(factory, app_sessionmaker)

    response = await post(
        client, token, HEADER + 'R1, 2025-09-01 ,07:40,08:10,""\nR2,2025-09-02,07:41,08:11,12\n'
    )

    assert response.json() == {"written": 2}
    assert await last_write(admin_sessionmaker, district_id, "bus-runs") == "insert"
    assert [(str(d), str(a), r) for d, _, a, r in await stored(app_sessionmaker, district_id)] == [
        ("2025-09-01", "08:10:00", 40),
        ("2025-09-02", "08:11:00", 12),
    ]
    assert await dirty_count(app_sessionmaker, district_id) == 2


@pytest.mark.parametrize("day", ["20255-09-01", "300000-01-01"])
async def test_a_date_of_more_than_four_year_digits_is_named(
    client, factory, app_sessionmaker, day
):
    """PostgreSQL casts it (its dates run to the year 5874897), but it is no YYYY-MM-DD; past
    the year 294276 a month of it is no timestamp, which once answered a 500."""
    district_id, token, _ = await setup(factory, app_sessionmaker)

    response = await post(
        client, token, HEADER + f"R1,2025-09-01,07:40,08:10,\nR1,{day},07:40,08:10,\n"
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"line": 3, "column": "service_date", "message": "must be a date YYYY-MM-DD"}
    ]
    assert await stored(app_sessionmaker, district_id) == []


async def test_a_date_of_spaces_sends_the_file_to_the_cell_by_cell_report(
    client, factory, app_sessionmaker
):
    """A date cell of spaces fails its cast: every cell is then checked by its pattern, and
    cells the casts would have read (a day without its zero, a time with a fraction, a
    signed number) are named too."""
    district_id, token, _ = await setup(factory, app_sessionmaker)
    body = (
        HEADER
        + "R1,   ,07:40,08:10,\nR1,2025-9-2,07:40,08:10,\nR1,2025-09-03,07:40:00.5,08:10,+5\n"
    )

    response = await post(client, token, body)

    assert response.status_code == 422
    # (the cells of one line come in no set order)
    assert sorted((e["line"], e["column"]) for e in response.json()["errors"]) == [
        (2, "service_date"),
        (3, "service_date"),
        (4, "riders"),
        (4, "scheduled_arrival"),
    ]
    assert await stored(app_sessionmaker, district_id) == []
