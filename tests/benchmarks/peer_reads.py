"""The three reads of bench_peer.py, ours and PostGraphile's, and the check that both sides
return the same values for what they have in common (see bench_peer.py's docstring for why
each peer query is the closest honest equivalent)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import bench_measures  # puts src/ on the path
import httpx
from peer_load import ResponseError, check
from peer_servers import HOST, Server

from district_ppm.measures.models import ScorecardView, stages_of
from district_ppm.school_calendar import school_year_of

SCHOOLS = """query { schools(first: 200) { edges { node { name level firstBell enrollment } } } }"""

# One root field per DASHBOARD stage, aliased by stage.
PEER_SCORECARD = (
    "query($y: Int!) {"
    + "".join(
        f""" {stage.lower()}: allMeasures(condition: {{stage: "{stage}"}}) {{ nodes {{ code
    measureStatusesByDistrictIdAndMeasureId(condition: {{schoolYear: $y, schoolId: null}}) {{
      nodes {{ latestValue target status trend }} }} }} }}"""
        for stage in stages_of(ScorecardView.DASHBOARD)
    )
    + " }"
)
PEER_COMPARISON = """query($m: UUID!, $p: Date!) {
  allMeasurements(condition: {measureId: $m, periodStart: $p}) { nodes {
    value schoolByDistrictIdAndSchoolId { name } } } }"""
PEER_SCHOOLS = """query { allSchools(first: 200, orderBy: [NAME_ASC, PRIMARY_KEY_ASC]) { edges {
  node { name level firstBell
    schoolEnrollmentsByDistrictIdAndSchoolId(orderBy: SCHOOL_YEAR_DESC, first: 1) {
      nodes { enrollment } } } } } }"""

Rows = list[tuple[Any, ...]]


def _ours_scorecard(data: dict[str, Any]) -> Rows:
    return [
        (r["measure"]["code"], r["latestValue"], r["target"], r["status"], r["trend"])
        for r in data["scorecard"]["rows"]
    ]


def _peer_scorecard(data: dict[str, Any]) -> Rows:
    rows = []
    for measures in data.values():
        for measure in measures["nodes"]:
            for status in measure["measureStatusesByDistrictIdAndMeasureId"]["nodes"]:
                row = (status["latestValue"], status["target"], status["status"], status["trend"])
                rows.append((measure["code"], *row))
    return rows


def _ours_comparison(data: dict[str, Any]) -> Rows:
    return [(r["school"]["name"], r["value"]) for r in data["schoolComparison"]["rows"]]


def _peer_comparison(data: dict[str, Any]) -> Rows:
    return [
        (n["schoolByDistrictIdAndSchoolId"]["name"], n["value"])
        for n in data["allMeasurements"]["nodes"]
    ]


def _ours_schools(data: dict[str, Any]) -> Rows:
    return [
        (n["name"], n["level"], n["firstBell"], n["enrollment"])
        for n in (edge["node"] for edge in data["schools"]["edges"])
    ]


def _peer_schools(data: dict[str, Any]) -> Rows:
    rows = []
    for node in (edge["node"] for edge in data["allSchools"]["edges"]):
        enrollments = node["schoolEnrollmentsByDistrictIdAndSchoolId"]["nodes"]
        enrollment = enrollments[0]["enrollment"] if enrollments else None
        rows.append((node["name"], node["level"], node["firstBell"], enrollment))
    return rows


@dataclass(frozen=True)
class Read:
    name: str
    goal_p50_ms: float  # the single-client goal for our side
    ours: dict[str, Any]  # the GraphQL request body
    peer: dict[str, Any]
    ours_rows: Callable[[dict[str, Any]], Rows]
    peer_rows: Callable[[dict[str, Any]], Rows]


@dataclass(frozen=True)
class BenchDistrict:
    database: str
    district_id: uuid.UUID
    token: str
    measure_id: uuid.UUID
    period: date
    schools: int
    measures: int
    measurements: int
    statuses: int

    @property
    def school_year(self) -> int:
        return school_year_of(self.period)

    def reads(self) -> list[Read]:
        year = {"y": self.school_year}
        period = {"m": str(self.measure_id), "p": self.period.isoformat()}
        return [
            Read(
                "scorecard(view: DASHBOARD)",
                10.0,
                {"query": bench_measures.SCORECARD, "variables": year},
                {"query": PEER_SCORECARD, "variables": year},
                _ours_scorecard,
                _peer_scorecard,
            ),
            Read(
                f"schoolComparison ({self.schools} rows)",
                15.0,
                {"query": bench_measures.COMPARISON, "variables": period},
                {"query": PEER_COMPARISON, "variables": period},
                _ours_comparison,
                _peer_comparison,
            ),
            Read(
                f"schools(first: {min(self.schools, 200)})",
                15.0,
                {"query": SCHOOLS},
                {"query": PEER_SCHOOLS},
                _ours_schools,
                _peer_schools,
            ),
        ]


async def ask(http: httpx.AsyncClient, server: Server, body: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(
        f"http://{HOST}:{server.port}/graphql", json=body, headers=server.headers
    )
    check(response.status_code, response.content)
    return dict(response.json()["data"])


async def verify(http: httpx.AsyncClient, ours: Server, peer: Server, read: Read) -> int:
    """Both sides' values for what they have in common, or SystemExit naming the difference."""
    try:
        mine = sorted(read.ours_rows(await ask(http, ours, read.ours)), key=repr)
        theirs = sorted(read.peer_rows(await ask(http, peer, read.peer)), key=repr)
    except ResponseError as error:
        raise SystemExit(f"{read.name}: {error}") from None
    if not mine:
        raise SystemExit(f"{read.name}: our API returned no rows; nothing to compare")
    if mine != theirs:
        only_ours = [row for row in mine if row not in theirs][:5]
        only_peer = [row for row in theirs if row not in mine][:5]
        raise SystemExit(
            f"{read.name}: the two sides disagree ({len(mine)} rows ours, {len(theirs)} peer)\n"
            f"  only ours: {only_ours}\n  only peer: {only_peer}"
        )
    return len(mine)
