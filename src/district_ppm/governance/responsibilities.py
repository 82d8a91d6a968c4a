"""What a person owns, and what of it needs their attention, as of a date.

Everything the person is assigned (accountability.py), processes first in code order, then
measures by code; each with the lines that need attention. A measure's lines are its own; a
process's are those of the measures of the process and all its descendants (what the process
owner answers for). The reasons, in this order:

- RED: the measure's district-wide scorecard status for the school year containing the date
  is RED (its ``measure_statuses`` row with no school, as the agenda reads it); the line
  carries the status's latest period;
- SIGNALLING: the latest point of the measure's district-wide control chart is unfavorable
  (as ``controlChart`` draws it; the line carries that point's period);
- DUE and OVERDUE: the values the measure still owes, district-wide or per school, as the
  data-entry reminders compute them (reminders.py), one line per missing value.

A fixed number of statements whatever the number of assignments, measures and schools.
"""

from __future__ import annotations

import enum
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import any_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.id_lists import ids_param
from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.governance.accountability import (
    RACI_ORDER,
    AssignmentView,
    find_person,
    person_assignment_views,
)
from district_ppm.governance.reminders import Person, as_of_or_today, missing_values
from district_ppm.governance.signals import RED_ROW_OF_MEASURE, unfavorable_latest_points
from district_ppm.measures.models import Measure, MeasureStatus
from district_ppm.measures.rows import MEASURE_COLUMNS, MeasureRow
from district_ppm.processes.models import Process
from district_ppm.processes.service import code_sort_key
from district_ppm.school_calendar import school_year_of
from district_ppm.tenancy.calendar import get_district_calendar


class AttentionReason(enum.StrEnum):
    RED = "RED"
    SIGNALLING = "SIGNALLING"
    DUE = "DUE"
    OVERDUE = "OVERDUE"


REASON_ORDER = list(AttentionReason)


@dataclass(frozen=True, slots=True)
class Attention:
    reason: AttentionReason
    measure: MeasureRow
    period_start: date | None
    school_id: uuid.UUID | None = None
    school_name: str | None = None


@dataclass(frozen=True, slots=True)
class OwnedItem:
    view: AssignmentView
    attention: list[Attention]


@dataclass(frozen=True, slots=True)
class PersonResponsibilities:
    person: Person
    as_of: date
    items: list[OwnedItem]


def descendants(
    tree: Iterable[tuple[uuid.UUID, uuid.UUID | None]], roots: set[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Each root with itself and every process below it; ``tree`` is (id, parent id)."""
    children: dict[uuid.UUID | None, list[uuid.UUID]] = defaultdict(list)
    for process_id, parent_id in tree:
        children[parent_id].append(process_id)
    found = {}
    for root in roots:
        below, stack = {root}, [root]
        while stack:
            for child in children.get(stack.pop(), []):
                if child not in below:
                    below.add(child)
                    stack.append(child)
        found[root] = below
    return found


async def person_responsibilities(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    as_of: date | None = None,
) -> PersonResponsibilities | None:
    """What the member (by user id or e-mail) owns and what of it needs attention as of
    ``as_of`` (the district's today when None); None when no such member. BAD_INPUT
    (``asOf``) for a date before 2000 or more than a year ahead."""
    day = await as_of_or_today(session=session, district_id=district_id, as_of=as_of)
    person = await find_person(
        session=session, district_id=district_id, user_id=user_id, email=email
    )
    if person is None:
        return None
    views = await person_assignment_views(session=session, district_id=district_id, person=person)
    processes = {v.assignment.process_id for v in views if v.assignment.process_id}
    subtrees: dict[uuid.UUID, set[uuid.UUID]] = {}
    if processes:
        tree = await fetch_tuples(session, _PROCESS_TREE, {"district_id": district_id})
        subtrees = descendants(tree, processes)
    in_subtrees = set().union(*subtrees.values()) if subtrees else set()
    direct = {v.assignment.measure_id for v in views if v.assignment.measure_id}
    measures: list[MeasureRow] = []
    red: dict[uuid.UUID, date] = {}  # measure -> the latest period of its RED scorecard row
    if direct or in_subtrees:
        width = len(MEASURE_COLUMNS)
        for row in await fetch_tuples(
            session,
            _OWNED_MEASURES,
            {
                "district_id": district_id,
                "measure_ids": list(direct),
                "process_ids": list(in_subtrees),
                "school_year": school_year_of(day),
            },
        ):
            measures.append(tuple.__new__(MeasureRow, row[:width]))  # in C, as the agenda's
            if row[width]:
                red[row[0]] = row[width + 1]
        measures.sort(key=lambda m: (m.code, m.id))
    lines = await _attention(session, district_id, measures, red, day)
    items = []
    for view in sorted(views, key=_item_order):
        if view.assignment.measure_id is not None:
            own = {view.assignment.measure_id}
        else:
            tree_ids = subtrees[view.assignment.process_id]  # type: ignore[index]
            own = {m.id for m in measures if m.process_id in tree_ids}
        items.append(OwnedItem(view, [line for line in lines if line.measure.id in own]))
    return PersonResponsibilities(person=person, as_of=day, items=items)


# Built once with bound parameters, fetched by the driver (db.plain_rows).
_PROCESS_TREE = select(Process.id, Process.parent_id).where(
    Process.district_id == bindparam("district_id")
)
# The measures assigned to the person and those of the processes below theirs, each with
# whether it is RED and its RED row's latest period.
_OWNED_MEASURES = (
    select(
        *MEASURE_COLUMNS,
        MeasureStatus.id.is_not(None).label("red"),
        MeasureStatus.latest_period.label("red_period"),
    )
    .outerjoin(MeasureStatus, RED_ROW_OF_MEASURE)
    .where(
        Measure.district_id == bindparam("district_id"),
        or_(
            Measure.id == any_(ids_param("measure_ids")),
            Measure.process_id == any_(ids_param("process_ids")),
        ),
    )
)


def _item_order(view: AssignmentView) -> tuple[object, ...]:
    is_measure = view.assignment.measure_id is not None
    code = (() if is_measure else code_sort_key(view.subject_code), view.subject_code)
    return (is_measure, code, RACI_ORDER.index(view.assignment.responsibility))


async def _attention(
    session: AsyncSession,
    district_id: uuid.UUID,
    measures: list[MeasureRow],
    red: dict[uuid.UUID, date],
    day: date,
) -> list[Attention]:
    """Every attention line of the measures, by reason, then measure code, school, period."""
    if not measures:
        return []
    by_id = {m.id: m for m in measures}
    lines = [Attention(AttentionReason.RED, by_id[m], period) for m, period in red.items()]
    signalling = await unfavorable_latest_points(
        session=session, district_id=district_id, measures=measures
    )
    lines += [
        Attention(AttentionReason.SIGNALLING, by_id[m], period) for m, period in signalling.items()
    ]
    calendar = await get_district_calendar(session=session, district_id=district_id)
    for missing in await missing_values(
        session=session,
        district_id=district_id,
        measures=measures,
        as_of=day,
        fiscal_year_start_month=calendar.fiscal_year_start_month,
    ):
        lines.append(
            Attention(
                AttentionReason.OVERDUE if missing.overdue else AttentionReason.DUE,
                missing.measure,
                missing.period_start,
                missing.school_id,
                missing.school_name,
            )
        )
    lines.sort(
        key=lambda a: (
            REASON_ORDER.index(a.reason),
            a.measure.code,
            a.school_name or "",
            str(a.school_id or ""),
            a.period_start or date.min,
        )
    )
    return lines
