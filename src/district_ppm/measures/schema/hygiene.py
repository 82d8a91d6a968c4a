"""GraphQL for the metrics-hygiene report (measures/hygiene.py)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session
from district_ppm.api.permissions import ANY_ROLE
from district_ppm.measures import hygiene
from district_ppm.measures.schema.types import Measure
from district_ppm.tenancy.calendar import district_today

HygieneReason = strawberry.enum(hygiene.HygieneReason)


@strawberry.type
class HygieneRow:
    """Read by name from the service's ``hygiene.HygieneLine``."""

    measure: Measure
    reasons: list[HygieneReason]  # type: ignore[valid-type]


@strawberry.type(description="Measures with hygiene problems, by code, each with every reason.")
class MetricsHygiene:
    as_of: date
    rows: list[HygieneRow]
    not_checked: list[str] = strawberry.field(
        description="Checks DOMAIN.md names that this report cannot run, and why (none now)."
    )


@strawberry.type
class HygieneQueries:
    @strawberry.field(
        permission_classes=[ANY_ROLE],
        description=(
            "NO_OWNER; NO_PROCESS_OR_LOGIC_MODEL; NO_RECENT_DATA (nothing in the last two "
            "complete periods of its frequency); NO_TARGET (none for the school year of "
            "asOf); NOT_ON_ANY_FORUM (in no management forum's scope). asOf defaults to "
            "today in the district's time zone."
        ),
    )
    async def metrics_hygiene(self, info: Info, as_of: date | None = None) -> MetricsHygiene:
        district_id = principal_of(info).district_id
        async with read_session(info) as session:
            day = as_of or await district_today(session=session, district_id=district_id)
            lines = await hygiene.get_metrics_hygiene(
                session=session, district_id=district_id, as_of=day
            )
        return MetricsHygiene(
            as_of=day,
            # The service's lines are the rows, read by name: a ``MeasureRow`` is read as a
            # Measure is (its docstring). Copying 300 into Measure objects was a seventh of
            # the read (py-spy).
            rows=lines,  # type: ignore[arg-type]
            not_checked=list(hygiene.NOT_CHECKED),
        )
