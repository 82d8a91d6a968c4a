"""Districts and tokens. Platform-operator functions take an owner-role session."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.pagination import Page, keyset_page
from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.schools.models import School
from district_ppm.tenancy.models import ApiToken, District, Membership, Role, User
from district_ppm.tenancy.principal import Principal
from district_ppm.tenancy.tokens import hash_token, new_token

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
MAX_TOKEN_NAME = 200  # api_tokens.name is String(200)


async def create_district(
    *,
    session: AsyncSession,
    slug: str,
    name: str,
    timezone: str = "America/Chicago",
    fiscal_year_start_month: int = 7,
    late_bus_grace_minutes: int = 0,
) -> District:
    """Create a tenant. Platform operators only: ``session`` is an owner-role session."""
    if not _SLUG.match(slug):
        raise BadInput("slug", "must be 1-63 lowercase letters, digits or inner hyphens")
    if not name.strip():
        raise BadInput("name", "must not be empty")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadInput("timezone", f"unknown IANA time zone {timezone!r}") from None
    if not 1 <= fiscal_year_start_month <= 12:
        raise BadInput("fiscalYearStartMonth", "must be a month number 1-12")
    if late_bus_grace_minutes < 0:
        raise BadInput("lateBusGraceMinutes", "must not be negative")
    if await session.scalar(select(District.id).where(District.slug == slug)):
        raise Conflict("slug", f"a district with slug {slug!r} exists")
    district = District(
        id=uuid.uuid4(),
        slug=slug,
        name=name.strip(),
        timezone=timezone,
        fiscal_year_start_month=fiscal_year_start_month,
        late_bus_grace_minutes=late_bus_grace_minutes,
    )
    session.add(district)
    await session.flush()
    return district


async def get_district_by_slug(*, session: AsyncSession, slug: str) -> District:
    district = await session.scalar(select(District).where(District.slug == slug))
    if district is None:
        raise NotFound("district", f"no district with slug {slug!r}")
    return district


async def create_token(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    role: Role,
    name: str,
    ttl: timedelta,
    school_ids: Iterable[uuid.UUID] = (),
) -> tuple[ApiToken, str]:
    """Issue a token; returns the row and the plaintext, which is shown once and never stored."""
    if ttl <= timedelta(0):
        raise BadInput("expiresInDays", "must be positive")
    plaintext = new_token()
    token = ApiToken(
        id=uuid.uuid4(),
        district_id=district_id,
        name=name,
        token_hash=hash_token(plaintext),
        role=role,
        school_ids=list(school_ids),
        expires_at=datetime.now(UTC) + ttl,
    )
    session.add(token)
    await session.flush()
    return token, plaintext


async def revoke_token(
    *, session: AsyncSession, district_id: uuid.UUID, token_id: uuid.UUID, field: str = "tokenId"
) -> ApiToken:
    """Revoke an active token; effective for the very next request."""
    token = await session.scalar(
        select(ApiToken)
        .where(ApiToken.district_id == district_id, ApiToken.id == token_id)
        .where(ApiToken.revoked_at.is_(None))
    )
    if token is None:
        raise NotFound(field, "no active token with that id in this district")
    token.revoked_at = datetime.now(UTC)
    await session.flush()
    return token


async def issue_district_token(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    name: str,
    role: Role,
    ttl: timedelta,
    school_ids: list[uuid.UUID],
) -> tuple[ApiToken, str]:
    """A district admin's token for a person or an integration, checked against the district.

    A SCHOOL_LEADER token needs its schools; other roles act district-wide and take none.
    """
    name = name.strip()
    if not name:
        raise BadInput("name", "must not be empty")
    if len(name) > MAX_TOKEN_NAME:
        raise BadInput("name", f"must be at most {MAX_TOKEN_NAME} characters")
    if role is Role.SCHOOL_LEADER and not school_ids:
        raise BadInput("schoolIds", "a SCHOOL_LEADER token needs at least one school")
    if role is not Role.SCHOOL_LEADER and school_ids:
        raise BadInput("schoolIds", "only SCHOOL_LEADER tokens are scoped to schools")
    known = set(
        await session.scalars(
            select(School.id).where(School.district_id == district_id, School.id.in_(school_ids))
        )
    )
    for index, school_id in enumerate(school_ids):
        if school_id not in known:
            raise NotFound(f"schoolIds.{index}", "no such school in this district")
    return await create_token(
        session=session,
        district_id=district_id,
        role=role,
        name=name,
        ttl=ttl,
        school_ids=school_ids,
    )


async def add_member(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    email: str,
    display_name: str,
    role: Role,
    school_ids: list[uuid.UUID],
    ttl: timedelta,
) -> tuple[Membership, str]:
    """Give a person (created if new, matched by e-mail) a role in a district, and a token.

    Platform operators only: users are platform-wide, so ``session`` is an owner-role session.
    A person already in the district gets the new role; when the role or the schools change,
    the membership's earlier tokens are revoked (they would keep acting with the old ones).
    """
    email = email.strip().lower()
    if "@" not in email:
        raise BadInput("email", "is not an e-mail address")
    user = await session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(id=uuid.uuid4(), email=email, display_name=display_name.strip() or email)
        session.add(user)
        await session.flush()
    membership = await session.scalar(
        select(Membership).where(
            Membership.district_id == district_id, Membership.user_id == user.id
        )
    )
    if membership is None:
        membership = Membership(id=uuid.uuid4(), district_id=district_id, user_id=user.id)
        session.add(membership)
    elif membership.role != role or set(membership.school_ids) != set(school_ids):
        # A token carries the role it was issued with: the old ones would keep the old role
        # (a demoted admin would stay an admin), so they stop working now.
        await session.execute(
            update(ApiToken)
            .where(
                ApiToken.district_id == district_id,
                ApiToken.membership_id == membership.id,
                ApiToken.revoked_at.is_(None),
            )
            .values(revoked_at=datetime.now(UTC))
        )
    membership.role = role
    membership.school_ids = list(school_ids)
    await session.flush()
    token, plaintext = await create_token(
        session=session,
        district_id=district_id,
        role=role,
        name=user.display_name,
        ttl=ttl,
        school_ids=school_ids,
    )
    token.membership_id = membership.id
    await session.flush()
    return membership, plaintext


async def list_tokens(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    include_revoked: bool,
    first: int | None = None,
    after: str | None = None,
) -> Page[ApiToken]:
    """One keyset page of the district's tokens by name (then id); tokens accumulate without
    bound (one per person and integration, revoked ones kept), so the list is paginated."""
    stmt = select(ApiToken).where(ApiToken.district_id == district_id)
    if not include_revoked:
        stmt = stmt.where(ApiToken.revoked_at.is_(None))
    return await keyset_page(
        session, stmt, order_by=[ApiToken.name, ApiToken.id], first=first, after=after
    )


def principal_from_row(row: Any) -> Principal:
    """The principal of a ``ppm_authenticate`` row (``api.request_transaction`` looks tokens
    up before any tenant is known, through that one SECURITY DEFINER function; the token
    table itself stays under forced RLS)."""
    return Principal(
        district_id=row["district_id"],
        role=Role(row["role"]),
        token_id=row["token_id"],
        actor=row["token_name"],
        school_ids=frozenset(row["school_ids"] or ()),
    )
