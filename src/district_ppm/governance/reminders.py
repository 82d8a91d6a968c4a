"""Data-entry reminders: which values each owner still has to enter, as of a date.

Periods follow the measure's frequency and the district's calendar (``measures/periods.py``):
months, Monday weeks, quarters from Jul/Oct/Jan/Apr, school years from July, fiscal years
from the district's start month. As of a date D:

- a period is *complete* when it ended on or before D (the period containing D is not);
- the *last complete period* is DUE when it has no value;
- the earlier complete periods of the trailing year are OVERDUE when they have no value:
  every period from the one containing the same day a year before D (D minus 12 months, the
  29th of February falling back to the 28th) up to the last complete one. Older gaps are no
  longer chased: a mail listing years of weeks would be read by nobody, and metrics hygiene
  reports a measure that gets no data.

A DISTRICT-level measure owes one value per period. A SCHOOL-level measure owes one per period
*from every school of the district*: each school with no value is reminded on its own line
(the district's schools report every SCHOOL-level measure; a value for some schools does not
excuse the others).

Who is reminded of a measure (its *owners*), the first that applies:

1. the people RESPONSIBLE for the measure (they enter its data);
2. else the person ACCOUNTABLE for the measure;
3. else the person ACCOUNTABLE for the measure's process (the process owner);
4. else the measure's ``owner`` text, as an owner with no person and no address (the mail job
   cannot send it; it is listed so that nothing is silently dropped);
5. else nobody: the measure is not reminded (metrics hygiene reports it as NO_OWNER).

``dataEntryReminders`` lists, per owner, every missing value: exactly what a mail job would
send, one message per owner with an address. Statements: a fixed handful whatever the number
of measures, schools and periods (the missing values are found by one statement in SQL).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import any_, bindparam, column, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.governance.models_people import Responsibility, ResponsibilityAssignment
from district_ppm.measures.models import Frequency
from district_ppm.measures.periods import last_complete_periods, next_period, period_containing
from district_ppm.measures.rows import MeasureRow, measure_rows
from district_ppm.sustainability.compliance import check_as_of
from district_ppm.sustainability.periods import add_months
from district_ppm.tenancy.calendar import district_today, get_district_calendar
from district_ppm.tenancy.models import Membership, Role, User

LOOKBACK_MONTHS = 12


@dataclass(frozen=True, slots=True)
class Person:
    """A member of the district: a user with a role in it."""

    user_id: uuid.UUID
    email: str
    display_name: str
    role: Role


@dataclass(frozen=True, slots=True)
class MissingValue:
    """A value a measure still owes: for one period, district-wide or from one school."""

    measure: MeasureRow
    school_id: uuid.UUID | None
    school_name: str | None
    period_start: date
    overdue: bool  # an earlier period; False: the last complete period (due)


@dataclass(slots=True)
class ReminderOwner:
    """Whoever is reminded: a person, or a measure's ``owner`` text when no person is."""

    key: str  # "user:<id>" or "owner:<text>"; items name their owner by it
    person: Person | None
    name: str  # the person's display name, or the owner text
    items: list[MissingValue] = field(default_factory=list)

    @property
    def email(self) -> str | None:
        return self.person.email if self.person else None


def asked_periods(frequency: Frequency, as_of: date, fiscal_year_start_month: int) -> list[date]:
    """Starts of the complete periods asked for as of ``as_of``, oldest first; the last one is
    the last complete period (due), the others the trailing year's earlier ones (overdue)."""
    last = last_complete_periods(frequency, as_of, fiscal_year_start_month, 1)[0]
    start = period_containing(
        frequency, add_months(as_of, -LOOKBACK_MONTHS), fiscal_year_start_month
    )
    periods = []
    while start < last:
        periods.append(start)
        start = next_period(frequency, start)
    return [*periods, last]


async def as_of_or_today(
    *, session: AsyncSession, district_id: uuid.UUID, as_of: date | None, field: str = "asOf"
) -> date:
    """``as_of``, or the district's today when None; BAD_INPUT naming ``field`` for a date
    before 2000 or more than a year ahead (the dates sustainabilityCompliance accepts)."""
    if as_of is None:
        return await district_today(session=session, district_id=district_id)
    await check_as_of(session=session, district_id=district_id, as_of=as_of, field=field)
    return as_of


