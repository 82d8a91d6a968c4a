"""Assessment of the management system: ratings 1-5 with the action chosen, the latest per
element, and the history kept."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.tenancy.models import Role
from tests.support.graphql import error_codes
from tests.support.improvement import count_rows
from tests.support.management import ASSESSMENT, HISTORY, RATE
from tests.support.measures import count_statements, queries


def rating(element="COLLECTIVE_FORUMS", value=3, action="IMPROVE", **more):
    return {"input": {"element": element, "rating": value, "action": action, **more}}


async def rate(gql, token, **fields):
    result = await gql(RATE, rating(**fields), token=token)
    assert "errors" not in result, result
    return result["data"]["rateManagementElement"]["rating"]


def today_in(timezone="America/Chicago"):
    return datetime.now(zoneinfo.ZoneInfo(timezone)).date()


async def test_the_latest_rating_of_each_element_is_the_assessment(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()

    first = await rate(gql, token, value=2, action="CREATE", notes="  No forum calendar yet. ")
    await rate(gql, token, element="PROCESS_METRICS", value=4, action="NONE")
    latest = await rate(gql, token, value=3, action="IMPROVE")
    # A past assessment recorded later does not replace the current one.
    await rate(gql, token, element="PROCESS_METRICS", value=1, action="ADD", ratedOn="2024-01-15")
    current = await gql(ASSESSMENT, token=token)

    today = today_in().isoformat()
    assert first == {
        "element": "COLLECTIVE_FORUMS",
        "rating": 2,
        "action": "CREATE",
        "ratedOn": today,
        "notes": "No forum calendar yet.",
        "ratedBy": "test admin",
        "recordedAt": first["recordedAt"],
    }
    # In the contract's element order: PROCESS_METRICS before COLLECTIVE_FORUMS.
    assert [
        (r["element"], r["rating"], r["action"], r["ratedOn"])
        for r in current["data"]["managementAssessment"]
    ] == [
        ("PROCESS_METRICS", 4, "NONE", today),
        ("COLLECTIVE_FORUMS", 3, "IMPROVE", today),
    ]
    assert latest["recordedAt"] > first["recordedAt"]
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        audits = (
            await session.execute(
                text(
                    "SELECT entity_type, details FROM audit_events WHERE district_id = :d "
                    "AND action = 'rateManagementElement' ORDER BY created_at"
                ),
                {"d": district_id},
            )
        ).all()
    assert len(audits) == 4
    assert audits[0][0] == "management_rating"
    assert audits[0][1] == {
        "element": "COLLECTIVE_FORUMS",
        "rating": 2,
        "action": "CREATE",
        "ratedOn": today,
    }


async def test_the_history_keeps_every_rating_oldest_first_a_page_at_a_time(gql, factory):
    _, token = await factory.district()
    await rate(gql, token, value=1, action="CREATE", ratedOn="2023-06-30")
    await rate(gql, token, element="DIAGNOSTICS", value=2, action="ADD", ratedOn="2024-01-15")
    await rate(gql, token, value=2, action="ADD", ratedOn="2024-06-30")
    await rate(gql, token, value=4, action="NONE")

    forums = await gql(HISTORY, {"element": "COLLECTIVE_FORUMS", "first": 2}, token=token)
    page = forums["data"]["managementAssessmentHistory"]
    rest = await gql(
        HISTORY,
        {"element": "COLLECTIVE_FORUMS", "first": 2, "after": page["pageInfo"]["endCursor"]},
        token=token,
    )
    everything = await gql(HISTORY, {}, token=token)

    assert page["totalCount"] == 3
    assert [(e["node"]["ratedOn"], e["node"]["rating"]) for e in page["edges"]] == [
        ("2023-06-30", 1),
        ("2024-06-30", 2),
    ]
    assert [e["node"]["rating"] for e in rest["data"]["managementAssessmentHistory"]["edges"]] == [
        4
    ]
    assert [
        (e["node"]["element"], e["node"]["rating"])
        for e in everything["data"]["managementAssessmentHistory"]["edges"]
    ] == [
        ("COLLECTIVE_FORUMS", 1),
        ("DIAGNOSTICS", 2),
        ("COLLECTIVE_FORUMS", 2),
        ("COLLECTIVE_FORUMS", 4),
    ]
    bad_cursor = await gql(HISTORY, {"after": "not-a-cursor"}, token=token)
    assert bad_cursor["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "after"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"value": 0}, "input.rating"),
        ({"value": 6}, "input.rating"),
        ({"value": -3}, "input.rating"),
        ({"notes": "x" * 4001}, "input.notes"),
        ({"ratedOn": "1999-12-31"}, "input.ratedOn"),
        ({"element": "STRATEGY"}, "input.element"),
        ({"action": "MAYBE"}, "input.action"),
    ],
)
async def test_a_bad_rating_is_refused_and_nothing_is_written(
    gql, factory, app_sessionmaker, fields, field
):
    district_id, token = await factory.district()

    result = await gql(RATE, rating(**fields), token=token)

    assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": field}
    if field == "input.rating":
        assert "must be from 1 to 5" in result["errors"][0]["message"]
    assert await count_rows(app_sessionmaker, district_id, "management_ratings") == 0
    assert await count_rows(app_sessionmaker, district_id, "audit_events") == 0


async def test_a_rating_dated_after_today_is_refused(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    tomorrow = (today_in() + timedelta(days=1)).isoformat()

    result = await gql(RATE, rating(ratedOn=tomorrow), token=token)

    assert result["errors"][0]["extensions"] == {"code": "BAD_INPUT", "field": "input.ratedOn"}
    assert await count_rows(app_sessionmaker, district_id, "management_ratings") == 0


async def test_another_districts_ratings_are_not_seen(gql, factory):
    _, other = await factory.district()
    await rate(gql, other, value=5, action="NONE")
    _, token = await factory.district()

    current = await gql(ASSESSMENT, token=token)
    history = await gql(HISTORY, {}, token=token)

    assert current["data"]["managementAssessment"] == []
    assert history["data"]["managementAssessmentHistory"]["totalCount"] == 0


async def test_assessment_reads_run_a_fixed_number_of_statements(gql, factory, app):
    counts = []
    for size in (1, 6):
        _, token = await factory.district()
        elements = ["PROCESS_GOALS", "DIAGNOSTICS", "COLLECTIVE_FORUMS"][: min(size, 3)]
        for index in range(size):
            await rate(gql, token, element=elements[index % len(elements)], value=1 + index % 5)
        counted = []
        for document in (ASSESSMENT, HISTORY):
            with count_statements(app) as statements:
                result = await gql(document, {}, token=token)
            assert "errors" not in result, result
            counted.append(len(queries(statements)))
        counts.append(counted)

    # the latest per element: one; the history: its count and its page
    assert counts == [[1, 2], [1, 2]]


async def test_roles_only_a_district_admin_rates_and_everyone_reads(gql, factory, app_sessionmaker):
    district_id, _ = await factory.district()

    for role in Role:
        token = await factory.token(district_id, role)
        rated = await gql(RATE, rating(), token=token)
        assert error_codes(rated) == ([] if role is Role.DISTRICT_ADMIN else ["FORBIDDEN"]), role
        assert error_codes(await gql(ASSESSMENT, token=token)) == [], role
        assert error_codes(await gql(HISTORY, {}, token=token)) == [], role
    assert await count_rows(app_sessionmaker, district_id, "management_ratings") == 1
