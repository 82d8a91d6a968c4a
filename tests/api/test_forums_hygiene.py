"""forumHygiene: overlapping scopes, empty scopes, unreviewed key processes, forums that stopped
meeting; worked out by hand as of Saturday 2025-11-15."""

from __future__ import annotations

from district_ppm.governance.hygiene import overlaps
from tests.support.forums import SCHEDULE, create_forum, create_process, ok
from tests.support.measures import create_measure

HYGIENE = """
query($asOf: Date) {
  forumHygiene(asOf: $asOf) {
    reason detail forumId forumName otherForumId otherForumName processId
  }
}
"""


async def test_every_issue_with_its_reason(gql, factory):
    _, token = await factory.district()
    transport = await create_process(gql, token, "4", "Transportation", isKey=True)
    routing = await create_process(gql, token, "4.1", "Routing", parentId=transport)
    nutrition = await create_process(gql, token, "5", "Nutrition", isKey=True)
    facilities = await create_process(gql, token, "6", "Facilities", isKey=True)
    await create_process(gql, token, "7", "Human resources")  # not key: never reported
    late = await create_measure(gql, token, code="LATE", processId=routing)
    rides = await create_measure(gql, token, code="RIDES", processId=routing)
    meals = await create_measure(gql, token, code="MEALS", processId=nutrition)
    await create_measure(gql, token, code="WASTE", processId=nutrition)
    # Operations: 4, 4.1, LATE, RIDES (4). Routing huddle: LATE, RIDES (2), all inside
    # Operations' scope. Strategic: 5, MEALS, WASTE, LATE (4): shares only LATE with each,
    # which is exactly half of the huddle's scope, not more.
    ops = await create_forum(gql, token, name="Operations review", processIds=[transport])
    huddle = await create_forum(
        gql, token, name="Routing huddle", cadence="WEEKLY", measureIds=[late, rides]
    )
    strategy = await create_forum(
        gql,
        token,
        name="Strategic review",
        cadence="QUARTERLY",
        processIds=[nutrition],
        measureIds=[late],
    )
    empty = await create_forum(gql, token, name="Empty forum")
    assert meals  # in Strategic's scope through process 5

    async def meet(forum, day):
        await ok(gql, SCHEDULE, {"input": {"forumId": forum["id"], "heldOn": day}}, token)

    await meet(ops, "2025-09-10")  # in September, one of its last two months: fine
    await meet(huddle, "2025-10-20")  # its last two weeks start Oct 27 and Nov 3: too old
    await meet(strategy, "2025-11-14")  # in the current quarter, after the two: fine
    await meet(empty, "2025-11-20")  # after the date: does not count

    found = (await ok(gql, HYGIENE, {"asOf": "2025-11-15"}, token))["forumHygiene"]

    assert [(i["reason"], i["forumName"], i["otherForumName"], i["processId"]) for i in found] == [
        ("OVERLAPPING_SCOPE", "Operations review", "Routing huddle", None),
        ("EMPTY_SCOPE", "Empty forum", None, None),
        ("UNREVIEWED_KEY_PROCESS", None, None, facilities),
        ("NO_RECENT_MEETING", "Empty forum", None, None),
        ("NO_RECENT_MEETING", "Routing huddle", None, None),
    ]
    assert (found[0]["forumId"], found[0]["otherForumId"]) == (ops["id"], huddle["id"])
    assert [i["detail"] for i in found] == [
        "Operations review (4 processes and measures in scope) and Routing huddle (2) share "
        "2: more than half of the smaller scope",
        "Empty forum names no process and no measure: nothing is in its scope",
        "key process 6 Facilities is in no forum's scope",
        "Empty forum held no meeting from 2025-09-01 to 2025-11-15, its last two MONTHLY "
        "periods and since (it never met)",
        "Routing huddle held no meeting from 2025-10-27 to 2025-11-15, its last two WEEKLY "
        "periods and since (its last meeting was on 2025-10-20)",
    ]


async def test_a_clean_district_has_no_issue(gql, factory):
    _, token = await factory.district()
    transport = await create_process(gql, token, "4", "Transportation", isKey=True)
    await create_process(gql, token, "4.1", "Routing", parentId=transport, isKey=True)
    ops = await create_forum(gql, token, name="Operations review", processIds=[transport])
    await ok(gql, SCHEDULE, {"input": {"forumId": ops["id"], "heldOn": "2025-10-06"}}, token)

    found = await ok(gql, HYGIENE, {"asOf": "2025-11-15"}, token)

    # 4.1 is key too, and reviewed as a descendant of 4.
    assert found["forumHygiene"] == []


def test_more_than_half_of_the_smaller_scope():
    assert overlaps({1, 2}, {2, 3, 4, 5}) is False  # one of two: exactly half
    assert overlaps({1, 2, 3}, {2, 3, 4, 5}) is True  # two of three
    assert overlaps(set(), {1}) is False
