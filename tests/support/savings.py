"""Helpers for the savings tests: the operations file, projects, entries, and what is stored."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from district_ppm.audit.models import AuditEvent
from district_ppm.config import PROJECT_ROOT
from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.models import OutboxMessage
from district_ppm.jobs.service import lock_district
from district_ppm.practices.models import Adoption, Practice
from district_ppm.savings.jobs import rollup_savings_job
from district_ppm.savings.models import (
    SavingsAllocation,
    SavingsCategoryRollup,
    SavingsEntry,
    SavingsRollup,
    SavingsRollupState,
)

OPERATIONS = (Path(PROJECT_ROOT) / "graphql" / "operations" / "savings.graphql").read_text()

CREATE_PROJECT = """
mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }
"""
CREATE_PROCESS = """
mutation($input: CreateProcessInput!) { createProcess(input: $input) { process { id } } }
"""


async def op(gql: Any, name: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    """Run the operation ``name`` of graphql/operations/savings.graphql."""
    response = await gql.client.post(
        "/graphql",
        json={"query": OPERATIONS, "operationName": name, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def new_project(gql: Any, token: str, title: str = "Late buses", **fields: Any) -> str:
    result = await gql(
        CREATE_PROJECT,
        {
            "input": {
                "title": title,
                "problemStatement": "Something costs too much.",
                "goalStatement": "It costs less.",
                **fields,
            }
        },
        token=token,
    )
    assert "errors" not in result, result
    return result["data"]["createProject"]["project"]["id"]  # type: ignore[no-any-return]


async def new_process(gql: Any, token: str, code: str, kind: str = "INSTRUCTIONAL") -> str:
    result = await gql(
        CREATE_PROCESS,
        {"input": {"code": code, "name": f"Process {code}", "kind": kind}},
        token=token,
    )
    assert "errors" not in result, result
    return result["data"]["createProcess"]["process"]["id"]  # type: ignore[no-any-return]


async def new_adoption(
    sessionmaker: Any,
    district_id: uuid.UUID,
    school_id: str,
    project_id: str | None,
    title: str = "Staggered bells",
) -> tuple[str, str]:
    """A practice (of ``project_id``) adopted at ``school_id``: (practice id, adoption id)."""
    async with tenant_transaction(sessionmaker, district_id) as session:
        practice = Practice(
            id=uuid.uuid4(),
            district_id=district_id,
            title=title,
            description="What worked.",
            project_id=uuid.UUID(project_id) if project_id else None,
            created_by="test",
        )
        session.add(practice)
        await session.flush()
        adoption = Adoption(
            id=uuid.uuid4(),
            district_id=district_id,
            practice_id=practice.id,
            school_id=uuid.UUID(school_id),
            adopted_on=date(2025, 8, 1),
            created_by="test",
        )
        session.add(adoption)
        await session.commit()
        return str(practice.id), str(adoption.id)


def entry_input(project_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "projectId": project_id,
        "category": "HARD",
        "amount": "1000.00",
        "unit": "USD",
        "fiscalYear": 2026,
        "status": "REALIZED",
        **overrides,
    }


async def record(gql: Any, token: str, project_id: str, **overrides: Any) -> dict[str, Any]:
    result = await op(gql, "RecordSavings", {"input": entry_input(project_id, **overrides)}, token)
    assert "errors" not in result, result
    return result["data"]["recordSavings"]["entry"]  # type: ignore[no-any-return]


async def validate(gql: Any, finance_token: str, entry_id: str) -> dict[str, Any]:
    result = await op(gql, "ValidateSavings", {"id": entry_id}, finance_token)
    assert "errors" not in result, result
    return result["data"]["validateSavings"]["entry"]  # type: ignore[no-any-return]


async def reverse(gql: Any, token: str, entry_id: str, reason: str = "wrong") -> dict[str, Any]:
    result = await op(gql, "ReverseSavings", {"id": entry_id, "reason": reason}, token)
    assert "errors" not in result, result
    return result["data"]["reverseSavings"]["entry"]  # type: ignore[no-any-return]


async def rollup(sessionmaker: Any, district_id: uuid.UUID) -> None:
    """What the worker does after a write, awaited directly: lock, recompute, commit."""
    async with tenant_transaction(sessionmaker, district_id) as session:
        await lock_district(session, district_id, rollup_savings_job.name)
        await rollup_savings_job.run(session, district_id)
        await session.commit()


async def summary(gql: Any, token: str, fiscal_year: int) -> dict[str, Any]:
    result = await op(gql, "SavingsSummary", {"fiscalYear": fiscal_year}, token)
    assert "errors" not in result, result
    return result["data"]["savingsSummary"]  # type: ignore[no-any-return]


async def stored(sessionmaker: Any, district_id: uuid.UUID) -> dict[str, Any]:
    """Everything the ledger area holds for the district, to compare before and after."""
    async with tenant_transaction(sessionmaker, district_id) as session:
        entries = [
            (e.id, e.amount, e.status.value, e.reverses_id, e.validated_by, e.updated_at)
            for e in await session.scalars(select(SavingsEntry).order_by(SavingsEntry.id))
        ]
        allocations = [
            (a.id, a.amount)
            for a in await session.scalars(select(SavingsAllocation).order_by(SavingsAllocation.id))
        ]
        audit = await session.scalar(select(func.count()).select_from(AuditEvent))
        outbox = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.actor_name == rollup_savings_job.name)
        )
    return {"entries": entries, "allocations": allocations, "audit": audit, "outbox": outbox}


async def stored_rollups(sessionmaker: Any, district_id: uuid.UUID) -> dict[str, Any]:
    """The district's roll-up rows and computed_at, as the worker left them."""
    async with tenant_transaction(sessionmaker, district_id) as session:
        categories = [
            (r.fiscal_year, r.category, r.status, r.unit, r.amount, r.entries)
            for r in await session.scalars(
                select(SavingsCategoryRollup).order_by(
                    SavingsCategoryRollup.fiscal_year,
                    SavingsCategoryRollup.category,
                    SavingsCategoryRollup.status,
                    SavingsCategoryRollup.unit,
                )
            )
        ]
        groups = [
            (
                r.fiscal_year,
                r.grouping,
                r.group_key,
                r.hard_validated,
                r.total_usd,
                r.validated_usd,
                r.total_hours,
                r.validated_hours,
                r.entries,
            )
            for r in await session.scalars(
                select(SavingsRollup).order_by(
                    SavingsRollup.fiscal_year, SavingsRollup.grouping, SavingsRollup.group_key
                )
            )
        ]
        state = await session.get(SavingsRollupState, district_id)
    return {
        "categories": categories,
        "groups": groups,
        "computed_at": state.computed_at if state else None,
    }


async def audit_events(sessionmaker: Any, district_id: uuid.UUID, action: str) -> list[Any]:
    async with tenant_transaction(sessionmaker, district_id) as session:
        return list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.created_at, AuditEvent.id)
            )
        )
