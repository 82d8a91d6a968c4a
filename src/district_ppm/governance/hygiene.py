"""Forum hygiene: the forums (and key processes) a district should clean up, each with why.

Like metrics hygiene, as of a date; one issue per problem, in this order:

- OVERLAPPING_SCOPE: two forums whose scopes overlap by more than half. A scope is the set of
  processes and measures in it (``forums.scope_processes`` / ``scope_measures``); the overlap
  is counted over the *smaller* scope (|A ∩ B| / min(|A|, |B|) > 1/2), so a small forum that
  reviews part of a large one's scope is found even though their Jaccard index is small. One
  issue per pair, named by the forum that comes first by name.
- EMPTY_SCOPE: a forum that names no process and no measure: nothing is in its scope.
- UNREVIEWED_KEY_PROCESS: a key process in no forum's scope (named, or under a named process).
- NO_RECENT_MEETING: a forum with no meeting held in its last two complete cadence periods nor
  since (from the start of the older of the two to the date, both included).

Forums by name, key processes by code. A fixed five statements.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, false, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.errors import BadInput
from district_ppm.governance.forums import scope_measures, scope_processes
from district_ppm.governance.models_forums import Forum, Meeting
from district_ppm.measures.models import Frequency
from district_ppm.measures.periods import last_complete_periods
from district_ppm.processes.models import Process
from district_ppm.processes.service import code_sort_key
from district_ppm.tenancy.calendar import get_district_calendar

RECENT_PERIODS = 2
# The periods before asOf must be dates: near year 1 they are not (and no forum met then).
MIN_YEAR, MAX_YEAR = 1900, 2199


class ForumHygieneReason(enum.StrEnum):
    OVERLAPPING_SCOPE = "OVERLAPPING_SCOPE"
    EMPTY_SCOPE = "EMPTY_SCOPE"
    UNREVIEWED_KEY_PROCESS = "UNREVIEWED_KEY_PROCESS"
    NO_RECENT_MEETING = "NO_RECENT_MEETING"


@dataclass(frozen=True, slots=True)
class ForumRow:
    """What hygiene reads of a forum (Core rows: a district lists its forums whole)."""

    id: uuid.UUID
    name: str
    cadence: Frequency


@dataclass(frozen=True, slots=True)
class KeyProcess:
    id: uuid.UUID
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class ForumIssue:
    reason: ForumHygieneReason
    detail: str
    forum: ForumRow | None = None
    other_forum: ForumRow | None = None
    process: KeyProcess | None = None


# The reads, built once with bound parameters and fetched by the driver (db.plain_rows): built
# per request, the scope's recursive CTE among them, they were most of the read's own CPU.
_FORUMS = (
    select(Forum.id, Forum.name, Forum.cadence)
    .where(Forum.district_id == bindparam("district_id"))
    .order_by(Forum.name, Forum.id)
)
_TREE = scope_processes(bindparam("district_id"))
_MEASURES = scope_measures(bindparam("district_id"), tree=_TREE).subquery()
# (forum, is a process, id): every forum's processes in scope, then its measures.
_SCOPE_ROWS = (
    select(_TREE.c.forum_id, true().label("is_process"), _TREE.c.process_id.label("id"))
    .union_all(select(_MEASURES.c.forum_id, false(), _MEASURES.c.measure_id))
    .subquery("forum_scopes")
)
_SCOPES = select(_SCOPE_ROWS.c.forum_id, _SCOPE_ROWS.c.is_process, _SCOPE_ROWS.c.id)
_KEY_PROCESSES = select(Process.id, Process.code, Process.name).where(
    Process.district_id == bindparam("district_id"), Process.is_key.is_(True)
)
_LATEST_MEETINGS = (
    select(Meeting.forum_id, func.max(Meeting.held_on))
    .where(Meeting.district_id == bindparam("district_id"), Meeting.held_on <= bindparam("as_of"))
    .group_by(Meeting.forum_id)
)


def overlaps(a: set[object], b: set[object]) -> bool:
    """More than half of the smaller scope is shared (exact: integers only)."""
    smaller = min(len(a), len(b))
    return smaller > 0 and 2 * len(a & b) > smaller


async def forum_hygiene(
    *, session: AsyncSession, district_id: uuid.UUID, as_of: date
) -> list[ForumIssue]:
    """Every forum-hygiene issue of the district as of ``as_of`` (see the module docstring)."""
    if not MIN_YEAR <= as_of.year <= MAX_YEAR:
        raise BadInput("asOf", f"must lie in the years {MIN_YEAR} to {MAX_YEAR}")
    in_district = {"district_id": district_id}
    forums = [ForumRow(*row) for row in await fetch_tuples(session, _FORUMS, in_district)]
    scopes: dict[uuid.UUID, set[object]] = defaultdict(set)
    for forum_id, is_process, subject_id in await fetch_tuples(session, _SCOPES, in_district):
        scopes[forum_id].add(("process" if is_process else "measure", subject_id))
    issues = _overlaps(forums, scopes)
    issues += [
        ForumIssue(
            ForumHygieneReason.EMPTY_SCOPE,
            f"{forum.name} names no process and no measure: nothing is in its scope",
            forum=forum,
        )
        for forum in forums
        if not scopes.get(forum.id)
    ]
    reviewed = {item for scope in scopes.values() for item in scope}
    key_processes = sorted(
        (KeyProcess(*row) for row in await fetch_tuples(session, _KEY_PROCESSES, in_district)),
        key=lambda p: code_sort_key(p.code),
    )
    issues += [
        ForumIssue(
            ForumHygieneReason.UNREVIEWED_KEY_PROCESS,
            f"key process {p.code} {p.name} is in no forum's scope",
            process=p,
        )
        for p in key_processes
        if ("process", p.id) not in reviewed
    ]
    issues += await _without_meetings(session, district_id, forums, as_of)
    return issues


def _overlaps(forums: list[ForumRow], scopes: dict[uuid.UUID, set[object]]) -> list[ForumIssue]:
    issues = []
    for index, forum in enumerate(forums):
        mine = scopes.get(forum.id, set())
        for other in forums[index + 1 :]:
            theirs = scopes.get(other.id, set())
            if overlaps(mine, theirs):
                shared = len(mine & theirs)
                issues.append(
                    ForumIssue(
                        ForumHygieneReason.OVERLAPPING_SCOPE,
                        f"{forum.name} ({len(mine)} processes and measures in scope) and "
                        f"{other.name} ({len(theirs)}) share {shared}: more than half of the "
                        "smaller scope",
                        forum=forum,
                        other_forum=other,
                    )
                )
    return issues


async def _without_meetings(
    session: AsyncSession, district_id: uuid.UUID, forums: list[ForumRow], as_of: date
) -> list[ForumIssue]:
    fy_month = (
        await get_district_calendar(session=session, district_id=district_id)
    ).fiscal_year_start_month
    latest = dict(
        await fetch_tuples(session, _LATEST_MEETINGS, {"district_id": district_id, "as_of": as_of})
    )
    issues = []
    for forum in forums:
        since = last_complete_periods(forum.cadence, as_of, fy_month, RECENT_PERIODS)[0]
        last = latest.get(forum.id)
        if last is not None and last >= since:
            continue
        held = f"its last meeting was on {last.isoformat()}" if last else "it never met"
        issues.append(
            ForumIssue(
                ForumHygieneReason.NO_RECENT_MEETING,
                f"{forum.name} held no meeting from {since.isoformat()} to {as_of.isoformat()}, "
                f"its last two {forum.cadence.value} periods and since ({held})",
                forum=forum,
            )
        )
    return issues
