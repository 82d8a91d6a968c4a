"""Management forums: creating and changing them, reading them, and their scope.

A forum's *scope* (DOMAIN.md "Agenda") is the processes it names and all their descendants,
the measures of those processes, and the measures it names. ``scope_processes`` and
``scope_measures`` are that rule, written once as SQL (a recursive walk down the process
tree) for one forum or all of them; the agenda, forum hygiene and metrics hygiene read it.

Who may call: DISTRICT_ADMIN creates and changes forums (declared on the GraphQL fields);
every role reads them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import CTE, BindParameter, Select, bindparam, delete, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.errors import BadInput, Conflict, LimitExceeded, NotFound
from district_ppm.governance.models_forums import Forum, ForumMeasure, ForumProcess
from district_ppm.measures.models import Frequency, Measure
from district_ppm.processes.models import Process
from district_ppm.processes.service import code_sort_key

MAX_NAME_LENGTH = 200  # name, chair, members (String(200) columns)
MAX_MEMBERS = 100
MAX_PROCESSES = 500  # a district's whole process tree is a few hundred nodes
MAX_MEASURES = 2_000
MAX_FORUMS = 200  # forums are listed whole (the contract's ``forums`` has no pages)
NO_SUCH_FORUM = "no such forum"


@dataclass(frozen=True, slots=True)
class ForumData:
    """What a forum is. Field names in errors are the input's camelCase ones."""

    name: str
    cadence: Frequency
    chair: str | None = None
    members: Sequence[str] = field(default_factory=tuple)
    process_ids: Sequence[uuid.UUID] = field(default_factory=tuple)
    measure_ids: Sequence[uuid.UUID] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class ForumView:
    """A forum with the processes and measures it names (each in code order)."""

    forum: Forum
    process_ids: list[uuid.UUID]
    measure_ids: list[uuid.UUID]


def _name(value: str, name: str) -> str:
    text = value.strip()
    if not text or len(text) > MAX_NAME_LENGTH:
        raise BadInput(name, f"must be 1 to {MAX_NAME_LENGTH} characters")
    return text


def _unique_ids(ids: Sequence[uuid.UUID], name: str, limit: int) -> None:
    if len(ids) > limit:
        raise BadInput(name, f"holds at most {limit}")
    seen: set[uuid.UUID] = set()
    for index, value in enumerate(ids):
        if value in seen:
            raise BadInput(f"{name}.{index}", "is named twice")
        seen.add(value)


def validate_forum(data: ForumData) -> ForumData:
    """The data trimmed, or BAD_INPUT naming the first bad field."""
    name = _name(data.name, "name")
    chair = None if data.chair is None or not data.chair.strip() else _name(data.chair, "chair")
    if len(data.members) > MAX_MEMBERS:
        raise BadInput("members", f"holds at most {MAX_MEMBERS} people")
    members = [_name(member, f"members.{i}") for i, member in enumerate(data.members)]
    folded = [member.casefold() for member in members]
    for index, member in enumerate(folded):
        if member in folded[:index]:
            raise BadInput(f"members.{index}", "names a member twice")
    _unique_ids(data.process_ids, "processIds", MAX_PROCESSES)
    _unique_ids(data.measure_ids, "measureIds", MAX_MEASURES)
    return replace(data, name=name, chair=chair, members=members)


async def _check_references(session: AsyncSession, district_id: uuid.UUID, data: ForumData) -> None:
    """NOT_FOUND naming the first process or measure that is not this district's."""
    for model, ids, name in (
        (Process, data.process_ids, "processIds"),
        (Measure, data.measure_ids, "measureIds"),
    ):
        if not ids:
            continue
        found = set(
            await session.scalars(
                select(model.id).where(model.district_id == district_id, model.id.in_(ids))
            )
        )
        for index, value in enumerate(ids):
            if value not in found:
                raise NotFound(f"{name}.{index}", f"no such {model.__name__.lower()}")


async def _check_name_free(
    session: AsyncSession, district_id: uuid.UUID, name: str, forum_id: uuid.UUID | None
) -> None:
    stmt = select(Forum.id).where(
        Forum.district_id == district_id, func.lower(Forum.name) == name.lower()
    )
    if forum_id is not None:
        stmt = stmt.where(Forum.id != forum_id)
    if await session.scalar(stmt):
        raise Conflict("name", f"a forum named {name!r} exists in this district")


async def _write_scope(
    session: AsyncSession, district_id: uuid.UUID, forum_id: uuid.UUID, data: ForumData
) -> None:
    session.add_all(
        ForumProcess(district_id=district_id, forum_id=forum_id, process_id=process_id)
        for process_id in data.process_ids
    )
    session.add_all(
        ForumMeasure(district_id=district_id, forum_id=forum_id, measure_id=measure_id)
        for measure_id in data.measure_ids
    )
    await session.flush()


