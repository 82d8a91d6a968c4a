"""Role checks, declared on each root field and evaluated against the request's principal."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from district_ppm.errors import Forbidden, Unauthenticated
from district_ppm.tenancy.models import Role


def requires_role(*roles: Role) -> type[BasePermission]:
    """A permission class admitting only principals whose role is in ``roles``."""
    allowed = frozenset(roles)

    class RequiresRole(BasePermission):
        message = "your role may not do this"

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            principal = info.context.principal
            if principal is None:
                raise Unauthenticated()
            if principal.role not in allowed:
                raise Forbidden(f"role {principal.role.value} may not do this")
            return True

    RequiresRole.__name__ = "Requires" + "Or".join(r.value.title().replace("_", "") for r in roles)
    return RequiresRole


# DOMAIN.md "Roles": who may do what. DISTRICT_ADMIN may do all of it.
ANY_ROLE = requires_role(*Role)
ADMIN = requires_role(Role.DISTRICT_ADMIN)
MEASUREMENT_WRITERS = requires_role(Role.DISTRICT_ADMIN, Role.PROCESS_OWNER, Role.SCHOOL_LEADER)
MEASURE_EDITORS = requires_role(Role.DISTRICT_ADMIN, Role.PROCESS_OWNER)
IMPROVEMENT = requires_role(Role.DISTRICT_ADMIN, Role.IMPROVEMENT_LEAD)
OPPORTUNITY_WRITERS = requires_role(Role.DISTRICT_ADMIN, Role.PROCESS_OWNER, Role.IMPROVEMENT_LEAD)
SAVINGS_VALIDATORS = requires_role(Role.FINANCE_VALIDATOR)
# An IMPROVEMENT_LEAD reverses only entries not yet validated: a rule on data, in the service.
SAVINGS_REVERSERS = requires_role(
    Role.DISTRICT_ADMIN, Role.FINANCE_VALIDATOR, Role.IMPROVEMENT_LEAD
)
SAVINGS_ALLOCATORS = requires_role(Role.DISTRICT_ADMIN, Role.FINANCE_VALIDATOR)
# DOMAIN.md "Decisions and forums": who schedules meetings (and amends their agendas) and
# records and closes decisions. Creating forums is DISTRICT_ADMIN's (ADMIN).
MEETING_RUNNERS = requires_role(Role.DISTRICT_ADMIN, Role.PROCESS_OWNER, Role.IMPROVEMENT_LEAD)
