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

    def school_scope(self) -> frozenset[uuid.UUID] | None:
        """The schools this caller may write for; None means every school and the district.

        The one definition of the rule: a SCHOOL_LEADER writes only for its own schools (never
        district-wide rows); every other writing role for any. Every writer (GraphQL, CSV, CLI)
        asks here.
        """
        return self.school_ids if self.role is Role.SCHOOL_LEADER else None

    def may_act_for_school(self, school_id: uuid.UUID | None) -> bool:
        scope = self.school_scope()
        return scope is None or (school_id is not None and school_id in scope)
