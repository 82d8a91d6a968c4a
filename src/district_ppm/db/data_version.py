"""Each district's data version: a number that every committed write of its data moves on.

A response cache keys what it stores by the version (``api/response_cache.py``): once a
write commits, no read can be answered with an entry made before it.

How it moves, in PostgreSQL so that no write path can forget it:
- every table users read carries a trigger (``ppm_mark_district_write``) that only notes, in
  a transaction-local setting, that the transaction wrote: per statement, so a 720,000-row
  import pays once, and no lock is taken;
- at commit, ``ppm_advance_data_version()`` adds one to the version of each district the
  transaction wrote, as the transaction's last statement (a ``commit`` event of the engine,
  so after every ORM flush and the outbox's own before-commit writes). The row lock is held
  from there to COMMIT only, and its holder waits for nothing else: writers of one district
  queue for microseconds, never in a cycle, and the new version becomes visible in the same
  instant as the data it stands for.

Which districts a transaction wrote: a tenant's transaction (``app.district_id`` set) writes
only its own, RLS sees to that. The platform operator's role writes without a tenant (create
a district, issue a token, add a member): the tables it writes that way carry per-row triggers
that name each row's district (``OPERATOR_TABLES``, all small); a tenant-less write to any
other table moves every district's version, in key order.

A transaction that only read moves nothing; and reads end with a rollback, not a commit, so
they do not even pay the call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Connection, ForeignKey, event, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from district_ppm.db.base import Base

MARK_FUNCTION = "ppm_mark_district_write"
ADVANCE_FUNCTION = "ppm_advance_data_version"

# Tables whose writes move no version, and why. Every other table under row-level security
# must carry the trigger (a test checks the catalog).
UNVERSIONED_TABLES: dict[str, str] = {
    "district_data_versions": "the versions themselves",
    "outbox_messages": (
        "the job queue: a job is written by a transaction that writes data anyway, and the "
        "relay marks it dispatched as the job runner's role, every half second, with no tenant"
    ),
    "job_runs": (
        "each job's outcome: what a job changes for users is in the tables it writes; read "
        "only by `jobs`, which the response cache never stores"
    ),
    "measure_dirty_marks": (
        "which measures a status refresh must recompute: written beside the data that made "
        "them dirty, deleted by the refresh, which moves the version when it writes statuses"
    ),
    "plan_verdict_history": (
        "the worker's verdicts of every date, served only while verdict_history_state's "
        "inputs version is the district's (reads check it): writing them changes no answer"
    ),
    "verdict_history_state": "the version and horizon of plan_verdict_history (the same)",
}

# Tables the operator's role writes without a tenant, and the column naming each row's
# district: their triggers fire per row, so such a write moves only the districts it touched
# (issuing tokens and adding members must not flush every district's cache).
OPERATOR_TABLES: dict[str, str] = {
    "districts": "id",
    "api_tokens": "district_id",
    "memberships": "district_id",
    "audit_events": "district_id",
}

# Users are platform-wide: a new user is invisible to every district until a membership
# (which names its district) makes them a member, so only updates and deletes are marked.
USER_TABLE_EVENTS = "UPDATE OR DELETE"


def data_version_trigger_sql(table: str) -> list[str]:
    """The trigger that marks a write to ``table``: every new tenant table's migration runs it
    (after ``rls.tenant_table_sql``), unless the table is listed in ``UNVERSIONED_TABLES``."""
    if table in OPERATOR_TABLES:
        return [
            f"CREATE TRIGGER ppm_data_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {MARK_FUNCTION}('{OPERATOR_TABLES[table]}')"
        ]
    return [
        f"CREATE TRIGGER ppm_data_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {MARK_FUNCTION}()"
    ]


# The tables a sustainability verdict is computed from (``sustainability.history``): a
# transaction that writes one of them also moves the district's ``inputs_version``, and every
# verdict the worker stored at an older one stops being served. A statement trigger notes the
# write (``app.verdict_inputs_wrote``), ``ppm_advance_data_version`` moves the number at commit
# with the data version. tests/api/test_verdict_history.py checks that a computation
# reads no other table (besides derived ones whose readers vouch for them).
VERDICT_INPUT_FUNCTION = "ppm_mark_verdict_input"
VERDICT_INPUT_TABLES: dict[str, str] = {
    "districts": "the fiscal calendar that periods follow",
    "school_enrollments": "the weights of enrollment-weighted district-wide series",
    "measures": "each control measure's level, frequency, direction, aggregation",
    "measurements": "the series",
    "measure_targets": "the targets a latest value is held to",
    "control_chart_rebases": "where each chart starts",
    "control_chart_exclusions": "the points each chart leaves out",
    "sustainability_plans": "each plan's start, duration and review cadence",
    "sustainability_plan_measures": "each plan's control measures and own targets",
    "sustainability_reviews": "the review dates",
    "project_schools": "the schools a plan's SCHOOL-level measures are checked at",
}


def verdict_input_trigger_sql(table: str) -> list[str]:
    """The trigger that marks a write to a verdict's input table (``VERDICT_INPUT_TABLES``)."""
    return [
        f"CREATE TRIGGER ppm_verdict_input AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {VERDICT_INPUT_FUNCTION}()"
    ]


class DistrictDataVersion(Base):
    """One row per district, made with the district (a trigger on ``districts``)."""

    __tablename__ = "district_data_versions"

    district_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # Moved only by writes to ``VERDICT_INPUT_TABLES``.
    inputs_version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


@dataclass(frozen=True, slots=True)
class DataVersion:
    number: int
    # Answers that default to "today" change at the district's midnight without any write.
    district_today: date


_READ = text(
    "SELECT v.version, d.timezone FROM district_data_versions v "
    "JOIN districts d ON d.id = v.district_id WHERE v.district_id = :district_id"
)


async def read_data_version(session: AsyncSession, district_id: uuid.UUID) -> DataVersion | None:
    """The district's data version as ``session``'s transaction sees it (None: no row).

    Today is computed here, with the application's clock, the way resolvers compute it
    (``tenancy.calendar.district_today``).
    """
    row = (await session.execute(_READ, {"district_id": district_id})).one_or_none()
    if row is None:
        return None
    return DataVersion(row.version, datetime.now(ZoneInfo(row.timezone)).date())


_ADVANCE = f"SELECT {ADVANCE_FUNCTION}()"


# The transaction failed earlier (a caller caught the error and commits anyway): its COMMIT
# will roll it back, and nothing of it needs a version.
IN_FAILED_TRANSACTION = "25P02"


def _advance_before_commit(connection: Connection) -> None:
    try:
        connection.exec_driver_sql(_ADVANCE)
    except DBAPIError as error:
        # Any other failure (the server went away) fails the commit: no write is committed
        # without its version.
        if getattr(error.orig, "sqlstate", None) != IN_FAILED_TRANSACTION:
            raise


def advance_data_version_on_commit(engine: AsyncEngine) -> None:
    """Make every commit on ``engine`` move the versions of the districts it wrote."""
    sync_engine = engine.sync_engine
    if not event.contains(sync_engine, "commit", _advance_before_commit):
        event.listen(sync_engine, "commit", _advance_before_commit)
