"""The demo district that `make run` loads: a year in the life of a district a superintendent
would recognise, told through the same services the API uses.

The story, counted back from today so that it is current whenever it is loaded:

- Three school years of monthly KPIs, in realistic ranges with noise and seasonality, owners,
  targets set from the year before, two logic models and two customer requirements.
- Buses (``transportation/demo.py``): three routes per school and summer-school routes, from two
  school years ago up to the last school day before today. Until the routing change on the
  first Monday after last school year's winter break, about one run in eight was late, often
  after the first bell; since then about one in twenty, a few minutes late.
- The late-bus project (``improvement/demo.py``), converted from the families' requirement
  that buses arrive on time, passed its tollgates to CONTROL; its savings were validated by
  finance, its instructional-time claim equals the recovery the bus runs show, part of the
  money pays for middle-school tutoring, and its sustainability plan is COMPLIANT. A
  breakfast project waits at its ANALYZE tollgate; an attendance-outreach practice from
  Lincoln Elementary was adopted at three more schools.
- Forums (``governance/demo.py``): the monthly operations review over transportation and
  nutrition, whose next agenda holds an item of every reason, and the quarterly strategic
  review over the scoreboard outcomes.

Seeding is deterministic (every random series is seeded by its name) and idempotent: a district
that has the story already is left as it is.
"""

from __future__ import annotations

import unicodedata
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from district_ppm.audit.service import record_event
from district_ppm.config import Settings
from district_ppm.db.engine import create_admin_engine, create_app_engine, make_sessionmaker
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.improvement.models import Project
from district_ppm.measures.models import Measurement
from district_ppm.school_calendar import school_year_of
from district_ppm.schools.models import School, SchoolLevel
from district_ppm.schools.service import SchoolCreate, create_school
from district_ppm.tenancy import service as tenancy
from district_ppm.tenancy.models import District, Membership, Role, User
from district_ppm.tenancy.principal import Principal

DEMO_SLUG = "demo"
DEMO_EMAIL_DOMAIN = "demo-isd.example"  # RFC 2606: never a real mailbox
DEMO_TIMEZONE = "America/Chicago"
DEMO_GRACE_MINUTES = 2
DEMO_SCHOOLS = [
    SchoolCreate("Lincoln Elementary", SchoolLevel.ELEMENTARY, time(7, 50), "480000100001", 512),
    SchoolCreate("Washington Elementary", SchoolLevel.ELEMENTARY, time(7, 50), "480000100002", 468),
    SchoolCreate("Roosevelt Elementary", SchoolLevel.ELEMENTARY, time(8, 0), "480000100003", 601),
    SchoolCreate("Jefferson Middle", SchoolLevel.MIDDLE, time(8, 15), "480000100004", 842),
    SchoolCreate("Madison Middle", SchoolLevel.MIDDLE, time(8, 15), "480000100005", 779),
    SchoolCreate("Central High", SchoolLevel.HIGH, time(8, 30), "480000100006", 1630),
]

ENROLLMENT = {school.name: school.enrollment or 0 for school in DEMO_SCHOOLS}


def enrollment_of(school: School) -> int:
    """A demo school's enrollment (600 for a school the demo did not create)."""
    return ENROLLMENT.get(school.name) or 600


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    title: str

    def __str__(self) -> str:
        return f"{self.name}, {self.title}"

    @property
    def email(self) -> str:
        """first.last@demo-isd.example: no title, no accent (Tomás -> tomas)."""
        words = [w for w in self.name.split() if w != "Dr."]
        plain = unicodedata.normalize("NFKD", ".".join(words).lower())
        return "".join(c for c in plain if c.isascii()) + "@" + DEMO_EMAIL_DOMAIN