# The values owed (measure x school or district x asked period) that no measurement holds.
# A SCHOOL-level measure owes one from each school; a DISTRICT-level one a district-wide one.
# Nearly every value owed is held, so what each asked period holds is counted first (the
# stored counts of ``measures.period_counts`` for a measure with no dirty mark, else the
# measurements of the asked periods, grouped), and only the short periods are expanded to
# their schools and probed one by one. Hashing all 13,500 owed keys against all the values
# (their school compared as text) took 25-35 ms of the server for 121 measures at 20 schools;
# counting the values, about 10; reading the stored counts, about 1.
_MISSING = """
WITH asked AS (
    SELECT m.id AS measure_id, m.level, a.period_start, a.last_start
    FROM measures m
    JOIN unnest(CAST(:frequencies AS text[]), CAST(:periods AS date[]), CAST(:lasts AS date[]))
         AS a(frequency, period_start, last_start) ON a.frequency = m.frequency
    WHERE m.district_id = :district_id
      AND m.id = ANY(CAST(:measure_ids AS uuid[]))
), stored AS (
    SELECT c.measure_id, c.periods, c.schools, c.district_wide
    FROM measure_period_counts c
    WHERE c.district_id = :district_id
      AND c.measure_id = ANY(CAST(:measure_ids AS uuid[]))
      AND c.measure_id NOT IN (SELECT d.measure_id FROM measure_dirty_marks d
                               WHERE d.district_id = :district_id)
), held AS (
    SELECT s.measure_id, u.period_start, u.schools, u.district_wide
    FROM stored s
    CROSS JOIN LATERAL unnest(s.periods, s.schools, s.district_wide)
         AS u(period_start, schools, district_wide)
    WHERE u.period_start BETWEEN :first AND :last
    UNION ALL
    SELECT m.id, p.period_start, p.schools, p.district_wide
    FROM unnest(CAST(:measure_ids AS uuid[])) AS m(id)
    CROSS JOIN LATERAL (
        -- Each measure counted by its own index range: a measure stored costs nothing here.
        SELECT x.period_start, count(x.school_id)::int AS schools,
               bool_or(x.school_id IS NULL) AS district_wide
        FROM measurements x
        WHERE x.district_id = :district_id AND x.measure_id = m.id
          AND x.period_start BETWEEN :first AND :last
        GROUP BY x.period_start
    ) AS p
    WHERE m.id NOT IN (SELECT measure_id FROM stored)
), short AS (
    SELECT a.*
    FROM asked a
    LEFT JOIN held h ON h.measure_id = a.measure_id AND h.period_start = a.period_start
    WHERE CASE WHEN a.level = 'SCHOOL'
               THEN coalesce(h.schools, 0)
                    < (SELECT count(*) FROM schools WHERE district_id = :district_id)
               ELSE h.district_wide IS NOT TRUE END
)
SELECT o.measure_id, s.id AS school_id, s.name AS school_name, o.period_start,
       o.period_start < o.last_start AS overdue
FROM short o
LEFT JOIN schools s ON o.level = 'SCHOOL' AND s.district_id = :district_id
WHERE (o.level = 'DISTRICT' OR s.id IS NOT NULL)
  -- a short DISTRICT-level period is missing as it is (s.id is NULL: nothing matches)
  AND NOT EXISTS (
    SELECT 1 FROM measurements x
    WHERE x.district_id = :district_id AND x.measure_id = o.measure_id
      AND x.school_id = s.id AND x.period_start = o.period_start)
"""
# Built once, fetched by the driver (db.plain_rows).
_MISSING_READ = text(_MISSING).columns(
    *map(column, ("measure_id", "school_id", "school_name", "period_start", "overdue"))
)


async def missing_values(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    measures: Sequence[MeasureRow],
    as_of: date,
    fiscal_year_start_month: int,
) -> list[MissingValue]:
    """Every value the measures owe as of ``as_of`` (see the module docstring), by measure
    code, then district-wide before schools by name, then period. One statement."""
    if not measures:
        return []
    frequencies: list[str] = []
    periods: list[date] = []
    lasts: list[date] = []
    for frequency in sorted({m.frequency for m in measures}):
        asked = asked_periods(frequency, as_of, fiscal_year_start_month)
        frequencies += [frequency.value] * len(asked)
        periods += asked
        lasts += [asked[-1]] * len(asked)
    by_id = {m.id: m for m in measures}
    rows = await fetch_tuples(
        session,
        _MISSING_READ,
        {
            "district_id": district_id,
            "measure_ids": list(by_id),
            "frequencies": frequencies,
            "periods": periods,
            "lasts": lasts,
            "first": min(periods),
            "last": max(periods),
        },
    )
    found = [
        MissingValue(by_id[measure_id], school_id, school_name, period_start, overdue)
        for measure_id, school_id, school_name, period_start, overdue in rows
    ]
    found.sort(key=_order)
    return found


def _order(value: MissingValue) -> tuple[object, ...]:
    school = ("", "") if value.school_id is None else (value.school_name, str(value.school_id))
    return (value.measure.code, value.measure.id, school, value.period_start)


