"""Savings reinvested in instruction: validated, unallocated savings allocated to INSTRUCTIONAL
processes, never more than what is left, whoever allocates at the same time."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.savings import (
    audit_events,
    new_process,
    new_project,
    op,
    record,
    reverse,
    stored,
    validate,
)


def allocation(process: str, amount: str, unit: str = "USD", **fields: Any) -> dict[str, Any]:
    return {
        "input": {
            "fiscalYear": 2026,
            "processId": process,
            "unit": unit,
            "amount": amount,
            **fields,
        }
    }


async def reinvested(gql: Any, token: str, fiscal_year: int = 2026) -> dict[str, Any]:
    result = await op(gql, "SavingsReinvested", {"fiscalYear": fiscal_year}, token)
    assert "errors" not in result, result
    return result["data"]["savingsReinvested"]  # type: ignore[no-any-return]


def balance(unit: str, validated: str, allocated: str, unallocated: str) -> dict[str, str]:
    return {
        "unit": unit,
        "validated": validated,
        "allocated": allocated,
        "unallocated": unallocated,
    }


async def test_validated_savings_are_reinvested_up_to_what_is_left(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district()
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    coaching = await new_process(gql, admin, "1.1")
    tutoring = await new_process(gql, admin, "1.2")

    async def validated(**fields: Any) -> dict[str, Any]:
        entry = await record(gql, admin, project, **fields)
        return await validate(gql, finance, entry["id"])

    await validated(amount="1000")
    await validated(category="COST_AVOIDANCE", amount="250")
    wrong = await validated(amount="100")
    await reverse(gql, finance, wrong["id"])
    await validated(category="SOFT", unit="HOURS", amount="40")
    await validated(amount="300", fiscalYear=2025)
    await record(gql, admin, project, amount="500")  # realized, not validated: not counted
    # Validated USD of FY2026: 1000 + 250 + 100 - 100 = 1250.00

    allocated = await op(
        gql, "AllocateSavings", allocation(coaching, "1000", note="reading coaches"), finance
    )
    await op(gql, "AllocateSavings", allocation(tutoring, "200.5"), admin)
    await op(gql, "AllocateSavings", allocation(coaching, "40", unit="HOURS"), finance)
    before = await stored(app_sessionmaker, district_id)
    too_much = await op(gql, "AllocateSavings", allocation(tutoring, "49.51"), finance)
    after_refusal = await stored(app_sessionmaker, district_id)
    the_rest = await op(gql, "AllocateSavings", allocation(tutoring, "49.50"), finance)

    assert allocated["data"]["allocateSavings"]["allocation"]["amount"] == "1000.00"
    assert [e["extensions"] for e in too_much["errors"]] == [
        {"code": "CONFLICT", "field": "input.amount"}
    ]
    assert "49.50 USD" in too_much["errors"][0]["message"]
    assert after_refusal == before
    assert "errors" not in the_rest, the_rest
    found = await reinvested(gql, await factory.token(district_id, Role.VIEWER))
    assert found["balances"] == [
        balance("USD", "1250.00", "1250.00", "0.00"),
        balance("HOURS", "40.00", "40.00", "0.00"),
    ]
    assert [(p["processCode"], p["unit"], p["amount"]) for p in found["byProcess"]] == [
        ("1.1", "HOURS", "40.00"),
        ("1.1", "USD", "1000.00"),
        ("1.2", "USD", "250.00"),
    ]
    events = await audit_events(app_sessionmaker, district_id, "allocateSavings")
    assert [(e.details["amount"], e.details["note"]) for e in events] == [
        ("1000.00", "reading coaches"),
        ("200.50", None),
        ("40.00", None),
        ("49.50", None),
    ]
    assert (await reinvested(gql, admin, 2025))["balances"][0] == balance(
        "USD", "300.00", "0.00", "300.00"
    )


async def test_racing_allocations_never_exceed_the_validated_savings(
    gql, factory, app_sessionmaker
):
    district_id, admin = await factory.district()
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    process = await new_process(gql, admin, "1.1")
    entry = await record(gql, admin, project, amount="100")
    await validate(gql, finance, entry["id"])

    results = await asyncio.gather(
        *(
            op(gql, "AllocateSavings", allocation(process, "30"), token)
            for token in [finance, admin] * 3
        )
    )

    codes = sorted(error_codes(r)[0] if "errors" in r else "OK" for r in results)
    assert codes == ["CONFLICT"] * 3 + ["OK"] * 3
    allocations = (await stored(app_sessionmaker, district_id))["allocations"]
    assert sum(amount for _, amount in allocations) == Decimal("90.00")


async def test_a_validated_entry_reversed_after_reinvestment_shows_the_shortfall(gql, factory):
    district_id, admin = await factory.district()
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    process = await new_process(gql, admin, "1.1")
    entry = await record(gql, admin, project, amount="100")
    await validate(gql, finance, entry["id"])
    await op(gql, "AllocateSavings", allocation(process, "80"), finance)

    await reverse(gql, finance, entry["id"], reason="the contract was not cancelled")
    refused = await op(gql, "AllocateSavings", allocation(process, "0.01"), finance)

    assert (await reinvested(gql, admin))["balances"][0] == balance(
        "USD", "0.00", "80.00", "-80.00"
    )
    assert error_codes(refused) == ["CONFLICT"]


async def test_bad_allocations_name_the_field(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district()
    process = await new_process(gql, admin, "1.1")
    before = await stored(app_sessionmaker, district_id)

    cases = {
        "input.amount": allocation(process, "0"),
        "input.fiscalYear": allocation(process, "1", fiscalYear=1800),
        "input.processId": allocation("nope", "1"),
    }
    for field, variables in cases.items():
        result = await op(gql, "AllocateSavings", variables, admin)
        assert [e["extensions"] for e in result["errors"]] == [
            {"code": "BAD_INPUT", "field": field}
        ], result

    assert await stored(app_sessionmaker, district_id) == before
