"""Watching an import from outside: how it wrote (its audit event) and whether it waits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

from tests.support.waiting import eventually


async def last_write(admin_sessionmaker: Any, district_id: uuid.UUID, kind: str) -> str:
    """How the district's latest ``kind`` import wrote: ``insert`` (every row new) or
    ``merge``, as its audit event says."""
    async with admin_sessionmaker() as session:
        write = await session.scalar(
            text(
                "SELECT details ->> 'write' FROM audit_events "
                "WHERE district_id = :district_id AND action = :action "
                "ORDER BY created_at DESC LIMIT 1"
            ),
            {"district_id": district_id, "action": f"import:{kind}"},
        )
    assert write is not None, f"no import:{kind} audited"
    return str(write)


async def waiting_on_a_lock(admin_sessionmaker: Any, statement_start: str) -> None:
    """Return once a statement of this database starting with ``statement_start`` waits for a
    lock (a row another transaction has not committed yet)."""

    async def waiting() -> bool:
        async with admin_sessionmaker() as session:
            count = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock' "
                    "AND ltrim(query, E' \\n') LIKE :start"
                ),
                {"start": statement_start + "%"},
            )
        return bool(count)

    await eventually(waiting, seconds=10)
