"""Per-request loaders for what a meeting shows beside its own row (one query per page)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.api.loaders import TenantLoader
from district_ppm.governance import decisions, forums, meetings
from district_ppm.governance.models_forums import Decision


class ForumByIdLoader(TenantLoader[uuid.UUID, forums.ForumView | None]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[forums.ForumView | None]:
        found = await forums.forum_views(
            session=session, district_id=self.district_id, forum_ids=keys
        )
        return [found.get(key) for key in keys]


class AgendaByMeetingLoader(TenantLoader[uuid.UUID, meetings.MeetingAgenda]):
    async def fetch(
        self, session: AsyncSession, keys: Sequence[uuid.UUID]
    ) -> list[meetings.MeetingAgenda]:
        found = await meetings.agendas_of(
            session=session, district_id=self.district_id, meeting_ids=keys
        )
        return [found[key] for key in keys]


class DecisionsByMeetingLoader(TenantLoader[uuid.UUID, list[Decision]]):
    async def fetch(self, session: AsyncSession, keys: Sequence[uuid.UUID]) -> list[list[Decision]]:
        found = await decisions.decisions_of_meetings(
            session=session, district_id=self.district_id, meeting_ids=keys
        )
        return [found[key] for key in keys]
