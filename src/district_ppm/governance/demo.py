"""The demo district's management forums, meetings and decisions.

- The monthly operations review (transportation and nutrition) meets on the second Tuesday.
  Its last two meetings are on record with their decisions; its next meeting's agenda,
  generated when it is scheduled, holds an item of every reason: breakfast participation RED
  and signalling, food cost signalling (the new contract), the breakfast project waiting at
  its ANALYZE tollgate, the lunch plan AT_RISK, the plate-waste plan NON_COMPLIANT, and last
  meeting's breakfast-cart decision overdue.
- The quarterly strategic review looks at the scoreboard (every outcome measure) and the
  governance process; its last meeting's on-track plan is overdue by the next one.
- A monthly teaching-and-learning review and a quarterly business-services review cover the
  rest of the dashboard.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.demo import (
    ACADEMIC_OFFICER,
    DEPUTY_OPERATIONS,
    FINANCE,
    HUMAN_RESOURCES,
    IMPROVEMENT_LEAD,
    MEMBERS,
    NUTRITION,
    OWNERS_BY_PROCESS,
    STUDENT_SERVICES,
    SUPERINTENDENT,
    TRANSPORTATION,
    DemoStory,
    Person,
    acting,
    audit,
    first_weekday_from,
)
from district_ppm.errors import Conflict
from district_ppm.governance.accountability import assign_responsibility
from district_ppm.governance.decisions import (
    DecisionRecord,
    MeasureDecision,
    close_decision,
    open_decision_for_measure,
    record_decision,
)
from district_ppm.governance.forums import ForumData, create_forum
from district_ppm.governance.meetings import schedule_meeting
from district_ppm.governance.models_forums import Decision, DecisionStatus, Forum, Meeting
from district_ppm.governance.models_people import Responsibility
from district_ppm.measures.models import DASHBOARD_STAGES, Frequency, Measure
from district_ppm.processes.models import Process
from district_ppm.schools.models import School
from district_ppm.tenancy.models import Role
from district_ppm.tenancy.principal import Principal


def second_tuesday(month: date) -> date:
    return first_weekday_from(month.replace(day=8), 1)


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def meeting_days(today: date, every: int) -> tuple[list[date], date]:
    """The last two meetings held (on or before today) and the next one (after today), on the
    second Tuesday of every ``every``-th month (quarters start in January, April, July and
    October)."""
    month = today.replace(day=1)
    month = _months_back(month, (month.month - 1) % every)
    days = [second_tuesday(_months_back(month, every * n)) for n in range(-1, 3)]
    held = sorted(day for day in days if day <= today)[-2:]
    upcoming = min(day for day in days if day > today)
    return held, upcoming


async def seed_governance_demo(
    *, session: AsyncSession, district_id: uuid.UUID, story: DemoStory, schools: list[School]
) -> None:
    if await session.scalar(select(Forum.id).where(Forum.district_id == district_id).limit(1)):
        return
    admin = acting(district_id, Role.DISTRICT_ADMIN, SUPERINTENDENT)
    processes = {
        p.code: p.id
        for p in await session.scalars(select(Process).where(Process.district_id == district_id))
    }
    measures = {
        m.code: m
        for m in await session.scalars(select(Measure).where(Measure.district_id == district_id))
    }
    operations = await _forum(
        session,
        admin,
        ForumData(
            name="Monthly operations review",
            cadence=Frequency.MONTHLY,
            chair=str(DEPUTY_OPERATIONS),
            members=[str(p) for p in (NUTRITION, TRANSPORTATION, FINANCE, IMPROVEMENT_LEAD)],
            process_ids=[processes["3"], processes["4"]],
        ),
    )
    strategic = await _forum(
        session,
        admin,
        ForumData(
            name="Quarterly strategic review",
            cadence=Frequency.QUARTERLY,
            chair=str(SUPERINTENDENT),
            members=[
                str(p)
                for p in (ACADEMIC_OFFICER, STUDENT_SERVICES, DEPUTY_OPERATIONS, HUMAN_RESOURCES)
            ],
            process_ids=[processes["9"]],
            measure_ids=sorted(
                (m.id for m in measures.values() if m.stage not in DASHBOARD_STAGES), key=str
            ),
        ),
    )
    await _other_forums(session, admin, story, processes)
    await _responsibilities(session, admin, measures)
    chair = acting(district_id, Role.IMPROVEMENT_LEAD, DEPUTY_OPERATIONS)
    held, upcoming = meeting_days(story.today, 1)
    earlier, last = [await _meeting(session, chair, operations, day) for day in held]
    done = await _decide(
        session,
        chair,
        DecisionRecord(
            title="Go over every late run of the month with its driver",
            owner=str(TRANSPORTATION),
            due_on=earlier.held_on + timedelta(days=14),
            meeting_id=earlier.id,
            measure_id=measures["TRN-ON-TIME"].id,
        ),
    )
    await close_decision(
        session=session,
        district_id=district_id,
        decision_id=done.id,
        status=DecisionStatus.DONE,
        note="Monthly late-run reviews on the dispatch calendar",
        closed_by=chair.actor,
    )
    await audit(session, chair, "closeDecision", "decision", done.id, status="DONE")
    await _breakfast_carts(session, chair, story, measures["NUT-ADP-BREAKFAST"], last)
    await _meeting(session, chair, operations, upcoming)
    superintendent = acting(district_id, Role.DISTRICT_ADMIN, SUPERINTENDENT)
    held, upcoming = meeting_days(story.today, 3)
    quarter = [await _meeting(session, superintendent, strategic, day) for day in held][-1]
    await _decide(
        session,
        superintendent,
        DecisionRecord(
            title="Attendance outreach teams at Madison Middle and Central High",
            owner=str(STUDENT_SERVICES),
            due_on=date(story.school_year, 1, 31),
            meeting_id=quarter.id,
            measure_id=measures["SS-CHRONIC-ABS"].id,
            rationale="Chronic absence fell at every school that adopted the practice.",
        ),
    )
    await _decide(
        session,
        superintendent,
        DecisionRecord(
            title="A ninth-grade on-track plan with the middle schools",
            owner=str(ACADEMIC_OFFICER),
            due_on=quarter.held_on + timedelta(days=45),
            meeting_id=quarter.id,
            measure_id=measures["TL-ON-TRACK-9"].id,
        ),
    )
    await _meeting(session, superintendent, strategic, upcoming)


async def _other_forums(
    session: AsyncSession, admin: Principal, story: DemoStory, processes: dict[str, uuid.UUID]
) -> None:
    """The forums that review the rest of the dashboard, each with its last and next meeting,
    so that every KPI but one is reviewed somewhere (metricsHygiene keeps that one to show)."""
    for name, cadence, chair, codes, every in (
        ("Monthly teaching and learning review", Frequency.MONTHLY, ACADEMIC_OFFICER,
         ("1", "2"), 1),
        ("Quarterly business services review", Frequency.QUARTERLY, FINANCE,
         ("5", "6", "7", "8"), 3),
    ):  # fmt: skip
        forum = await _forum(
            session,
            admin,
            ForumData(
                name=name,
                cadence=cadence,
                chair=str(chair),
                members=[str(DEPUTY_OPERATIONS), str(IMPROVEMENT_LEAD)],
                process_ids=[processes[code] for code in codes],
            ),
        )
        held, upcoming = meeting_days(story.today, every)
        for day in [*held[-1:], upcoming]:
            await _meeting(
                session, acting(admin.district_id, Role.DISTRICT_ADMIN, chair), forum, day
            )


async def _responsibilities(
    session: AsyncSession, admin: Principal, measures: dict[str, Measure]
) -> None:
    """The owner of each key process's top-level process is ACCOUNTABLE for it (one per key
    process, as RACI wants), and each measure's owner RESPONSIBLE for its data: a person's
    responsibilities and the data-entry reminders name members with an e-mail, not owner
    texts."""
    members = {str(person): person for person in MEMBERS}
    key_processes = await session.execute(
        select(Process.code, Process.id)
        .where(Process.district_id == admin.district_id, Process.is_key.is_(True))
        .order_by(Process.code)
    )
    assignments = [
        (OWNERS_BY_PROCESS[code.split(".")[0]], Responsibility.ACCOUNTABLE, process_id, None)
        for code, process_id in key_processes
    ] + [
        (members[measure.owner], Responsibility.RESPONSIBLE, None, measure.id)
        for _, measure in sorted(measures.items())
        if measure.owner in members
    ]
    for person, responsibility, process_id, measure_id in assignments:
        view, _ = await assign_responsibility(
            session=session,
            district_id=admin.district_id,
            user_id=None,
            email=person.email,
            process_id=process_id,
            measure_id=measure_id,
            responsibility=responsibility,
            assigned_by=admin.actor,
        )
        await audit(
            session,
            admin,
            "assignResponsibility",
            "responsibility_assignment",
            view.id,
            userId=str(view.person.user_id),
            processId=str(process_id) if process_id else None,
            measureId=str(measure_id) if measure_id else None,
            responsibility=responsibility.value,
            created=True,
        )


async def _forum(session: AsyncSession, admin: Principal, data: ForumData) -> Forum:
    view = await create_forum(
        session=session, district_id=admin.district_id, data=data, created_by=admin.actor
    )
    await audit(session, admin, "createForum", "forum", view.forum.id, name=data.name)
    return view.forum


async def _meeting(session: AsyncSession, by: Principal, forum: Forum, day: date) -> Meeting:
    meeting = await schedule_meeting(
        session=session,
        district_id=by.district_id,
        forum_id=forum.id,
        held_on=day,
        scheduled_by=by.actor,
    )
    await audit(session, by, "scheduleMeeting", "meeting", meeting.id, heldOn=day)
    return meeting


async def _decide(session: AsyncSession, by: Principal, data: DecisionRecord) -> Decision:
    decision = await record_decision(
        session=session, district_id=by.district_id, data=data, created_by=by.actor
    )
    await audit(session, by, "recordDecision", "decision", decision.id, title=data.title)
    return decision


async def _breakfast_carts(
    session: AsyncSession, by: Principal, story: DemoStory, measure: Measure, meeting: Meeting
) -> None:
    """Last meeting's decision on the RED breakfast KPI, due three weeks later and still OPEN:
    the next meeting's agenda shows it overdue."""
    owner: Person = NUTRITION
    due = meeting.held_on + timedelta(days=21)
    try:
        decision = await open_decision_for_measure(
            session=session,
            district_id=by.district_id,
            data=MeasureDecision(
                measure_id=measure.id,
                school_year=story.reporting_year,
                fact="Breakfast participation is below its red threshold at every school",
                cause="Breakfast closes at the first bell; late buses and late risers miss it",
                action="Pilot grab-and-go breakfast carts at Jefferson Middle",
                owner=str(owner),
                due_on=due,
                meeting_id=meeting.id,
            ),
            created_by=by.actor,
        )
        await audit(session, by, "openDecisionForMeasure", "decision", decision.id)
    except Conflict:  # not RED (an older demo's data): the same decision, logged by hand
        await _decide(
            session,
            by,
            DecisionRecord(
                title="Pilot grab-and-go breakfast carts at Jefferson Middle",
                owner=str(owner),
                due_on=due,
                meeting_id=meeting.id,
                measure_id=measure.id,
            ),
        )
