"""The savings ledger over HTTP: recording, correcting, validating, reversing; who may do what;
another district's ids; every illegal move refused with nothing written."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.measures import count_statements, create_school, queries
from tests.support.savings import (
    audit_events,
    entry_input,
    new_adoption,
    new_process,
    new_project,
    op,
    record,
    reverse,
    stored,
    validate,
)


def only_error(result: dict[str, Any]) -> dict[str, Any]:
    assert result.get("data") is None, result
    assert len(result["errors"]) == 1, result
    return result["errors"][0]["extensions"]  # type: ignore[no-any-return]


async def test_a_recorded_entry_is_answered_audited_and_queues_the_roll_up(
    gql, factory, app_sessionmaker
):
    district_id, admin = await factory.district()
    lead = await factory.token(district_id, Role.IMPROVEMENT_LEAD)
    school = await create_school(gql, admin, "Lincoln")
    project = await new_project(gql, admin)

    entry = await record(
        gql,
        lead,
        project,
        category="COST_AVOIDANCE",
        amount="1250.5",
        fiscalYear=2026,
        month=9,
        status="PROJECTED",
        schoolId=school,
        note="fewer charter buses",
    )

    assert {k: entry[k] for k in entry if k not in ("id", "recordedBy", "recordedAt")} == {
        "projectId": project,
        "category": "COST_AVOIDANCE",
        "amount": "1250.50",
        "unit": "USD",
        "fiscalYear": 2026,
        "month": 9,
        "status": "PROJECTED",
        "schoolId": school,
        "adoptionId": None,
        "reversesId": None,
        "reversedById": None,
        "note": "fewer charter buses",
        "reason": None,
        "validatedBy": None,
    }
    [event] = await audit_events(app_sessionmaker, district_id, "recordSavings")
    assert event.entity_id == entry["id"]
    assert event.actor == entry["recordedBy"]
    assert event.details["amount"] == "1250.50"
    assert event.details["note"] == "fewer charter buses"
    assert (await stored(app_sessionmaker, district_id))["outbox"] == 1


async def test_projected_becomes_realized_then_validated_with_who_and_why(
    gql, factory, app_sessionmaker
):
    district_id, admin = await factory.district()
    lead = await factory.token(district_id, Role.IMPROVEMENT_LEAD)
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    entry = await record(gql, lead, project, status="PROJECTED", amount="900")

    updated = await op(
        gql,
        "UpdateSavings",
        {
            "input": {
                "id": entry["id"],
                "status": "REALIZED",
                "amount": "875.25",
                "note": "invoice 4471",
            }
        },
        lead,
    )
    validated = await op(
        gql, "ValidateSavings", {"id": entry["id"], "note": "ledger GL-7"}, finance
    )

    assert updated["data"]["updateSavings"]["entry"]["status"] == "REALIZED"
    assert updated["data"]["updateSavings"]["entry"]["amount"] == "875.25"
    final = validated["data"]["validateSavings"]["entry"]
    assert (final["status"], final["amount"]) == ("VALIDATED", "875.25")
    assert final["validatedBy"] is not None
    [update_event] = await audit_events(app_sessionmaker, district_id, "updateSavings")
    assert update_event.details["changes"] == {
        "status": ["PROJECTED", "REALIZED"],
        "amount": ["900.00", "875.25"],
        "note": "invoice 4471",
    }
    [validate_event] = await audit_events(app_sessionmaker, district_id, "validateSavings")
    assert validate_event.details["note"] == "ledger GL-7"
    assert validate_event.actor == final["validatedBy"]


async def test_a_reversal_copies_the_entry_with_the_negated_amount(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district()
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    school = await create_school(gql, admin, "Lincoln")
    project = await new_project(gql, admin)
    _, adoption = await new_adoption(app_sessionmaker, district_id, school, project)
    entry = await record(
        gql,
        admin,
        project,
        category="SOFT",
        unit="HOURS",
        amount="40.5",
        month=3,
        adoptionId=adoption,
    )
    await validate(gql, finance, entry["id"])

    reversal = await reverse(gql, finance, entry["id"], reason="counted twice")

    assert entry["schoolId"] == school  # the adoption's school
    expected = {
        **entry,
        "id": reversal["id"],
        "amount": "-40.50",
        "status": "VALIDATED",
        "reversesId": entry["id"],
        "reason": "counted twice",
        "note": None,
        "recordedBy": "test FINANCE_VALIDATOR",
        "recordedAt": reversal["recordedAt"],
        "validatedBy": "test FINANCE_VALIDATOR",
    }
    assert reversal == expected
    found = await op(gql, "SavingsEntry", {"id": entry["id"]}, admin)
    assert found["data"]["savingsEntry"]["reversedById"] == reversal["id"]
    [event] = await audit_events(app_sessionmaker, district_id, "reverseSavings")
    assert (event.entity_id, event.details["reason"]) == (reversal["id"], "counted twice")
    assert event.details["reversesId"] == entry["id"]


# Who may do what ---------------------------------------------------------------------------

RECORDERS = {Role.DISTRICT_ADMIN, Role.IMPROVEMENT_LEAD}
ALLOWED = {
    "RecordSavings": RECORDERS,
    "UpdateSavings": RECORDERS,
    "ValidateSavings": {Role.FINANCE_VALIDATOR},
    "ReverseSavings": {Role.DISTRICT_ADMIN, Role.FINANCE_VALIDATOR, Role.IMPROVEMENT_LEAD},
    "AllocateSavings": {Role.DISTRICT_ADMIN, Role.FINANCE_VALIDATOR},
    "SavingsSummary": set(Role),
    "SavingsEntries": set(Role),
    "SavingsClaimChecks": set(Role),
    "SavingsReinvested": set(Role),
}


async def _variables(
    operation: str, gql: Any, factory: Any, district_id: uuid.UUID, admin: str
) -> dict[str, Any]:
    """Variables that the operation accepts from a role allowed to run it."""
    project = await new_project(gql, admin)
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    realized = await record(gql, admin, project, amount="100")
    if operation == "RecordSavings":
        return {"input": entry_input(project)}
    if operation == "UpdateSavings":
        return {"input": {"id": realized["id"], "amount": "120"}}
    if operation in ("ValidateSavings", "ReverseSavings"):
        return {"id": realized["id"], "reason": "wrong figure"}
    if operation == "AllocateSavings":
        await validate(gql, finance, realized["id"])
        process = await new_process(gql, admin, "1.1")
        return {"input": {"fiscalYear": 2026, "processId": process, "unit": "USD", "amount": "50"}}
    if operation == "SavingsEntries":
        return {"fiscalYear": 2026}
    return {"fiscalYear": 2026}


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
@pytest.mark.parametrize("operation", list(ALLOWED))
async def test_each_operation_is_open_to_its_roles_only(
    gql, factory, app_sessionmaker, operation, role
):
    district_id, admin = await factory.district()
    variables = await _variables(operation, gql, factory, district_id, admin)
    if operation == "ReverseSavings":
        variables = {"id": variables["id"], "reason": variables["reason"]}
    elif operation == "ValidateSavings":
        variables = {"id": variables["id"]}
    token = await factory.token(district_id, role)
    before = await stored(app_sessionmaker, district_id)

    result = await op(gql, operation, variables, token)

    if role in ALLOWED[operation]:
        assert "errors" not in result, result
    else:
        assert only_error(result)["code"] == "FORBIDDEN"
        assert await stored(app_sessionmaker, district_id) == before


async def test_a_lead_reverses_unvalidated_entries_only(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district()
    lead = await factory.token(district_id, Role.IMPROVEMENT_LEAD)
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    projected = await record(gql, lead, project, status="PROJECTED")
    validated = await record(gql, lead, project)
    await validate(gql, finance, validated["id"])
    before = await stored(app_sessionmaker, district_id)

    refused = await op(gql, "ReverseSavings", {"id": validated["id"], "reason": "x"}, lead)

    assert only_error(refused)["code"] == "FORBIDDEN"
    assert await stored(app_sessionmaker, district_id) == before
    allowed = await reverse(gql, lead, projected["id"])
    assert (allowed["status"], allowed["amount"]) == ("PROJECTED", "-1000.00")
    by_admin = await reverse(gql, admin, validated["id"])
    assert by_admin["status"] == "VALIDATED"


# Another district's ids --------------------------------------------------------------------


async def test_another_districts_ids_are_not_found_and_nothing_is_written(
    gql, factory, app_sessionmaker
):
    mine, admin = await factory.district()
    finance = await factory.token(mine, Role.FINANCE_VALIDATOR)
    theirs, their_admin = await factory.district()
    their_finance = await factory.token(theirs, Role.FINANCE_VALIDATOR)
    my_project = await new_project(gql, admin)
    their_project = await new_project(gql, their_admin)
    their_school = await create_school(gql, their_admin, "Theirs")
    _, their_adoption = await new_adoption(app_sessionmaker, theirs, their_school, their_project)
    their_entry = await record(gql, their_admin, their_project, amount="500")
    their_realized = await record(gql, their_admin, their_project, amount="70")
    await validate(gql, their_finance, their_entry["id"])
    their_process = await new_process(gql, their_admin, "1.1")
    before = (await stored(app_sessionmaker, mine), await stored(app_sessionmaker, theirs))

    attempts = [
        (admin, "RecordSavings", {"input": entry_input(their_project)}, "input.projectId"),
        (
            admin,
            "RecordSavings",
            {"input": entry_input(my_project, schoolId=their_school)},
            "input.schoolId",
        ),
        (
            admin,
            "RecordSavings",
            {"input": entry_input(my_project, adoptionId=their_adoption)},
            "input.adoptionId",
        ),
        (
            admin,
            "UpdateSavings",
            {"input": {"id": their_realized["id"], "amount": "1"}},
            "input.id",
        ),
        (finance, "ValidateSavings", {"id": their_realized["id"]}, "id"),
        (admin, "ReverseSavings", {"id": their_entry["id"], "reason": "mine now"}, "id"),
        (
            finance,
            "AllocateSavings",
            {
                "input": {
                    "fiscalYear": 2026,
                    "processId": their_process,
                    "unit": "USD",
                    "amount": "1",
                }
            },
            "input.processId",
        ),
    ]
    for token, operation, variables, field in attempts:
        result = await op(gql, operation, variables, token)
        assert only_error(result) == {"code": "NOT_FOUND", "field": field}, (operation, result)

    assert (await stored(app_sessionmaker, mine), await stored(app_sessionmaker, theirs)) == before
    found = await op(gql, "SavingsEntry", {"id": their_entry["id"]}, admin)
    assert found == {"data": {"savingsEntry": None}}


# Illegal moves -----------------------------------------------------------------------------


async def _ledger_with_every_kind_of_entry(
    gql: Any, factory: Any, district_id: uuid.UUID, admin: str
) -> dict[str, Any]:
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    projected = await record(gql, admin, project, status="PROJECTED")
    realized = await record(gql, admin, project, amount="300")
    validated = await record(gql, admin, project, amount="200")
    await validate(gql, finance, validated["id"])
    reversed_ = await record(gql, admin, project, amount="10")
    reversal = await reverse(gql, admin, reversed_["id"])
    process = await new_process(gql, admin, "1.1")
    operational = await new_process(gql, admin, "4.1", kind="OPERATIONAL")
    return {
        "finance": finance,
        "project": project,
        "projected": projected["id"],
        "realized": realized["id"],
        "validated": validated["id"],
        "reversed": reversed_["id"],
        "reversal": reversal["id"],
        "process": process,
        "operational": operational,
    }


def _allocation(process: str, amount: str) -> dict[str, Any]:
    return {"input": {"fiscalYear": 2026, "processId": process, "unit": "USD", "amount": amount}}


ILLEGAL_MOVES: dict[str, tuple[str, str, Any, str, str | None]] = {
    # name: (who, operation, variables from the ledger, code, field)
    "validating a PROJECTED entry": (
        "finance",
        "ValidateSavings",
        lambda ids: {"id": ids["projected"]},
        "CONFLICT",
        "id",
    ),
    "validating twice": (
        "finance",
        "ValidateSavings",
        lambda ids: {"id": ids["validated"]},
        "CONFLICT",
        "id",
    ),
    "validating a reversal": (
        "finance",
        "ValidateSavings",
        lambda ids: {"id": ids["reversal"]},
        "CONFLICT",
        "id",
    ),
    "validating a reversed entry": (
        "finance",
        "ValidateSavings",
        lambda ids: {"id": ids["reversed"]},
        "CONFLICT",
        "id",
    ),
    "editing a validated entry": (
        "admin",
        "UpdateSavings",
        lambda ids: {"input": {"id": ids["validated"], "amount": "1"}},
        "CONFLICT",
        "input.id",
    ),
    "editing a reversal": (
        "admin",
        "UpdateSavings",
        lambda ids: {"input": {"id": ids["reversal"], "status": "REALIZED"}},
        "CONFLICT",
        "input.id",
    ),
    "editing a reversed entry": (
        "admin",
        "UpdateSavings",
        lambda ids: {"input": {"id": ids["reversed"], "amount": "11"}},
        "CONFLICT",
        "input.id",
    ),
    "moving REALIZED back to PROJECTED": (
        "admin",
        "UpdateSavings",
        lambda ids: {"input": {"id": ids["realized"], "status": "PROJECTED"}},
        "CONFLICT",
        "input.status",
    ),
    "updating to VALIDATED": (
        "admin",
        "UpdateSavings",
        lambda ids: {"input": {"id": ids["realized"], "status": "VALIDATED"}},
        "BAD_INPUT",
        "input.status",
    ),
    "recording as VALIDATED": (
        "admin",
        "RecordSavings",
        lambda ids: {"input": entry_input(ids["project"], status="VALIDATED")},
        "BAD_INPUT",
        "input.status",
    ),
    "reversing twice": (
        "admin",
        "ReverseSavings",
        lambda ids: {"id": ids["reversed"], "reason": "x"},
        "CONFLICT",
        "id",
    ),
    "reversing a reversal": (
        "finance",
        "ReverseSavings",
        lambda ids: {"id": ids["reversal"], "reason": "x"},
        "CONFLICT",
        "id",
    ),
    "reversing without a reason": (
        "admin",
        "ReverseSavings",
        lambda ids: {"id": ids["realized"], "reason": "  "},
        "BAD_INPUT",
        "reason",
    ),
    "over-allocating reinvestment": (
        "finance",
        "AllocateSavings",
        lambda ids: _allocation(ids["process"], "200.01"),
        "CONFLICT",
        "input.amount",
    ),
    "reinvesting in a process that is not instructional": (
        "finance",
        "AllocateSavings",
        lambda ids: _allocation(ids["operational"], "1"),
        "BAD_INPUT",
        "input.processId",
    ),
}


@pytest.mark.parametrize("move", list(ILLEGAL_MOVES))
async def test_every_illegal_move_is_refused_and_writes_nothing(
    gql, factory, app_sessionmaker, move
):
    district_id, admin = await factory.district()
    ledger = await _ledger_with_every_kind_of_entry(gql, factory, district_id, admin)
    who, operation, variables, code, field = ILLEGAL_MOVES[move]
    token = ledger["finance"] if who == "finance" else admin
    before = await stored(app_sessionmaker, district_id)

    result = await op(gql, operation, variables(ledger), token)

    error = only_error(result)
    assert (error["code"], error.get("field")) == (code, field), result
    assert await stored(app_sessionmaker, district_id) == before


BAD_ENTRIES: dict[str, tuple[dict[str, Any], str]] = {
    "zero amount": ({"amount": "0"}, "input.amount"),
    "negative amount": ({"amount": "-5"}, "input.amount"),
    "three decimals": ({"amount": "10.005"}, "input.amount"),
    "beyond the maximum": ({"amount": "1000000000"}, "input.amount"),
    "not a number": ({"amount": "NaN"}, "input.amount"),
    "infinite": ({"amount": "Infinity"}, "input.amount"),
    "not a decimal": ({"amount": "twelve"}, "input.amount"),
    "hard savings in hours": ({"category": "HARD", "unit": "HOURS"}, "input.unit"),
    "instructional time in dollars": ({"category": "INSTRUCTIONAL_TIME"}, "input.unit"),
    "fiscal year too early": ({"fiscalYear": 1999}, "input.fiscalYear"),
    "fiscal year too late": ({"fiscalYear": 2101}, "input.fiscalYear"),
    "realized before its fiscal year": ({"fiscalYear": 2099}, "input.status"),
    "month 13": ({"month": 13}, "input.month"),
    "month 0": ({"month": 0}, "input.month"),
    "overlong note": ({"note": "x" * 2001}, "input.note"),
    "unknown category": ({"category": "MAGIC"}, "input.category"),
    "malformed project id": ({"projectId": "not-a-uuid"}, "input.projectId"),
}


@pytest.mark.parametrize("case", list(BAD_ENTRIES))
async def test_bad_entries_are_refused_naming_the_field(gql, factory, app_sessionmaker, case):
    district_id, admin = await factory.district()
    project = await new_project(gql, admin)
    overrides, field = BAD_ENTRIES[case]
    before = await stored(app_sessionmaker, district_id)

    result = await op(gql, "RecordSavings", {"input": entry_input(project, **overrides)}, admin)

    error = only_error(result)
    assert (error["code"], error.get("field")) == ("BAD_INPUT", field), result
    assert await stored(app_sessionmaker, district_id) == before


async def test_a_projected_saving_may_name_a_future_fiscal_year(gql, factory):
    _, admin = await factory.district()
    project = await new_project(gql, admin)

    entry = await record(gql, admin, project, status="PROJECTED", fiscalYear=2099)

    assert (entry["fiscalYear"], entry["status"]) == (2099, "PROJECTED")


async def test_an_adoption_names_its_own_school_and_its_practices_project(
    gql, factory, app_sessionmaker
):
    district_id, admin = await factory.district()
    lincoln = await create_school(gql, admin, "Lincoln")
    grant = await create_school(gql, admin, "Grant")
    project = await new_project(gql, admin)
    other_project = await new_project(gql, admin, title="Meals")
    _, adoption = await new_adoption(app_sessionmaker, district_id, lincoln, project)
    before = await stored(app_sessionmaker, district_id)

    wrong_school = await op(
        gql,
        "RecordSavings",
        {"input": entry_input(project, adoptionId=adoption, schoolId=grant)},
        admin,
    )
    wrong_project = await op(
        gql, "RecordSavings", {"input": entry_input(other_project, adoptionId=adoption)}, admin
    )

    assert only_error(wrong_school) == {"code": "BAD_INPUT", "field": "input.schoolId"}
    assert only_error(wrong_project) == {"code": "BAD_INPUT", "field": "input.adoptionId"}
    assert await stored(app_sessionmaker, district_id) == before


# Races -------------------------------------------------------------------------------------


async def test_two_racing_reversals_of_one_entry_make_one_reversal(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district()
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    entry = await record(gql, admin, project)

    results = await asyncio.gather(
        *(
            op(gql, "ReverseSavings", {"id": entry["id"], "reason": f"race {n}"}, token)
            for n, token in enumerate([admin, finance, admin, finance])
        )
    )

    codes = sorted(error_codes(r)[0] if "errors" in r else "OK" for r in results)
    assert codes == ["CONFLICT", "CONFLICT", "CONFLICT", "OK"]
    entries = (await stored(app_sessionmaker, district_id))["entries"]
    assert [e[3] for e in entries].count(uuid.UUID(entry["id"])) == 1


async def test_two_racing_validations_validate_once(gql, factory, app_sessionmaker):
    district_id, admin = await factory.district()
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    other_finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    entry = await record(gql, admin, project)

    results = await asyncio.gather(
        op(gql, "ValidateSavings", {"id": entry["id"]}, finance),
        op(gql, "ValidateSavings", {"id": entry["id"]}, other_finance),
    )

    codes = sorted(error_codes(r)[0] if "errors" in r else "OK" for r in results)
    assert codes == ["CONFLICT", "OK"]
    assert len(await audit_events(app_sessionmaker, district_id, "validateSavings")) == 1


async def test_a_validation_racing_a_lead_reversal_leaves_a_consistent_pair(
    gql, factory, app_sessionmaker
):
    district_id, admin = await factory.district()
    lead = await factory.token(district_id, Role.IMPROVEMENT_LEAD)
    finance = await factory.token(district_id, Role.FINANCE_VALIDATOR)
    project = await new_project(gql, admin)
    entry = await record(gql, lead, project)

    validated, reversed_ = await asyncio.gather(
        op(gql, "ValidateSavings", {"id": entry["id"]}, finance),
        op(gql, "ReverseSavings", {"id": entry["id"], "reason": "race"}, lead),
    )

    # Whichever came first, the other is refused: a validated entry is not the lead's to
    # reverse, and a reversed entry is not validated (the pair would no longer net out).
    outcomes = {
        "validate": error_codes(validated) or ["OK"],
        "reverse": error_codes(reversed_) or ["OK"],
    }
    assert outcomes in (
        {"validate": ["OK"], "reverse": ["FORBIDDEN"]},
        {"validate": ["CONFLICT"], "reverse": ["OK"]},
    )
    statuses = sorted(e[2] for e in (await stored(app_sessionmaker, district_id))["entries"])
    assert statuses in (["VALIDATED"], ["REALIZED", "REALIZED"])


# Reads -------------------------------------------------------------------------------------


async def test_entries_are_listed_by_page_and_filter_and_shown_on_their_project(gql, factory):
    _, admin = await factory.district()
    project = await new_project(gql, admin)
    other = await new_project(gql, admin, title="Meals")
    first = await record(gql, admin, project, fiscalYear=2025, amount="1")
    second = await record(gql, admin, project, fiscalYear=2026, amount="2", status="PROJECTED")
    await record(gql, admin, other, fiscalYear=2026, amount="3")

    page = await op(gql, "SavingsEntries", {"projectId": project, "first": 1}, admin)
    rest = await op(
        gql,
        "SavingsEntries",
        {
            "projectId": project,
            "first": 1,
            "after": page["data"]["savingsEntries"]["pageInfo"]["endCursor"],
        },
        admin,
    )
    projected = await op(gql, "SavingsEntries", {"status": "PROJECTED"}, admin)
    shown = await op(gql, "ProjectSavings", {"id": project}, admin)

    assert page["data"]["savingsEntries"]["totalCount"] == 2
    assert [e["node"]["id"] for e in page["data"]["savingsEntries"]["edges"]] == [first["id"]]
    assert [e["node"]["id"] for e in rest["data"]["savingsEntries"]["edges"]] == [second["id"]]
    assert rest["data"]["savingsEntries"]["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["id"] for e in projected["data"]["savingsEntries"]["edges"]] == [second["id"]]
    savings = shown["data"]["project"]["savings"]
    assert [(s["id"], s["amount"], s["check"]) for s in savings] == [
        (first["id"], "1.00", None),
        (second["id"], "2.00", None),
    ]


ENTRIES_WITH_CHECKS = """
query($fiscalYear: Int!) {
  savingsEntries(fiscalYear: $fiscalYear, first: 100) {
    totalCount edges { node { id reversedById check { computedHours } } }
  }
  savingsSummary(fiscalYear: $fiscalYear) {
    rows { amount } byProject { project { title } totalUsd } bySchool { schoolId }
  }
}
"""


async def test_listing_entries_and_the_summary_costs_the_same_statements_at_any_size(
    gql, factory, app
):
    _, admin = await factory.district()
    project = await new_project(gql, admin)
    other = await new_project(gql, admin, title="Meals")
    counts = []
    for _ in range(2):
        for each in (project, other):
            entry = await record(
                gql, admin, each, category="INSTRUCTIONAL_TIME", unit="HOURS", amount="2"
            )
            await reverse(gql, admin, entry["id"])
        with count_statements(app) as statements:
            result = await gql(ENTRIES_WITH_CHECKS, {"fiscalYear": 2026}, token=admin)
        assert "errors" not in result, result
        counts.append(len(queries(statements)))

    # entries: the page with its count; reversedById: 1; check: entries, projects, schools, routes
    # (no transportation project: stops there); summary: rows, groups, state (no roll-up has
    # run: no project row, so no projects to read)
    assert counts == [counts[0], counts[0]]
    assert counts[0] == 9
