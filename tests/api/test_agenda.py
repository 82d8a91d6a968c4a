"""agenda(forumId, asOf): every item for the right reason, in the right order, nothing else.

The district and both agendas are worked out by hand in tests/support/forums.py.
"""

from __future__ import annotations

from tests.support.forums import (
    AGENDA,
    AS_OF,
    CLOSE_DECISION,
    agenda,
    build_two_forum_district,
    expected_operations,
    expected_strategy,
    items,
    ok,
)
from tests.support.graphql import error_codes


async def test_each_forums_agenda_holds_exactly_its_items_in_order(gql, factory, app_sessionmaker):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)

    operations = await agenda(gql, built.token, built["ops"], AS_OF)
    strategy = await agenda(gql, built.token, built["strategy"], AS_OF)

    assert items(operations) == expected_operations(built)
    assert items(strategy) == expected_strategy(built)
    # Out of Operations' scope although RED: N-WASTE (5.1, not named) and F-WORK (6).
    assert built["N-WASTE"] not in {subject for _, subject in items(operations)}
    # Due on the date itself: not overdue yet.
    assert built["D-TODAY"] not in {subject for _, subject in items(operations)}
    assert {item["origin"] for item in operations} == {"GENERATED"}
    assert [item["title"] for item in operations[:5]] == [
        "N-MEAL N-MEAL measure: RED in school year 2025-26",
        "T-LATE T-LATE measure: RED in school year 2025-26",
        "T-STOP T-STOP measure: RED in school year 2025-26",
        "T-SIG T-SIG measure: unfavorable signal at 2025-09-01",
        "T-STOP T-STOP measure: unfavorable signal at 2025-09-01",
    ]
    assert [item["title"] for item in operations[5:]] == [
        "Bus routing redesign: waits at its DEFINE tollgate",
        "Cafeteria lines: waits at its DEFINE tollgate",
        "Sustainability plan of Add stops: AT_RISK (data_current:T-ON)",
        "Sustainability plan of Bus routing redesign: NON_COMPLIANT "
        "(data_current:T-ON, review_cadence)",
        "D-LATE (owner Ms. Rivera, due 2025-10-15)",
        "D-MEETING (owner Ms. Rivera, due 2025-10-20)",
    ]


async def test_the_day_after_the_due_date_the_decision_is_overdue(gql, factory, app_sessionmaker):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)

    later = await agenda(gql, built.token, built["ops"], "2025-11-04")

    assert items(later)[-3:] == [
        ("DECISION_OVERDUE", built["D-LATE"]),
        ("DECISION_OVERDUE", built["D-MEETING"]),
        ("DECISION_OVERDUE", built["D-TODAY"]),
    ]


async def test_closing_a_decision_takes_it_off_the_next_agenda(gql, factory, app_sessionmaker):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)
    before = await agenda(gql, built.token, built["ops"], AS_OF)
    assert ("DECISION_OVERDUE", built["D-LATE"]) in items(before)

    closed = await ok(
        gql,
        CLOSE_DECISION,
        {"input": {"decisionId": built["D-LATE"], "status": "DROPPED", "note": "re-timed"}},
        built.token,
    )

    assert closed["closeDecision"]["decision"]["status"] == "DROPPED"
    after = await agenda(gql, built.token, built["ops"], AS_OF)
    assert items(after) == [i for i in expected_operations(built) if i[1] != built["D-LATE"]]


async def test_an_excluded_latest_point_no_longer_signals(gql, factory, app_sessionmaker):
    """The chart is the one controlChart draws: an excluded point takes no part in the rules."""
    built = await build_two_forum_district(gql, factory, app_sessionmaker)
    exclude = (
        "mutation($input: ChartNoteInput!) { excludeChartPoint(input: $input) { __typename } }"
    )
    note = {"measureId": built["T-STOP"], "periodStart": "2025-09-01", "text": "sensor fault"}
    await ok(gql, exclude, {"input": note}, built.token)

    found = items(await agenda(gql, built.token, built["ops"], AS_OF))

    assert ("UNFAVORABLE_SIGNAL", built["T-STOP"]) not in found
    assert ("UNFAVORABLE_SIGNAL", built["T-SIG"]) in found
    assert ("RED_MEASURE", built["T-STOP"]) in found  # the scorecard still has its value


async def test_a_red_status_counts_only_in_the_school_year_of_the_date(
    gql, factory, app_sessionmaker
):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)

    # 2025-06-30 is in school year 2025, for which no measure has a target or (but T-STOP and
    # T-SIG) a value: nothing is RED then. Plans had not started, no decision was due.
    june = items(await agenda(gql, built.token, built["ops"], "2025-06-30"))

    assert june == [
        ("UNFAVORABLE_SIGNAL", built["T-SIG"]),
        ("UNFAVORABLE_SIGNAL", built["T-STOP"]),
        ("TOLLGATE_WAITING", built["routing"]),
        ("TOLLGATE_WAITING", built["lines"]),
    ]


async def test_refusals(gql, factory, app_sessionmaker):
    built = await build_two_forum_district(gql, factory, app_sessionmaker)
    _, other = await factory.district()

    foreign = await gql(AGENDA, {"forumId": built["ops"], "asOf": AS_OF}, token=other)
    bad_id = await gql(AGENDA, {"forumId": "nope", "asOf": AS_OF}, token=built.token)
    too_early = await gql(
        AGENDA, {"forumId": built["ops"], "asOf": "1999-12-31"}, token=built.token
    )
    too_late = await gql(AGENDA, {"forumId": built["ops"], "asOf": "2030-01-01"}, token=built.token)

    assert error_codes(foreign) == ["NOT_FOUND"]
    assert foreign["errors"][0]["extensions"]["field"] == "forumId"
    assert error_codes(bad_id) == ["BAD_INPUT"]
    for refused in (too_early, too_late):
        assert error_codes(refused) == ["BAD_INPUT"]
        assert refused["errors"][0]["extensions"]["field"] == "asOf"
