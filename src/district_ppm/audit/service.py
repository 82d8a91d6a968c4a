"""Writing audit events, always inside the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.audit.models import AuditEvent


async def record_event(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    actor: str,
    action: str,
    token_id: uuid.UUID | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
    client_ip: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        id=uuid.uuid4(),
        district_id=district_id,
        actor=actor,
        token_id=token_id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=details or {},
        request_id=request_id,
        client_ip=client_ip,
    )
    session.add(event)
    return event
