"""Forums over HTTP: what is stored, refusals (nothing written), updates, tenancy."""

from __future__ import annotations

from tests.support.forums import (
    CREATE_FORUM,
    FORUM,
    FORUMS,
    UPDATE_FORUM,
    create_forum,
    create_process,
    ok,
    snapshot,
)
from tests.support.graphql import error_codes
from tests.support.measures import create_measure


async def test_a_forum_keeps_what_it_names(gql, factory):
    _, token = await factory.district()
    later = await create_process(gql, token, "4.10", "Fleet")
    earlier = await create_process(gql, token, "4.9", "Routing")
    measure = await create_measure(gql, token, code="LATE")

    forum = await create_forum(
        gql,
        token,
        name="  Operations review ",
        cadence="MONTHLY",
        chair="Superintendent",
        processIds=[later, earlier],
        measureIds=[measure],
        members=["COO", "ops@district.example"],
    )

    assert forum == {
        "id": forum["id"],
        "name": "Operations review",
        "cadence": "MONTHLY",
        "chair": "Superintendent",
        "processIds": [earlier, later],  # by code: 4.9 before 4.10
        "measureIds": [measure],
        "members": ["COO", "ops@district.example"],
        "createdBy": "test admin",
    }
    assert (await ok(gql, FORUM, {"id": forum["id"]}, token))["forum"] == forum


async def test_forums_are_listed_by_name(gql, factory):
    _, token = await factory.district()
    for name in ("Strategic review", "Board workshop", "Operations review"):
        await create_forum(gql, token, name=name)

    found = await ok(gql, FORUMS, {}, token)

    assert [f["name"] for f in found["forums"]] == [
        "Board workshop",
        "Operations review",
        "Strategic review",
    ]


async def test_refusals_write_nothing(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    process = await create_process(gql, token, "4", "Transportation")
    await create_forum(gql, token, name="Operations review")
    _, other = await factory.district()
    their_process = await create_process(gql, other, "4", "Transportation")
    their_measure = await create_measure(gql, other, code="THEIRS")
    before = await snapshot(app_sessionmaker, district_id)

    def forum(**fields):
        return {"input": {"name": "Review", "cadence": "MONTHLY", "processIds": [], **fields}}

    cases = {
        "blank name": (forum(name="  "), "BAD_INPUT", "input.name"),
        "long name": (forum(name="x" * 201), "BAD_INPUT", "input.name"),
        "taken name": (forum(name="OPERATIONS REVIEW"), "CONFLICT", "input.name"),
        "process twice": (forum(processIds=[process, process]), "BAD_INPUT", "input.processIds.1"),
        "not an id": (forum(processIds=["nope"]), "BAD_INPUT", "input.processIds.0"),
        "their process": (forum(processIds=[their_process]), "NOT_FOUND", "input.processIds.0"),
        "their measure": (forum(measureIds=[their_measure]), "NOT_FOUND", "input.measureIds.0"),
        "blank member": (forum(members=["COO", " "]), "BAD_INPUT", "input.members.1"),
        "member twice": (forum(members=["COO", "coo"]), "BAD_INPUT", "input.members.1"),
    }
    answers = {
        case: await gql(CREATE_FORUM, variables, token=token)
        for case, (variables, _, _) in cases.items()
    }

    for case, (_, code, field) in cases.items():
        assert error_codes(answers[case]) == [code], case
        assert answers[case]["errors"][0]["extensions"].get("field") == field, case
    assert await snapshot(app_sessionmaker, district_id) == before


async def test_update_changes_what_it_names_and_keeps_the_rest(gql, factory):
    _, token = await factory.district()
    transport = await create_process(gql, token, "4", "Transportation")
    nutrition = await create_process(gql, token, "5", "Nutrition")
    measure = await create_measure(gql, token, code="LATE")
    forum = await create_forum(
        gql, token, processIds=[transport], measureIds=[measure], members=["COO"]
    )

    updated = await ok(
        gql,
        UPDATE_FORUM,
        {"input": {"forumId": forum["id"], "processIds": [nutrition], "cadence": "QUARTERLY"}},
        token,
    )

    assert updated["updateForum"]["forum"] == {
        **forum,
        "cadence": "QUARTERLY",
        "processIds": [nutrition],
    }
    cleared = await ok(
        gql, UPDATE_FORUM, {"input": {"forumId": forum["id"], "measureIds": None}}, token
    )
    assert cleared["updateForum"]["forum"]["measureIds"] == []
    assert cleared["updateForum"]["forum"]["processIds"] == [nutrition]


async def test_update_refusals_write_nothing(gql, factory, app_sessionmaker):
    district_id, token = await factory.district()
    forum = await create_forum(gql, token, name="Operations review")
    await create_forum(gql, token, name="Strategic review")
    other_district, other = await factory.district()
    theirs = await create_forum(gql, other, name="Their review")
    before = await snapshot(app_sessionmaker, district_id)
    theirs_before = await snapshot(app_sessionmaker, other_district)

    cleared = await gql(
        UPDATE_FORUM, {"input": {"forumId": forum["id"], "name": None}}, token=token
    )
    taken = await gql(
        UPDATE_FORUM, {"input": {"forumId": forum["id"], "name": "Strategic review"}}, token=token
    )
    foreign = await gql(
        UPDATE_FORUM, {"input": {"forumId": theirs["id"], "name": "Mine now"}}, token=token
    )

    assert error_codes(cleared) == ["BAD_INPUT"]
    assert cleared["errors"][0]["extensions"]["field"] == "input.name"
    assert error_codes(taken) == ["CONFLICT"]
    assert error_codes(foreign) == ["NOT_FOUND"]
    assert foreign["errors"][0]["extensions"]["field"] == "input.forumId"
    assert await snapshot(app_sessionmaker, district_id) == before
    assert await snapshot(app_sessionmaker, other_district) == theirs_before


async def test_another_districts_forums_are_invisible(gql, factory):
    _, token = await factory.district()
    _, other = await factory.district()
    theirs = await create_forum(gql, other, name="Their review")

    assert (await ok(gql, FORUMS, {}, token))["forums"] == []
    assert (await ok(gql, FORUM, {"id": theirs["id"]}, token))["forum"] is None