async def create_forum(
    *, session: AsyncSession, district_id: uuid.UUID, data: ForumData, created_by: str
) -> ForumView:
    """A new forum with its cadence, chair, members and the processes and measures it names.

    BAD_INPUT for a blank or overlong name, chair or member, or an id named twice; NOT_FOUND
    for a process or measure of no such id; CONFLICT when the name is taken (case aside);
    LIMIT_EXCEEDED past ``MAX_FORUMS``.
    """
    data = validate_forum(data)
    count = await session.scalar(
        select(func.count()).select_from(Forum).where(Forum.district_id == district_id)
    )
    if (count or 0) >= MAX_FORUMS:
        raise LimitExceeded(None, f"a district has at most {MAX_FORUMS} forums")
    await _check_name_free(session, district_id, data.name, None)
    await _check_references(session, district_id, data)
    forum = Forum(
        id=uuid.uuid4(),
        district_id=district_id,
        name=data.name,
        cadence=data.cadence,
        chair=data.chair,
        members=list(data.members),
        created_by=created_by,
    )
    session.add(forum)
    await session.flush()
    await _write_scope(session, district_id, forum.id, data)
    return (await forum_views(session=session, district_id=district_id, forum_ids=[forum.id]))[
        forum.id
    ]


async def update_forum(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    forum_id: uuid.UUID,
    changes: Mapping[str, Any],
) -> ForumView:
    """Change the fields named in ``changes`` (``ForumData`` names); the others stay.
    ``process_ids`` / ``measure_ids`` replace what the forum names. Errors as ``create_forum``.

    Meetings already scheduled keep the agenda they were given.
    """
    unknown = set(changes) - set(ForumData.__dataclass_fields__)
    if unknown:
        raise ValueError(f"not forum fields: {sorted(unknown)}")
    forum = await get_forum_or_raise(
        session=session, district_id=district_id, forum_id=forum_id, for_update=True
    )
    current = (await forum_views(session=session, district_id=district_id, forum_ids=[forum_id]))[
        forum_id
    ]
    data = validate_forum(
        replace(
            ForumData(
                name=forum.name,
                cadence=forum.cadence,
                chair=forum.chair,
                members=list(forum.members or []),
                process_ids=current.process_ids,
                measure_ids=current.measure_ids,
            ),
            **changes,
        )
    )
    if "name" in changes:
        await _check_name_free(session, district_id, data.name, forum_id)
    await _check_references(
        session,
        district_id,
        replace(
            data,
            process_ids=data.process_ids if "process_ids" in changes else (),
            measure_ids=data.measure_ids if "measure_ids" in changes else (),
        ),
    )
    forum.name, forum.cadence, forum.chair = data.name, data.cadence, data.chair
    forum.members = list(data.members)
    if "process_ids" in changes:
        await session.execute(
            delete(ForumProcess).where(
                ForumProcess.district_id == district_id, ForumProcess.forum_id == forum_id
            )
        )
    if "measure_ids" in changes:
        await session.execute(
            delete(ForumMeasure).where(
                ForumMeasure.district_id == district_id, ForumMeasure.forum_id == forum_id
            )
        )
    await _write_scope(
        session,
        district_id,
        forum_id,
        replace(
            data,
            process_ids=data.process_ids if "process_ids" in changes else (),
            measure_ids=data.measure_ids if "measure_ids" in changes else (),
        ),
    )
    return (await forum_views(session=session, district_id=district_id, forum_ids=[forum_id]))[
        forum_id
    ]


# Whether a forum exists: built once, fetched by the driver (db.plain_rows). Readers that
# only check it skip building an ORM object (the agenda on every read).
_FORUM_EXISTS = select(Forum.id).where(
    Forum.district_id == bindparam("district_id"), Forum.id == bindparam("forum_id")
)


async def check_forum(
    *, session: AsyncSession, district_id: uuid.UUID, forum_id: uuid.UUID, field: str = "forumId"
) -> None:
    """NOT_FOUND naming ``field`` unless the forum exists, as ``get_forum_or_raise``."""
    found = await fetch_tuples(
        session, _FORUM_EXISTS, {"district_id": district_id, "forum_id": forum_id}
    )
    if not found:
        raise NotFound(field, NO_SUCH_FORUM)


async def get_forum_or_raise(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    forum_id: uuid.UUID,
    field: str = "forumId",
    for_update: bool = False,
) -> Forum:
    """The forum, or NOT_FOUND naming ``field`` (another district's looks missing too)."""
    forum = await session.get(Forum, (district_id, forum_id), with_for_update=for_update or None)
    if forum is None:
        raise NotFound(field, NO_SUCH_FORUM)
    return forum


