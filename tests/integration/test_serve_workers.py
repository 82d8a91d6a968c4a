"""`district-ppm serve --workers N`: N processes answer on one port, each a full API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from tests.support.live_server import serving_process

QUERY = "{ me { role district { name } } schools(first: 5) { totalCount } }"


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")


async def test_two_workers_share_the_port_and_each_answers(factory):
    _, token = await factory.district()

    with serving_process(workers=2) as (base_url, supervisor):
        # uvicorn's supervisor spawns the workers with multiprocessing.
        workers = [pid for pid in children_of(supervisor.pid) if "spawn_main" in cmdline(pid)]
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            answers = await asyncio.gather(
                *(
                    http.post(
                        "/graphql",
                        json={"query": QUERY},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                    for _ in range(40)
                )
            )

    assert len(workers) == 2
    assert {answer.status_code for answer in answers} == {200}
    assert all("errors" not in answer.json() for answer in answers)
    assert {answer.json()["data"]["schools"]["totalCount"] for answer in answers} == {0}
