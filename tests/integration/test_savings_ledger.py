"""The ledger's services on the real database: fiscal years that have begun by the district's
own start month, what the database itself refuses, and each adoption's savingsUsd."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.errors import BadInput
from district_ppm.savings import ledger, rollup
from district_ppm.savings.models import SavingsCategory, SavingsStatus, SavingsUnit
from district_ppm.tenancy.models import Role
from district_ppm.tenancy.principal import Principal
from tests.support.measures import create_school
from tests.support.savings import new_adoption, new_project, record, reverse, validate
from tests.support.savings import rollup as run_rollup


def lead(district_id: uuid.UUID) -> Principal:
    return Principal(
        district_id=district_id, role=Role.IMPROVEMENT_LEAD, token_id=uuid.uuid4(), actor="lead"
    )


def realized(project_id: str, fiscal_year: int) -> ledger.SavingsCreate:
    return ledger.SavingsCreate(
        project_id=uuid.UUID(project_id),
        category=SavingsCategory.HARD,
        amount=Decimal("10"),
        unit=SavingsUnit.USD,
        fiscal_year=fiscal_year,
        status=SavingsStatus.REALIZED,
    )


# start month, today, fiscal year claimed REALIZED, whether that fiscal year has begun
BOUNDARIES = [
    (7, date(2026, 6, 30), 2027, False),
    (7, date(2026, 7, 1), 2027, True),
    (10, date(2026, 9, 30), 2027, False),
    (10, date(2026, 10, 1), 2027, True),
    (10, date(2026, 9, 30), 2026, True),
    (1, date(2026, 12, 31), 2027, False),
    (1, date(2027, 1, 1), 2027, True),
]


@pytest.mark.parametrize(("start_month", "today", "fiscal_year", "begun"), BOUNDARIES)
async def test_savings_are_realized_only_once_their_fiscal_year_has_begun(
    gql, factory, app_sessionmaker, start_month, today, fiscal_year, begun
):
    district_id, admin = await factory.district(fiscal_year_start_month=start_month)
    project = await new_project(gql, admin)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        try:
            entry = await ledger.record_savings(
                session=session,
                district_id=district_id,
                principal=lead(district_id),
                data=realized(project, fiscal_year),
                today=today,
            )
            outcome: Any = entry.status
        except BadInput as error:
            outcome = error.field

    assert outcome == (SavingsStatus.REALIZED if begun else "status")


async def test_moving_to_realized_checks_the_same_boundary(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district(fiscal_year_start_month=10)
    project = await new_project(gql, admin)
    projected = await record(gql, admin, project, status="PROJECTED", fiscalYear=2027)
    move = ledger.SavingsUpdate(entry_id=uuid.UUID(projected["id"]), status=SavingsStatus.REALIZED)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        with pytest.raises(BadInput) as refused:
            await ledger.update_savings(
                session=session,
                district_id=district_id,
                principal=lead(district_id),
                data=move,
                today=date(2026, 9, 30),
            )
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        entry, changes = await ledger.update_savings(
            session=session,
            district_id=district_id,
            principal=lead(district_id),
            data=move,
            today=date(2026, 10, 1),
        )

    assert refused.value.field == "status"
    assert (entry.status, changes) == (
        SavingsStatus.REALIZED,
        {"status": ["PROJECTED", "REALIZED"]},
    )


async def test_the_database_refuses_to_edit_a_validated_entry_whatever_the_code(
    gql, factory, app_sessionmaker
):
    district_id, admin = await factory.district()
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    entry = await record(gql, admin, project)
    await validate(gql, finance, entry["id"])
    unvalidated = await record(gql, admin, project)

    codes = []
    for statement in (
        "UPDATE savings_entries SET amount = 1 WHERE id = :id",  # a validated entry
        "UPDATE savings_entries SET note = 'x' WHERE id = :id",
    ):
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            with pytest.raises(DBAPIError) as refused:
                await session.execute(text(statement), {"id": entry["id"]})
            codes.append(refused.value.orig.sqlstate)  # type: ignore[union-attr]
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        with pytest.raises(DBAPIError) as not_granted:
            await session.execute(
                text("UPDATE savings_entries SET category = 'SOFT' WHERE id = :id"),
                {"id": unvalidated["id"]},
            )
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        with pytest.raises(DBAPIError) as no_delete:
            await session.execute(
                text("DELETE FROM savings_entries WHERE id = :id"), {"id": unvalidated["id"]}
            )

    assert codes == ["23000", "23000"]  # integrity_constraint_violation, from the trigger
    assert not_granted.value.orig.sqlstate == "42501"  # type: ignore[union-attr]
    assert no_delete.value.orig.sqlstate == "42501"  # type: ignore[union-attr]


async def test_an_adoptions_savings_usd_counts_realized_and_validated_dollars_net(
    gql, factory, app_sessionmaker
):
    district_id, admin = await factory.district()
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    school = await create_school(gql, admin, "Grant")
    project = await new_project(gql, admin)
    _, adoption = await new_adoption(app_sessionmaker, district_id, school, project)
    _, idle = await new_adoption(app_sessionmaker, district_id, school, project, title="Other")
    v = await record(gql, admin, project, amount="100.25", adoptionId=adoption, fiscalYear=2025)
    await validate(gql, finance, v["id"])
    await record(gql, admin, project, amount="40", adoptionId=adoption)
    await record(gql, admin, project, amount="7", adoptionId=adoption, status="PROJECTED")
    await record(
        gql, admin, project, category="SOFT", unit="HOURS", amount="9", adoptionId=adoption
    )
    wrong = await record(gql, admin, project, amount="15", adoptionId=adoption)
    await reverse(gql, admin, wrong["id"])
    await run_rollup(app_sessionmaker, district_id)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        found = await rollup.adoption_savings_usd(
            session=session,
            district_id=district_id,
            adoption_ids=[uuid.UUID(adoption), uuid.UUID(idle)],
        )

    # 100.25 (FY2025, validated) + 40 + 15 - 15; the projection and the hours do not count
    assert found == {uuid.UUID(adoption): Decimal("140.25"), uuid.UUID(idle): Decimal("0.00")}