SUPERINTENDENT = Person("Dr. Elena Ramirez", "Superintendent")
DEPUTY_OPERATIONS = Person("Marcus Reed", "Deputy Superintendent for Operations")
ACADEMIC_OFFICER = Person("Dr. Priya Natarajan", "Chief Academic Officer")
STUDENT_SERVICES = Person("Angela Brooks", "Director of Student Services")
NUTRITION = Person("Tomás Herrera", "Director of Nutrition Services")
TRANSPORTATION = Person("Denise Walker", "Director of Transportation")
FACILITIES = Person("Gary Olson", "Director of Facilities")
TECHNOLOGY = Person("Kevin Cho", "Chief Technology Officer")
FINANCE = Person("Linda Park", "Chief Financial Officer")
FINANCE_ANALYST = Person("Robert Haynes", "Budget Analyst, Finance")
HUMAN_RESOURCES = Person("Sandra Mitchell", "Chief Human Resources Officer")
IMPROVEMENT_LEAD = Person("Jordan Ellis", "Continuous Improvement Lead")

# The people of the story who are members of the district (users who can be assigned a
# responsibility and reminded), with the role each acts in.
MEMBERS = {
    SUPERINTENDENT: Role.DISTRICT_ADMIN,
    DEPUTY_OPERATIONS: Role.PROCESS_OWNER,
    ACADEMIC_OFFICER: Role.PROCESS_OWNER,
    STUDENT_SERVICES: Role.PROCESS_OWNER,
    NUTRITION: Role.PROCESS_OWNER,
    TRANSPORTATION: Role.PROCESS_OWNER,
    FACILITIES: Role.PROCESS_OWNER,
    TECHNOLOGY: Role.PROCESS_OWNER,
    FINANCE: Role.FINANCE_VALIDATOR,
    FINANCE_ANALYST: Role.FINANCE_VALIDATOR,
    HUMAN_RESOURCES: Role.PROCESS_OWNER,
    IMPROVEMENT_LEAD: Role.IMPROVEMENT_LEAD,
}

# Who owns each top-level process of the K-12 template, and so its KPIs.
OWNERS_BY_PROCESS = {
    "1": ACADEMIC_OFFICER,
    "2": STUDENT_SERVICES,
    "3": NUTRITION,
    "4": TRANSPORTATION,
    "5": FACILITIES,
    "6": TECHNOLOGY,
    "7": FINANCE,
    "8": HUMAN_RESOURCES,
    "9": SUPERINTENDENT,
}


def acting(district_id: uuid.UUID, role: Role, person: Person) -> Principal:
    """The principal a service sees when ``person`` calls it with a token of ``role``."""
    return Principal(district_id=district_id, role=role, token_id=uuid.uuid4(), actor=str(person))


async def audit(
    session: AsyncSession,
    principal: Principal,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID,
    **details: Any,
) -> None:
    """The audit event the API's mutation ``action`` would have written for this write."""
    await record_event(
        session=session,
        district_id=principal.district_id,
        actor=principal.actor,
        token_id=principal.token_id,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        details={key: str(value) for key, value in details.items()},
    )


