"""Who is calling: resolved once per request from the bearer token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from district_ppm.tenancy.models import Role


@dataclass(frozen=True, slots=True)
class Principal:
    district_id: uuid.UUID
    role: Role
    token_id: uuid.UUID
    actor: str
    school_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)

    def may_act_for_school(self, school_id: uuid.UUID | None) -> bool:
        """SCHOOL_LEADER records only for its own schools; other writers for any."""
        if self.role is not Role.SCHOOL_LEADER:
            return True
        return school_id is not None and school_id in self.school_ids
