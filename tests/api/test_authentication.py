"""Bearer tokens: missing, unknown, revoked and expired tokens are all UNAUTHENTICATED."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from district_ppm.tenancy import service as tenancy
from district_ppm.tenancy.models import ApiToken, Role
from district_ppm.tenancy.tokens import hash_token
from tests.support.graphql import error_codes

ME = "{ me { role district { id slug } } }"


async def test_a_token_identifies_its_district_and_role(gql, factory):
    district_id, _ = await factory.district(slug="springfield")
    viewer = await factory.token(district_id, Role.VIEWER)

    result = await gql(ME, token=viewer)

    assert result["data"]["me"] == {
        "role": "VIEWER",
        "district": {"id": str(district_id), "slug": "springfield"},
    }


async def test_missing_and_unknown_tokens_are_unauthenticated(gql):
    assert error_codes(await gql(ME, token=None)) == ["UNAUTHENTICATED"]
    assert error_codes(await gql(ME, token="dppm_not-a-real-token")) == ["UNAUTHENTICATED"]


async def test_a_revoked_token_stops_working(gql, factory, admin_sessionmaker):
    district_id, _ = await factory.district()
    token = await factory.token(district_id, Role.VIEWER)
    assert "errors" not in await gql(ME, token=token)

    async with admin_sessionmaker() as session, session.begin():
        token_id = await session.scalar(
            select(ApiToken.id).where(ApiToken.token_hash == hash_token(token))
        )
        await tenancy.revoke_token(session=session, district_id=district_id, token_id=token_id)

    assert error_codes(await gql(ME, token=token)) == ["UNAUTHENTICATED"]


async def test_an_expired_token_is_unauthenticated(gql, factory, admin_sessionmaker):
    district_id, _ = await factory.district()
    token = await factory.token(district_id, Role.VIEWER)
    async with admin_sessionmaker() as session, session.begin():
        row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
        row.expires_at = row.created_at - timedelta(seconds=1)

    assert error_codes(await gql(ME, token=token)) == ["UNAUTHENTICATED"]


async def test_tokens_are_stored_only_as_hashes(factory, admin_sessionmaker):
    district_id, _ = await factory.district()
    token = await factory.token(district_id, Role.VIEWER)

    async with admin_sessionmaker() as session:
        stored = list(
            await session.scalars(
                select(ApiToken.token_hash).where(ApiToken.district_id == district_id)
            )
        )

    assert token not in stored and hash_token(token) in stored
