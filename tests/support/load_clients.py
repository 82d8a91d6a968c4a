"""GraphQL clients under load, each request's outcome kept with when it was sent and answered.

Each client sends one request at a time, back to back, cycling through its kinds of request:
reads (``schools``, ``scorecard``) and a write (``record``: one measurement, a new value each
time, so every write changes a row). A request succeeded when it was answered HTTP 200 without
errors and with the data it asked for.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.measures import RECORD, monthly

KINDS = ("scorecard", "schools", "record")
SCHOOLS = "{ schools(first: 50) { totalCount edges { node { id name } } } }"
SCORECARD = """
query { scorecard(view: DASHBOARD, schoolYear: 2026) {
  rows { measure { code } schoolId latestPeriod latestValue status } } }
"""


@dataclass
class Outcome:
    client: str
    kind: str
    sent: float  # the event loop's clock
    answered: float
    ok: bool
    detail: str


@dataclass
class LoadTarget:
    token: str
    school_ids: list[str]
    measure_id: str  # a school-level measure the writes record values of


@dataclass
class Load:
    http: httpx.AsyncClient
    target: LoadTarget
    outcomes: list[Outcome] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def client(self, name: str, kinds: tuple[str, ...]) -> None:
        """Send ``kinds`` in turn until ``stop`` is set."""
        serial = 0
        while not self.stop.is_set():
            await self.send(name, kinds[serial % len(kinds)], serial)
            serial += 1

    async def send(self, client: str, kind: str, serial: int) -> Outcome:
        loop = asyncio.get_running_loop()
        body, answered_as_asked = self._request(kind, serial)
        sent = loop.time()
        try:
            response = await self.http.post(
                "/graphql", json=body, headers={"Authorization": f"Bearer {self.target.token}"}
            )
            answer = response.json()
            ok = (
                response.status_code == 200
                and "errors" not in answer
                and answered_as_asked(answer["data"])
            )
            detail = f"HTTP {response.status_code}: {json.dumps(answer)[:300]}"
        except (httpx.HTTPError, ValueError) as error:
            ok, detail = False, repr(error)
        outcome = Outcome(client, kind, sent, loop.time(), ok, detail)
        self.outcomes.append(outcome)
        return outcome

    def _request(self, kind: str, serial: int) -> tuple[dict[str, Any], Callable[[Any], bool]]:
        if kind == "schools":
            schools = len(self.target.school_ids)
            return {"query": SCHOOLS}, lambda data: data["schools"]["totalCount"] == schools
        if kind == "scorecard":
            return {"query": SCORECARD}, lambda data: isinstance(data["scorecard"]["rows"], list)
        school_id = self.target.school_ids[serial % len(self.target.school_ids)]
        values = monthly(school_id, 2025, 7 + serial % 12, [50 + serial % 50])
        variables = {"input": {"measureId": self.target.measure_id, "values": values}}
        return (
            {"query": RECORD, "variables": variables},
            lambda data: data["recordMeasurements"]["written"] == 1,
        )
