"""Queries: savingsSummary, savingsEntry, savingsEntries, savingsClaimChecks, savingsReinvested.

Reads are open to every role (DOMAIN.md "Roles": VIEWER reads).
"""

from __future__ import annotations

import uuid

import strawberry
from sqlalchemy import any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session
from district_ppm.api.permissions import ANY_ROLE
from district_ppm.api.selection import selected
from district_ppm.api.types import Connection, parse_id, parse_optional_id, to_connection
from district_ppm.db.plain_rows import fetch_plain
from district_ppm.improvement import models as improvement_models
from district_ppm.improvement.schema.types import Project
from district_ppm.savings import claims, entries, reinvestment, rollup, rules
from district_ppm.savings.schema.types import (
    SavingsClaim,
    SavingsClaimCheck,
    SavingsEntry,
    SavingsReinvestment,
    SavingsStatus,
    SavingsSummary,
)

# savingsSummary's lists and the roll-up grouping each is read from.
GROUPING_FIELDS = {
    "byProject": "PROJECT",
    "byProcess": "PROCESS",
    "bySchool": "SCHOOL",
    "byPractice": "PRACTICE",
}


_PROJECTS = improvement_models.Project.__table__
# Built once, the ids one array parameter: fetched by the driver itself (``fetch_plain``).
_PROJECTS_BY_ID = select(_PROJECTS).where(
    _PROJECTS.c.district_id == bindparam("district_id"),
    _PROJECTS.c.id == any_(bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))),
)


async def projects_as_types(
    session: AsyncSession, district_id: uuid.UUID, project_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Project]:
    """The projects as the API's type, from plain rows of every column (``Project.from_model``
    reads them by name): a summary names hundreds, and neither the ORM's identity map nor
    SQLAlchemy's ``Row`` (read by name, each read a failed attribute lookup first) is needed.
    Reading 300 projects through ``Row``s took about a third of a summary's CPU."""
    rows = await fetch_plain(
        session, _PROJECTS_BY_ID, {"district_id": district_id, "ids": project_ids}
    )
    return {row.id: Project.from_model(row) for row in rows}


@strawberry.type
class SavingsQueries:
    @strawberry.field(permission_classes=[ANY_ROLE])
    async def savings_summary(self, info: Info, fiscal_year: int) -> SavingsSummary:
        rules.check_fiscal_year(fiscal_year, "fiscalYear")
        # A large district's summary reads only what the client asks for: the groupings it
        # selects, and byProject's projects only when it selects them.
        asked = selected(info)
        district_id = principal_of(info).district_id
        async with read_session(info) as session:
            summary = await rollup.savings_summary(
                session=session,
                district_id=district_id,
                fiscal_year=fiscal_year,
                groupings=[g for field, g in GROUPING_FIELDS.items() if field in asked],
            )
            projects = {}
            if summary.groups["PROJECT"] and "project" in selected(info, "byProject"):
                projects = await projects_as_types(
                    session, district_id, [g.key for g in summary.groups["PROJECT"]]
                )
        return SavingsSummary.from_summary(summary, projects)

    @strawberry.field(permission_classes=[ANY_ROLE])
    async def savings_entry(self, info: Info, id: strawberry.ID) -> SavingsEntry | None:
        entry_id = parse_id(id, "id")
        async with read_session(info) as session:
            found = await entries.get_entry(
                session=session, district_id=principal_of(info).district_id, entry_id=entry_id
            )
        return None if found is None else SavingsEntry.from_model(found)

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="Entries by fiscal year, then id; each filter is optional.",
    )
    async def savings_entries(
        self,
        info: Info,
        fiscal_year: int | None = None,
        project_id: strawberry.ID | None = None,
        status: SavingsStatus | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SavingsEntry]:
        project = parse_optional_id(project_id, "projectId")
        async with read_session(info) as session:
            page = await entries.list_entries(
                session=session,
                district_id=principal_of(info).district_id,
                fiscal_year=fiscal_year,
                project_id=project,
                status=status,
                first=first,
                after=after,
            )
        return to_connection(page, SavingsEntry.from_model)

    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description="The fiscal year's INSTRUCTIONAL_TIME claims of transportation projects "
        "that still count (not reversed), each beside the change the bus runs show; flagged "
        "ones first. What finance reads before validating.",
    )
    async def savings_claim_checks(self, info: Info, fiscal_year: int) -> list[SavingsClaim]:
        rules.check_fiscal_year(fiscal_year, "fiscalYear")
        async with read_session(info) as session:
            found = await claims.claims_of_fiscal_year(
                session=session,
                district_id=principal_of(info).district_id,
                fiscal_year=fiscal_year,
            )
        return [
            SavingsClaim(
                entry=SavingsEntry.from_model(entry), check=SavingsClaimCheck.from_check(c)
            )
            for entry, c in found
        ]

    @strawberry.field(permission_classes=[ANY_ROLE])
    async def savings_reinvested(self, info: Info, fiscal_year: int) -> SavingsReinvestment:
        rules.check_fiscal_year(fiscal_year, "fiscalYear")
        async with read_session(info) as session:
            found = await reinvestment.savings_reinvested(
                session=session,
                district_id=principal_of(info).district_id,
                fiscal_year=fiscal_year,
            )
        return SavingsReinvestment.from_reinvestment(found)
