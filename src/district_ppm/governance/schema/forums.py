"""GraphQL: forums, forum, createForum, updateForum."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info
from strawberry.utils.str_converters import to_camel_case

from district_ppm.api.context import principal_of, read_session, unit_of_work
from district_ppm.api.permissions import ADMIN, ANY_ROLE
from district_ppm.api.types import parse_id
from district_ppm.errors import BadInput
from district_ppm.governance import forums
from district_ppm.governance.schema.forum_types import Forum
from district_ppm.measures.schema.types import Frequency


@strawberry.input
class CreateForumInput:
    name: str
    cadence: Frequency  # type: ignore[valid-type]
    chair: str | None = None
    process_ids: list[strawberry.ID] = strawberry.field(
        description="Processes reviewed, with all their descendants and their measures."
    )
    measure_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Measures reviewed besides those of the processes."
    )
    members: list[str] | None = strawberry.field(
        default=None, description="The people who sit on the forum (names or e-mails)."
    )


@strawberry.input(
    description="Forum changes: an omitted field stays as it is; processIds, measureIds and "
    "members replace the forum's. Meetings already scheduled keep their agendas."
)
class UpdateForumInput:
    forum_id: strawberry.ID
    name: str | None = strawberry.UNSET
    cadence: Frequency | None = strawberry.UNSET  # type: ignore[valid-type]
    chair: str | None = strawberry.UNSET
    process_ids: list[strawberry.ID] | None = strawberry.UNSET
    measure_ids: list[strawberry.ID] | None = strawberry.UNSET
    members: list[str] | None = strawberry.UNSET


@strawberry.type
class ForumPayload:
    forum: Forum


def _ids(values: list[strawberry.ID] | None, name: str) -> list[Any]:
    return [parse_id(v, f"input.{name}.{i}") for i, v in enumerate(values or [])]


def forum_data_of(input: CreateForumInput) -> forums.ForumData:
    return forums.ForumData(
        name=input.name,
        cadence=input.cadence,
        chair=input.chair,
        members=input.members or [],
        process_ids=_ids(input.process_ids, "processIds"),
        measure_ids=_ids(input.measure_ids, "measureIds"),
    )


NOT_NULL = {"name", "cadence"}


def changes_of(input: UpdateForumInput) -> dict[str, Any]:
    """The fields the input names (``ForumData`` names), ids parsed; null clears a list."""
    changes: dict[str, Any] = {}
    for name, value in vars(input).items():
        if name == "forum_id" or value is strawberry.UNSET:
            continue
        field = to_camel_case(name)
        if value is None and name in NOT_NULL:
            raise BadInput(f"input.{field}", "cannot be cleared")
        if name in ("process_ids", "measure_ids"):
            value = _ids(value, field)
        elif name == "members":
            value = value or []
        changes[name] = value
    return changes


@strawberry.type
class ForumQueries:
    @strawberry.field(permission_classes=[ANY_ROLE], description="Every forum, by name.")
    async def forums(self, info: Info) -> list[Forum]:
        async with read_session(info) as session:
            views = await forums.list_forums(
                session=session, district_id=principal_of(info).district_id
            )
        return [Forum.from_view(view) for view in views]

    @strawberry.field(permission_classes=[ANY_ROLE], description="One forum; null if none.")
    async def forum(self, info: Info, id: strawberry.ID) -> Forum | None:
        forum_id = parse_id(id, "id")
        async with read_session(info) as session:
            found = await forums.forum_views(
                session=session, district_id=principal_of(info).district_id, forum_ids=[forum_id]
            )
        return Forum.from_view(found[forum_id]) if forum_id in found else None


@strawberry.type
class ForumMutations:
    @strawberry.mutation(
        permission_classes=[ADMIN],
        description="A new forum. CONFLICT when the name is taken; NOT_FOUND for a process "
        "or measure of no such id.",
    )
    async def create_forum(self, info: Info, input: CreateForumInput) -> ForumPayload:
        data = forum_data_of(input)
        async with unit_of_work(info, "createForum") as uow:
            view = await forums.create_forum(
                session=uow.session,
                district_id=uow.district_id,
                data=data,
                created_by=uow.principal.actor,
            )
            uow.audit(
                "forum",
                view.forum.id,
                name=view.forum.name,
                cadence=view.forum.cadence.value,
                processIds=[str(i) for i in view.process_ids],
                measureIds=[str(i) for i in view.measure_ids],
            )
        return ForumPayload(forum=Forum.from_view(view))

    @strawberry.mutation(
        permission_classes=[ADMIN], description="Change a forum (see UpdateForumInput)."
    )
    async def update_forum(self, info: Info, input: UpdateForumInput) -> ForumPayload:
        forum_id = parse_id(input.forum_id, "input.forumId")
        changes = changes_of(input)
        async with unit_of_work(info, "updateForum") as uow:
            view = await forums.update_forum(
                session=uow.session, district_id=uow.district_id, forum_id=forum_id, changes=changes
            )
            uow.audit("forum", forum_id, changed=sorted(to_camel_case(n) for n in changes))
        return ForumPayload(forum=Forum.from_view(view))