# The RESPONSIBLE and ACCOUNTABLE people of the measures and the ACCOUNTABLE people of their
# processes, by email: built once, the id lists uuid[] parameters, fetched by the driver
# (db.plain_rows); building it and the ORM session's execution were a fifth of the reminders.
_IDS = ARRAY(UUID(as_uuid=True))
_OWNERS = (
    select(
        ResponsibilityAssignment.measure_id,
        ResponsibilityAssignment.process_id,
        ResponsibilityAssignment.responsibility,
        User.id,
        User.email,
        User.display_name,
        Membership.role,
    )
    .join(Membership, (Membership.user_id == ResponsibilityAssignment.user_id))
    .join(User, User.id == ResponsibilityAssignment.user_id)
    .where(
        ResponsibilityAssignment.district_id == bindparam("district_id"),
        Membership.district_id == bindparam("district_id"),
        or_(
            ResponsibilityAssignment.responsibility == Responsibility.RESPONSIBLE,
            ResponsibilityAssignment.responsibility == Responsibility.ACCOUNTABLE,
        ),
        (ResponsibilityAssignment.measure_id == any_(bindparam("measure_ids", type_=_IDS)))
        | (
            (ResponsibilityAssignment.process_id == any_(bindparam("process_ids", type_=_IDS)))
            & (ResponsibilityAssignment.responsibility == Responsibility.ACCOUNTABLE)
        ),
    )
    .order_by(User.email)
)


async def measure_owners(
    *, session: AsyncSession, district_id: uuid.UUID, measures: Sequence[MeasureRow]
) -> dict[uuid.UUID, list[ReminderOwner]]:
    """Each measure's owners by the rules of the module docstring (empty when nobody).

    One statement: the RESPONSIBLE and ACCOUNTABLE people of the measures and the
    ACCOUNTABLE people of their processes, with their names and roles.
    """
    process_ids = list({m.process_id for m in measures if m.process_id is not None})
    rows = await fetch_tuples(
        session,
        _OWNERS,
        {
            "district_id": district_id,
            "measure_ids": [m.id for m in measures],
            "process_ids": process_ids,
        },
    )
    people: dict[uuid.UUID, ReminderOwner] = {}
    # (subject id, responsibility) -> owners, the subject a measure or a process
    holders: dict[tuple[uuid.UUID | None, Responsibility], list[ReminderOwner]]
    holders = defaultdict(list)
    for measure_id, process_id, responsibility, user_id, email, name, role in rows:
        owner = people.get(user_id)
        if owner is None:
            person = Person(user_id=user_id, email=email, display_name=name, role=role)
            owner = people[user_id] = ReminderOwner(f"user:{user_id}", person, name)
        holders[(measure_id or process_id, responsibility)].append(owner)
    texts: dict[str, ReminderOwner] = {}
    found: dict[uuid.UUID, list[ReminderOwner]] = {}
    for measure in measures:
        owners = (
            holders.get((measure.id, Responsibility.RESPONSIBLE))
            or holders.get((measure.id, Responsibility.ACCOUNTABLE))
            or (
                holders.get((measure.process_id, Responsibility.ACCOUNTABLE))
                if measure.process_id
                else None
            )
        )
        if not owners and measure.owner and measure.owner.strip():
            name = measure.owner.strip()
            owners = [texts.setdefault(name, ReminderOwner(f"owner:{name}", None, name))]
        found[measure.id] = list(owners or [])
    return found


async def data_entry_reminders(
    *, session: AsyncSession, district_id: uuid.UUID, as_of: date | None
) -> tuple[date, list[ReminderOwner]]:
    """The reminders as of ``as_of`` (the district's today when None): each owner with every
    value it owes (see the module docstring), owners with a person first by name, then the
    owner texts; an owner owing nothing is left out. Returns the date used too."""
    day = await as_of_or_today(session=session, district_id=district_id, as_of=as_of)
    calendar = await get_district_calendar(session=session, district_id=district_id)
    measures = await measure_rows(session=session, district_id=district_id)
    owners_of = await measure_owners(session=session, district_id=district_id, measures=measures)
    owned = [m for m in measures if owners_of[m.id]]
    missing = await missing_values(
        session=session,
        district_id=district_id,
        measures=owned,
        as_of=day,
        fiscal_year_start_month=calendar.fiscal_year_start_month,
    )
    owners: dict[str, ReminderOwner] = {}
    for value in missing:
        for owner in owners_of[value.measure.id]:
            owners.setdefault(owner.key, owner).items.append(value)
    ordered = sorted(
        owners.values(),
        key=lambda o: (o.person is None, o.name.casefold(), o.email or "", o.key),
    )
    return day, ordered