def first_weekday_from(day: date, weekday: int = 0) -> date:
    """``day`` itself, or the next date falling on ``weekday`` (Monday = 0)."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@dataclass(frozen=True, slots=True)
class DemoStory:
    """The story's dates, counted from ``today``: the school year containing today is "this
    year", the one before "last year"."""

    today: date

    @property
    def school_year(self) -> int:
        return school_year_of(self.today)

    @property
    def reporting_year(self) -> int:
        """The school year whose months the scorecard reports on: this one once a month of
        school has ended (from September), last year's in July and August."""
        return self.school_year - 1 if self.today.month in (7, 8) else self.school_year

    @property
    def data_start(self) -> date:
        """Monthly KPIs start three complete school years before this one."""
        return date(self.school_year - 4, 7, 1)

    @property
    def bus_years(self) -> tuple[int, int, int]:
        """Two years before this one (the baseline), last year (the change) and this year."""
        return (self.school_year - 2, self.school_year - 1, self.school_year)

    @property
    def baseline_year(self) -> int:
        return self.school_year - 2

    @property
    def claimed_year(self) -> int:
        return self.school_year - 1

    @property
    def routing_change(self) -> date:
        """The first Monday after last school year's winter break: the new routes start."""
        return first_weekday_from(date(self.school_year - 1, 1, 5))

    @property
    def lunch_menu(self) -> date:
        """The scratch-cooked lunch menu starts with the new routes."""
        return self.routing_change

    @property
    def share_tables(self) -> date:
        """Share tables cut plate waste from February two years ago."""
        return first_weekday_from(date(self.school_year - 2, 2, 3))

    @property
    def outreach_pilot(self) -> date:
        """Lincoln Elementary's attendance outreach pilot, January three years ago."""
        return first_weekday_from(date(self.school_year - 3, 1, 8))

    @property
    def outreach_spread(self) -> dict[str, date]:
        """The schools that adopted the outreach practice after Lincoln, and when."""
        return {
            "Washington Elementary": first_weekday_from(date(self.school_year - 3, 8, 19)),
            "Roosevelt Elementary": first_weekday_from(date(self.school_year - 3, 8, 19)),
            "Jefferson Middle": first_weekday_from(date(self.school_year - 2, 1, 6)),
        }

    @property
    def breakfast_drop(self) -> date:
        """Breakfast service closes at the first bell from the start of the reporting year."""
        return date(self.reporting_year - 1, 8, 1)

    @property
    def tutoring_start(self) -> date:
        """Middle-school tutoring, paid for by the bus savings, starts this school year."""
        return date(self.school_year - 1, 9, 1)

    @property
    def plan_year_start(self) -> date:
        """Plans watched one school year at a time start on August 1st of this school year
        (of last year, in July, before this one's school starts)."""
        start = date(self.school_year - 1, 8, 1)
        return start if start <= self.today else date(self.school_year - 2, 8, 1)

    def monthly(self, start: date, until: date | None = None) -> list[date]:
        """A review day in each month from ``start``'s to ``until``'s (this month's when not
        given): the second Tuesday, or today when that has not come yet."""
        until = min(until or self.today, self.today)
        days, month = [], start.replace(day=1)
        while month <= until.replace(day=1):
            day = max(first_weekday_from(month.replace(day=8), 1), start)
            days.append(min(day, self.today))
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return days

    def at(self, day: date, hour: int = 10) -> datetime:
        """A moment of ``day`` for tollgates and requests (Central time, as the district)."""
        return datetime.combine(day, time(hour), tzinfo=zoneinfo.ZoneInfo(DEMO_TIMEZONE))


async def add_demo_members(*, session: AsyncSession, district_id: uuid.UUID) -> None:
    """Make the story's people (``MEMBERS``) members of the district, once: users are
    platform-wide, so ``session`` is an owner-role session (``populate_demo`` assigns their
    responsibilities). Each membership's token is never shown: the demo acts through the
    admin token."""
    members = set(
        await session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.district_id == district_id)
        )
    )
    for person, role in MEMBERS.items():
        if person.email not in members:
            await tenancy.add_member(
                session=session,
                district_id=district_id,
                email=person.email,
                display_name=person.name,
                role=role,
                school_ids=[],
                ttl=timedelta(days=1),
            )


async def seed_demo(settings: Settings) -> dict[str, Any]:
    """Create the demo district once (idempotent) and issue a fresh admin token for it.

    The token is the one thing a second run adds: tokens are stored hashed, so an earlier
    token cannot be shown again.
    """
    admin_engine = create_admin_engine(settings)
    app_engine = create_app_engine(settings, pool_size=2)
    try:
        async with make_sessionmaker(admin_engine)() as session, session.begin():
            district = await session.scalar(select(District).where(District.slug == DEMO_SLUG))
            if district is None:
                district = await tenancy.create_district(
                    session=session,
                    slug=DEMO_SLUG,
                    name="Demo Independent School District",
                    timezone=DEMO_TIMEZONE,
                    late_bus_grace_minutes=DEMO_GRACE_MINUTES,
                )
            _, token = await tenancy.create_token(
                session=session,
                district_id=district.id,
                role=Role.DISTRICT_ADMIN,
                name="demo admin",
                ttl=timedelta(days=30),
            )
            await add_demo_members(session=session, district_id=district.id)
            district_id: uuid.UUID = district.id
        today = datetime.now(zoneinfo.ZoneInfo(DEMO_TIMEZONE)).date()
        await populate_demo(make_sessionmaker(app_engine), district_id, today=today)
    finally:
        await admin_engine.dispose()
        await app_engine.dispose()
    return {"district_id": district_id, "slug": DEMO_SLUG, "token": token}


