"""POST /api/v1/imports/measurements: staging, set-based checks, insert or merge, idempotence."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlalchemy import func, select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.models import Measurement, MeasurementRevision, Source
from district_ppm.measures.recording import MeasurementValue, record_measurements
from district_ppm.tenancy.models import Role
from tests.support.imports import last_write, waiting_on_a_lock
from tests.support.measures import create_measure, create_school


async def post_csv(client, token, body: str):
    return await client.post(
        "/api/v1/imports/measurements",
        content=body.encode("utf-8"),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )


async def counts(app_sessionmaker, district_id):
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = await session.scalar(select(func.count()).select_from(Measurement))
        revisions = await session.scalar(select(func.count()).select_from(MeasurementRevision))
    return rows, revisions


async def test_a_good_file_is_written_and_resending_it_changes_nothing(
    gql, client, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    nces = await create_school(gql, token, "Lincoln", nces_id="480000100001")
    other = await create_school(gql, token, "Roosevelt")
    await create_measure(gql, token)
    await create_measure(gql, token, code="FIN", level="DISTRICT", unit="DOLLARS")
    body = (
        "\ufeffvalue,period_start,school,measure_code,numerator,denominator\n"
        "91.5,2025-09-01,480000100001,SS-ADA,183,200\n"
        f"88,2025-09-01,{other},SS-ADA,,\n"
        "1200.5,2025-09-01,,FIN,,\n"
    )

    first = await post_csv(client, token, body)
    again = await post_csv(client, token, body)

    assert (first.status_code, first.json()) == (200, {"written": 3})
    assert (again.status_code, again.json()) == (200, {"written": 3})
    assert await counts(app_sessionmaker, district_id) == (3, 0)
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        lincoln = await session.scalar(
            select(Measurement).where(Measurement.school_id == uuid.UUID(nces))
        )
    assert (lincoln.value, lincoln.numerator, lincoln.denominator, lincoln.source) == (
        91.5,
        183.0,
        200.0,
        Source.IMPORT,
    )

    changed = await post_csv(client, token, body.replace("91.5,", "92.0,"))
    assert changed.json() == {"written": 3}
    assert await counts(app_sessionmaker, district_id) == (3, 1)


async def test_a_bad_file_is_rejected_whole_with_every_line_and_column(
    gql, client, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    school = await create_school(gql, token, "Lincoln", nces_id="480000100001")
    await create_measure(gql, token)
    await create_measure(gql, token, code="FIN", level="DISTRICT")
    body = (
        "measure_code,school,period_start,value\n"
        "SS-ADA,480000100001,2025-09-01,91\n"  # 2 fine
        "NOPE,480000100001,2025-09-01,91\n"  # 3 unknown code
        "SS-ADA,999999999999,2025-09-01,91\n"  # 4 unknown school
        "SS-ADA,480000100001,2025-09-15,91\n"  # 5 misaligned
        "SS-ADA,480000100001,2025-09-01,90\n"  # 6 duplicate of line 2
        "SS-ADA,480000100001,not-a-date,abc\n"  # 7 two bad cells
        f"FIN,{school},2025-09-01,1\n"  # 8 school on a district measure
        "SS-ADA,,2025-09-01,1\n"  # 9 school missing
        ""
    )

    response = await post_csv(client, token, body)

    assert response.status_code == 422
    errors = [(e["line"], e["column"]) for e in response.json()["errors"]]
    assert errors == [
        (3, "measure_code"),
        (4, "school"),
        (5, "period_start"),
        (6, "period_start"),
        (7, "period_start"),
        (7, "value"),
        (8, "school"),
        (9, "school"),
    ]
    assert response.json()["written"] == 0
    assert await counts(app_sessionmaker, district_id) == (0, 0)


async def test_header_problems_and_roles(gql, client, factory):
    district_id, token = await factory.district()
    mine = await create_school(gql, token, "Mine", nces_id="480000100001")
    await create_school(gql, token, "Theirs", nces_id="480000100002")
    await create_measure(gql, token)
    leader = await factory.token(district_id, Role.SCHOOL_LEADER, school_ids=[uuid.UUID(mine)])
    viewer = await factory.token(district_id, Role.VIEWER)

    extra = await post_csv(client, token, "measure_code,school,period_start,value,colour\n")
    by_viewer = await post_csv(client, viewer, "measure_code,school,period_start,value\n")
    by_leader = await post_csv(
        client,
        leader,
        (
            "measure_code,school,period_start,value\n"
            "SS-ADA,480000100001,2025-09-01,1\n"
            "SS-ADA,480000100002,2025-09-01,1\n"
        ),
    )

    assert extra.status_code == 422
    assert extra.json()["errors"] == [{"line": 1, "column": "colour", "message": "unknown column"}]
    assert by_viewer.status_code == 403
    assert by_leader.status_code == 422
    assert [(e["line"], e["column"]) for e in by_leader.json()["errors"]] == [(3, "school")]


async def test_multipart_crlf_quotes_and_blank_lines_are_accepted(
    gql, client, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    await create_school(gql, token, "Lincoln", nces_id="480000100001")
    await create_measure(gql, token)
    body = (
        '"measure_code" , school,period_start,value,denominator\r\n'
        "\r\n"
        'SS-ADA,"480000100001",2025-09-01, 91.5 ,200\r\n'
        "\r\n"
        " SS-ADA ,480000100001,2025-10-01,1e1,\r\n"
        "\r\n\r\n"
    )

    response = await client.post(
        "/api/v1/imports/measurements",
        headers={"Authorization": f"Bearer {token}"},
        files={"file": ("ada.csv", body.encode(), "text/csv")},
    )

    assert (response.status_code, response.json()) == (200, {"written": 2})
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        rows = (
            await session.execute(
                select(
                    Measurement.period_start, Measurement.value, Measurement.denominator
                ).order_by(Measurement.period_start)
            )
        ).all()
    assert [(str(p), v, d) for p, v, d in rows] == [
        ("2025-09-01", 91.5, 200.0),
        ("2025-10-01", 10.0, None),
    ]


async def test_every_malformed_line_is_reported_with_the_bad_cells(
    gql, client, factory, app_sessionmaker
):
    # issue 11: one ragged row used to hide every other error behind PostgreSQL's words
    district_id, token = await factory.district()
    await create_school(gql, token, "Lincoln", nces_id="480000100001")
    await create_measure(gql, token)
    body = (
        b"measure_code,school,period_start,value\n"
        b"SS-ADA,480000100001,2025-09-01,91\n"  # 2 fine
        b"\n"  # 3 blank: skipped
        b"SS-ADA,480000100001,2025-10-01,91,extra\n"  # 4 long
        b"SS-ADA,480000100001,2025-11-01\n"  # 5 short
        b'SS-ADA,"480000100001,2025-12-01,91\n'  # 6 a quote left open
        b"NOPE,480000100001,2026-01-01,91\n"  # 7 a bad cell
    ) + "CAF\u00c9,480000100001,2026-02-01,1\n".encode("latin-1")  # 8 Latin-1

    response = await client.post(
        "/api/v1/imports/measurements",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )

    assert response.status_code == 422
    assert [(e["line"], e["column"], e["message"]) for e in response.json()["errors"]] == [
        (4, None, "expected 4 cells, found 5"),
        (5, None, "expected 4 cells, found 3"),
        (6, None, "a quote opened on this line is not closed on it (a cell may not span lines)"),
        (7, "measure_code", "no measure with code NOPE in this district"),
        (
            8,
            None,
            "the line is not UTF-8 text (invalid continuation byte): save the file as UTF-8",
        ),
    ]
    assert await counts(app_sessionmaker, district_id) == (0, 0)


async def test_every_bad_cell_is_named_and_no_cast_aborts_the_check(gql, client, factory):
    district_id, token = await factory.district()
    lincoln = await create_school(gql, token, "Lincoln", nces_id="480000100001")
    await create_measure(gql, token)
    await create_measure(
        gql, token, code="FIN", level="DISTRICT", unit="DOLLARS", frequency="FISCAL_YEAR"
    )
    leader = await factory.token(district_id, Role.SCHOOL_LEADER, school_ids=[uuid.UUID(lincoln)])
    body = (
        "measure_code,school,period_start,value,numerator,denominator\n"
        "SS-ADA,480000100001,2025-02-30,1,,\n"  # 2 no such day
        "SS-ADA,480000100001,2025-09-01,1e999,,\n"  # 3 overflow
        "SS-ADA,480000100001,2025-10-01,NaN,x,0\n"  # 4 three bad cells
        ",480000100001,2025-11-01,1,,\n"  # 5 no code
        f"SS-ADA,{lincoln.upper()},2025-12-01,1,,\n"  # 6 the school by id
        "SS-ADA,480000100001,2025-12-01,2,,\n"  # 7 same key as 6
        "FIN,,2025-08-01,5,,\n"  # 8 fiscal year starts in July
        "FIN,,2025-07-01,5,,\n"  # 9 a leader's district row
        ""
    )

    admin = await post_csv(client, token, body)
    by_leader = await post_csv(client, leader, body)

    assert [(e["line"], e["column"], e["message"]) for e in admin.json()["errors"]] == [
        (2, "period_start", "must be a date YYYY-MM-DD"),
        (3, "value", "must be a number"),
        (4, "denominator", "must be greater than zero"),
        (4, "numerator", "must be a number"),
        (4, "value", "must be a number"),
        (5, "measure_code", "must not be empty"),
        (7, "period_start", "the same measure, school and period are on line 6"),
        (8, "period_start", "a FISCAL_YEAR period starts on the 1st of month 7"),
    ]
    leader_errors = [(e["line"], e["column"]) for e in by_leader.json()["errors"]]
    assert (8, "school") in leader_errors and (9, "school") in leader_errors


async def test_the_first_hundred_errors_are_reported_in_line_order(gql, client, factory):
    _, token = await factory.district()
    await create_school(gql, token, "Lincoln", nces_id="480000100001")
    await create_measure(gql, token)
    body = (
        "measure_code,school,period_start,value\n"
        + "".join(f"SS-ADA,480000100001,2025-09-{day:02d},1\n" for day in range(1, 29)) * 10
    )

    response = await post_csv(client, token, body)

    errors = response.json()["errors"]
    assert response.status_code == 422 and len(errors) == 100
    assert [e["line"] for e in errors] == sorted(e["line"] for e in errors)
    assert errors[0] == {
        "line": 3,
        "column": "period_start",
        "message": "a MONTHLY period starts on the 1st of a month",
    }


async def test_an_empty_file_and_a_header_alone(client, factory):
    _, token = await factory.district()

    empty = await post_csv(client, token, "")
    header_only = await post_csv(client, token, "measure_code,school,period_start,value\n")

    assert empty.status_code == 422
    assert empty.json()["errors"][0]["message"] == "the file is empty: a header row is required"
    # a header and nothing else is most often an export gone wrong: refused, not "0 written"
    assert header_only.status_code == 422
    assert header_only.json()["errors"] == [
        {"line": 2, "column": None, "message": "the file has a header row but no rows after it"}
    ]


async def test_new_rows_are_inserted_and_a_file_touching_stored_ones_is_merged(
    gql, client, factory, app_sessionmaker, admin_sessionmaker
):
    district_id, token = await factory.district()
    await create_school(gql, token, "Lincoln", nces_id="480000100001")
    await create_measure(gql, token)
    header = "measure_code,school,period_start,value\n"
    september = "SS-ADA,480000100001,2025-09-01,91.5\n"
    october = "SS-ADA,480000100001,2025-10-01,92\n"

    first = await post_csv(client, token, header + september)
    first_write = await last_write(admin_sessionmaker, district_id, "measurements")
    # October is after every stored period: new again
    later = await post_csv(client, token, header + october)
    later_write = await last_write(admin_sessionmaker, district_id, "measurements")
    # September is stored: the file is merged, its changed value kept in the history
    overlap = await post_csv(client, token, header + september.replace("91.5", "90") + october)
    overlap_write = await last_write(admin_sessionmaker, district_id, "measurements")

    assert [r.json() for r in (first, later, overlap)] == [{"written": n} for n in (1, 1, 2)]
    assert (first_write, later_write, overlap_write) == ("insert", "insert", "merge")
    assert await counts(app_sessionmaker, district_id) == (2, 1)


async def test_a_repeated_key_in_a_file_of_new_rows_is_refused_and_nothing_is_written(
    gql, client, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    lincoln = await create_school(gql, token, "Lincoln", nces_id="480000100001")
    await create_measure(gql, token)
    body = (
        "measure_code,school,period_start,value\n"
        "SS-ADA,480000100001,2025-09-01,91.5\n"
        "SS-ADA,480000100001,2025-10-01,92\n"
        f"SS-ADA,{lincoln},2025-09-01,93\n"  # line 4: line 2's key, the school by its id
    )

    response = await post_csv(client, token, body)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "line": 4,
            "column": "period_start",
            "message": "the same measure, school and period are on line 2",
        }
    ]
    assert await counts(app_sessionmaker, district_id) == (0, 0)


async def test_a_new_key_a_racing_writer_commits_while_the_import_inserts_is_merged(
    gql, client, factory, app_sessionmaker, admin_sessionmaker
):
    """The import surveys nothing stored and inserts; a writer that stored one of its keys
    meanwhile makes the INSERT fail on the unique key: the import merges instead, the racing
    value kept in the history, and answers 200."""
    district_id, token = await factory.district()
    school = await create_school(gql, token, "Lincoln", nces_id="480000100001")
    measure = await create_measure(gql, token)
    body = (
        "measure_code,school,period_start,value\n"
        "SS-ADA,480000100001,2025-09-01,91.5\n"
        "SS-ADA,480000100001,2025-10-01,92\n"
    )

    async with tenant_transaction(app_sessionmaker, district_id) as racer:
        await record_measurements(
            session=racer,
            district_id=district_id,
            measure_id=uuid.UUID(measure),
            values=[MeasurementValue(date(2025, 10, 1), 50.0, uuid.UUID(school))],
            recorded_by="racer",
        )
        upload = asyncio.create_task(post_csv(client, token, body))
        # The import's INSERT waits for the racer's uncommitted key.
        await waiting_on_a_lock(admin_sessionmaker, "WITH ids AS")
        await racer.commit()
    response = await upload

    assert (response.status_code, response.json()) == (200, {"written": 2})
    assert await last_write(admin_sessionmaker, district_id, "measurements") == "merge"
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        values = sorted(await session.scalars(select(Measurement.value)))
        replaced = list(await session.scalars(select(MeasurementRevision.value)))
    assert (values, replaced) == ([91.5, 92.0], [50.0])
