"""Writers racing on the same keys through every write path: nobody gets an error for a valid
write, and what is stored afterwards is exactly one of the values written for each key.

Measurements also keep every replaced value (tests/api/test_measurement_history.py); bus runs
and targets are plain replace-by-key, so the last committed writer wins whole.
"""

from __future__ import annotations

import asyncio
import random
from datetime import time
from typing import Any

from sqlalchemy import select

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.measures.models import Measurement
from district_ppm.measures.models import Target as TargetRow
from district_ppm.transportation.models import BusRun, BusRunDirtyMonth
from tests.support.measures import SET_TARGET, create_measure, create_school, record
from tests.support.transportation import add_route, add_school

RECORD_BUS_RUNS = """
mutation($input: RecordBusRunsInput!) { recordBusRuns(input: $input) { written } }
"""
WRITERS = 12


async def test_bus_run_batches_in_any_order_on_the_same_keys_neither_fail_nor_mix(
    gql, factory, app_sessionmaker
):
    """Batches sent in different orders must not deadlock (an INTERNAL error to the user)."""
    district_id, token = await factory.district()
    school = await add_school(app_sessionmaker, district_id, "Lincoln", time(8, 0))
    routes = [await add_route(app_sessionmaker, district_id, f"R{n}", school, 40) for n in range(3)]
    keys = [(str(route), f"2025-09-{day:02d}") for route in routes for day in range(1, 11)]

    def runs(writer: int) -> list[dict[str, Any]]:
        rows = [
            {
                "routeId": route,
                "serviceDate": day,
                "scheduledArrival": "07:40",
                "actualArrival": f"08:{writer:02d}",
            }
            for route, day in keys
        ]
        random.Random(writer).shuffle(rows)
        return rows

    answers = await asyncio.gather(
        *(gql(RECORD_BUS_RUNS, {"input": {"runs": runs(w)}}, token=token) for w in range(WRITERS))
    )

    assert [a.get("errors") for a in answers] == [None] * WRITERS
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        stored = list(await session.scalars(select(BusRun)))
        dirty = list(await session.scalars(select(BusRunDirtyMonth)))
    assert len(stored) == len(keys)
    # Each run is one writer's whole row, and every route's month is queued for recompute.
    assert {run.actual_arrival for run in stored} <= {time(8, w) for w in range(WRITERS)}
    assert {(d.route_id, d.first_month.isoformat(), d.last_month.isoformat()) for d in dirty} == {
        (route, "2025-09-01", "2025-09-01") for route in routes
    }


async def test_measurement_batches_in_any_order_on_the_same_keys_neither_fail_nor_lose(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    schools = [await create_school(gql, token, f"School {n}") for n in range(4)]
    measure = await create_measure(gql, token)
    keys = [(school, f"2025-{month:02d}-01") for school in schools for month in (9, 10, 11)]

    def values(writer: int) -> list[dict[str, Any]]:
        rows = [
            {"schoolId": school, "periodStart": period, "value": float(writer)}
            for school, period in keys
        ]
        random.Random(writer).shuffle(rows)
        return rows

    answers = await asyncio.gather(
        *(record(gql, token, measure, values(w)) for w in range(WRITERS))
    )

    assert [a.get("errors") for a in answers] == [None] * WRITERS
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        stored = list(await session.scalars(select(Measurement)))
    assert len(stored) == len(keys)
    assert {row.value for row in stored} <= {float(w) for w in range(WRITERS)}


async def test_racing_set_target_leaves_one_row_holding_one_writers_values(
    gql, factory, app_sessionmaker
):
    district_id, token = await factory.district()
    measure = await create_measure(gql, token)

    def target(writer: int) -> dict[str, Any]:
        return {
            "measureId": measure,
            "schoolYear": 2026,
            "value": 90 + writer / 4,
            "redThreshold": 80 + writer / 4,
        }

    answers = await asyncio.gather(
        *(gql(SET_TARGET, {"input": target(w)}, token=token) for w in range(WRITERS))
    )

    assert [a.get("errors") for a in answers] == [None] * WRITERS
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        stored = list(await session.scalars(select(TargetRow)))
    assert len(stored) == 1
    winner = next(w for w in range(WRITERS) if stored[0].value == 90 + w / 4)
    assert stored[0].red_threshold == 80 + winner / 4