async def populate_demo(
    sessionmaker: async_sessionmaker[AsyncSession], district_id: uuid.UUID, *, today: date
) -> bool:
    """Tell the story in ``district_id`` as of ``today``, in one transaction as the
    application role; False (nothing written) when the district has it already. The story's
    people must be members of the district first (``add_demo_members``, as the owner).

    The workers' computations run at the end, in the same transaction, so the first query
    shows computed figures; the jobs the writes queued recompute the same figures later.
    """
    # Imported here: each area's demo imports this module's story and people.
    from district_ppm.governance.demo import seed_governance_demo
    from district_ppm.improvement.demo import seed_improvement_demo
    from district_ppm.measures.demo import seed_measures_demo
    from district_ppm.measures.jobs import refresh_measure_status_job
    from district_ppm.transportation.demo import seed_transportation_demo

    story = DemoStory(today)
    async with tenant_transaction(sessionmaker, district_id) as session:
        # A district with data is left alone: it has the story already (or an earlier demo's
        # data, which a new story would contradict; drop the database to load this one).
        for model in (Measurement, Project):
            if await session.scalar(
                select(func.count()).select_from(model).where(model.district_id == district_id)
            ):
                return False
        schools = await _schools(session, district_id, today)
        await seed_measures_demo(
            session=session, district_id=district_id, story=story, schools=schools
        )
        await seed_transportation_demo(
            session=session, district_id=district_id, story=story, schools=schools
        )
        # Status rows first: an off-target KPI becomes an opportunity only when it is RED.
        await refresh_measure_status_job.run(session, district_id, full=True)
        await seed_improvement_demo(
            session=session, district_id=district_id, story=story, schools=schools
        )
        await run_computations(session=session, district_id=district_id, today=today)
        # Last: a meeting's agenda is generated from the computed figures when it is scheduled.
        await seed_governance_demo(
            session=session, district_id=district_id, story=story, schools=schools
        )
        await session.commit()
    return True


async def _schools(session: AsyncSession, district_id: uuid.UUID, today: date) -> list[School]:
    have = set(await session.scalars(select(School.nces_id)))
    for school in DEMO_SCHOOLS:
        if school.nces_id not in have:
            await create_school(session=session, district_id=district_id, data=school, today=today)
    return list(
        await session.scalars(
            select(School)
            .where(School.district_id == district_id, School.nces_id.is_not(None))
            .order_by(School.nces_id)
        )
    )


async def run_computations(*, session: AsyncSession, district_id: uuid.UUID, today: date) -> None:
    """What the workers compute after these writes, run now in the caller's transaction:
    the same job handlers, and the sustainability check as of the story's ``today`` (the
    worker's own check takes the clock's date, which is the same under ``make run``)."""
    from district_ppm.measures.jobs import refresh_measure_status_job
    from district_ppm.practices.jobs import compute_adoption_gains_job
    from district_ppm.savings.jobs import rollup_savings_job
    from district_ppm.schools.jobs import recount_schools_job
    from district_ppm.sustainability.compliance import store_verdicts
    from district_ppm.transportation.jobs import recompute_time_loss_job

    # The bus runs' roll-ups are current (the transportation demo computed them): the time-loss
    # job finds nothing left to do, as the worker will.
    await recompute_time_loss_job.run(session, district_id)
    for job in (
        refresh_measure_status_job,
        compute_adoption_gains_job,
        rollup_savings_job,
        recount_schools_job,
    ):
        await job.run(session, district_id, full=True)
    await store_verdicts(session=session, district_id=district_id, as_of=today)