async def forum_views(
    *, session: AsyncSession, district_id: uuid.UUID, forum_ids: Sequence[uuid.UUID] | None
) -> dict[uuid.UUID, ForumView]:
    """The given forums (all of the district's when None) by name, in three statements."""
    stmt = select(Forum).where(Forum.district_id == district_id).order_by(Forum.name, Forum.id)
    if forum_ids is not None:
        stmt = stmt.where(Forum.id.in_(forum_ids))
    forums = list(await session.scalars(stmt))
    if not forums:
        return {}
    ids = [forum.id for forum in forums]
    processes: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    rows = await session.execute(
        select(ForumProcess.forum_id, ForumProcess.process_id, Process.code)
        .join(
            Process,
            (Process.district_id == ForumProcess.district_id)
            & (Process.id == ForumProcess.process_id),
        )
        .where(ForumProcess.district_id == district_id, ForumProcess.forum_id.in_(ids))
    )
    # "4.9" before "4.10": codes compare part by part, as the process tree lists them.
    for forum_id, process_id, _ in sorted(rows.all(), key=lambda row: code_sort_key(row.code)):
        processes[forum_id].append(process_id)
    measures: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    rows = await session.execute(
        select(ForumMeasure.forum_id, ForumMeasure.measure_id, Measure.code)
        .join(
            Measure,
            (Measure.district_id == ForumMeasure.district_id)
            & (Measure.id == ForumMeasure.measure_id),
        )
        .where(ForumMeasure.district_id == district_id, ForumMeasure.forum_id.in_(ids))
    )
    # Sorted here, like the scorecard and the agenda: by code point, whatever the collation.
    for forum_id, measure_id, _ in sorted(rows.all(), key=lambda row: row.code):
        measures[forum_id].append(measure_id)
    return {
        forum.id: ForumView(forum, processes.get(forum.id, []), measures.get(forum.id, []))
        for forum in forums
    }


async def list_forums(*, session: AsyncSession, district_id: uuid.UUID) -> list[ForumView]:
    """Every forum of the district by name (at most ``MAX_FORUMS``), three statements."""
    return list(
        (await forum_views(session=session, district_id=district_id, forum_ids=None)).values()
    )


# ---------------------------------------------------------------------------------------------
# The scope rule


def scope_processes(
    district_id: uuid.UUID | BindParameter[Any],
    forum_id: uuid.UUID | BindParameter[Any] | None = None,
) -> CTE:
    """(forum_id, process_id) of every process in scope: each forum's named processes and all
    their descendants (of one forum, or of every forum when ``forum_id`` is None)."""
    named = select(
        ForumProcess.forum_id.label("forum_id"), ForumProcess.process_id.label("process_id")
    ).where(ForumProcess.district_id == district_id)
    if forum_id is not None:
        named = named.where(ForumProcess.forum_id == forum_id)
    tree = named.cte("forum_scope_tree", recursive=True)
    children = select(tree.c.forum_id, Process.id).join(
        Process, (Process.district_id == district_id) & (Process.parent_id == tree.c.process_id)
    )
    # UNION, not UNION ALL: a process reached twice (named and under a named one) once.
    return tree.union(children)


def scope_measures(
    district_id: uuid.UUID | BindParameter[Any],
    forum_id: uuid.UUID | BindParameter[Any] | None = None,
    tree: CTE | None = None,
) -> Select[Any]:
    """(forum_id, measure_id) of every measure in scope: the measures of the processes in
    scope, and the measures the forum names. ``tree``: the ``scope_processes`` of the same
    forum(s), when the statement uses it elsewhere too (a statement holds one such CTE)."""
    tree = scope_processes(district_id, forum_id) if tree is None else tree
    of_processes = select(tree.c.forum_id, Measure.id.label("measure_id")).join(
        Measure, (Measure.district_id == district_id) & (Measure.process_id == tree.c.process_id)
    )
    named = select(
        ForumMeasure.forum_id.label("forum_id"), ForumMeasure.measure_id.label("measure_id")
    ).where(ForumMeasure.district_id == district_id)
    if forum_id is not None:
        named = named.where(ForumMeasure.forum_id == forum_id)
    both = union(of_processes, named).subquery("forum_scope_measures")
    return select(both.c.forum_id, both.c.measure_id)


def on_some_forum() -> Select[Any]:
    """The ids of the measures in any forum's scope (metrics hygiene's forum check), in the
    district of the statement's ``district_id`` parameter: a statement to build once (its
    recursive CTE took a tenth of a metricsHygiene read to build, py-spy)."""
    scoped = scope_measures(bindparam("district_id")).subquery()
    return select(scoped.c.measure_id).distinct()
