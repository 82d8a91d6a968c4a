"""The demo district's practice: Lincoln Elementary's attendance outreach team, documented from
its pilot project and adopted at three more schools, whose chronic absence fell and whose
outreach contacts rose after each adoption (``measures/demo.py`` draws those series)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from district_ppm.demo import STUDENT_SERVICES, audit
from district_ppm.practices.service import (
    AdoptionCreate,
    PracticeCreate,
    adopt_practice,
    create_practice,
)

if TYPE_CHECKING:
    from district_ppm.improvement.demo_context import DemoContext, DemoProjects


async def seed_practices_demo(ctx: DemoContext, projects: DemoProjects) -> None:
    principal = ctx.as_(STUDENT_SERVICES)
    practice = await create_practice(
        session=ctx.session,
        district_id=ctx.district_id,
        data=PracticeCreate(
            title="Attendance outreach teams",
            description=(
                "A family liaison, a counselor and a teacher meet weekly. Every family hears "
                "from the school after a student's second absence in a month; students back "
                "from three or more absences get a catch-up plan and a mentor check-in."
            ),
            measure_ids=[ctx.measures["SS-CHRONIC-ABS"].id, ctx.measures["SS-OUTREACH"].id],
            project_id=projects.attendance.id,
        ),
        created_by=principal.actor,
    )
    await audit(ctx.session, principal, "createPractice", "practice", practice.id)
    adopters = {"Lincoln Elementary": ctx.story.outreach_pilot, **ctx.story.outreach_spread}
    for name, day in adopters.items():
        adoption, _ = await adopt_practice(
            session=ctx.session,
            district_id=ctx.district_id,
            data=AdoptionCreate(practice.id, ctx.schools[name].id, day),
            created_by=principal.actor,
        )
        await audit(ctx.session, principal, "adoptPractice", "adoption", adoption.id, school=name)
        projects.adoptions[name] = adoption.id
