"""GraphQL: a DISTRICT_ADMIN issues, lists and revokes the district's API tokens.

Dashboards and integrations each get their own token with the least role they need; the
plaintext is returned once, at creation, and only its hash is kept.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import strawberry
from strawberry.types import Info

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ADMIN
from district_ppm.api.types import Connection, parse_id, to_connection
from district_ppm.errors import BadInput
from district_ppm.tenancy import models, service
from district_ppm.tenancy.schema import Role

MAX_TOKEN_DAYS = 730


@strawberry.type
class ApiToken:
    id: strawberry.ID
    name: str
    role: Role  # type: ignore[valid-type]
    school_ids: list[strawberry.ID]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_model(cls, token: models.ApiToken) -> ApiToken:
        return cls(
            id=strawberry.ID(str(token.id)),
            name=token.name,
            role=token.role,
            school_ids=[strawberry.ID(str(s)) for s in token.school_ids],
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


@strawberry.input
class CreateApiTokenInput:
    name: str
    role: Role  # type: ignore[valid-type]
    expires_in_days: int = 365
    school_ids: list[strawberry.ID] | None = None


@strawberry.type
class CreateApiTokenPayload:
    token: str = strawberry.field(description="The bearer token. Shown once; store it now.")
    api_token: ApiToken


@strawberry.type
class ApiTokenPayload:
    api_token: ApiToken


@strawberry.type
class TokenQueries:
    @strawberry.field(
        permission_classes=[ADMIN], description="The district's tokens, by name, a page at a time."
    )
    async def api_tokens(
        self,
        info: Info,
        include_revoked: bool = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ApiToken]:
        async with read_session(info) as session:
            page = await service.list_tokens(
                session=session,
                district_id=principal_of(info).district_id,
                include_revoked=include_revoked,
                first=first,
                after=after,
            )
        return to_connection(page, ApiToken.from_model)


@strawberry.type
class TokenMutations:
    @strawberry.mutation(permission_classes=[ADMIN])
    async def create_api_token(
        self, info: Info, input: CreateApiTokenInput
    ) -> CreateApiTokenPayload:
        if not 1 <= input.expires_in_days <= MAX_TOKEN_DAYS:
            raise BadInput("input.expiresInDays", f"must be 1 to {MAX_TOKEN_DAYS} days")
        school_ids = [
            parse_id(value, f"input.schoolIds.{index}")
            for index, value in enumerate(input.school_ids or [])
        ]
        async with unit_of_work(info, "createApiToken") as uow:
            row, plaintext = await service.issue_district_token(
                session=uow.session,
                district_id=uow.district_id,
                name=input.name,
                role=models.Role(input.role),
                ttl=timedelta(days=input.expires_in_days),
                school_ids=school_ids,
            )
            uow.audit("api_token", row.id, role=row.role.value, name=row.name)
        return CreateApiTokenPayload(token=plaintext, api_token=ApiToken.from_model(row))

    @strawberry.mutation(permission_classes=[ADMIN])
    async def revoke_api_token(self, info: Info, id: strawberry.ID) -> ApiTokenPayload:
        token_id: uuid.UUID = parse_id(id, "id")
        async with unit_of_work(info, "revokeApiToken", input_name=None) as uow:
            row = await service.revoke_token(
                session=uow.session, district_id=uow.district_id, token_id=token_id, field="id"
            )
            uow.audit("api_token", row.id)
        return ApiTokenPayload(api_token=ApiToken.from_model(row))
