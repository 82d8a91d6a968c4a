"""The process tree: creation, listing, and applying the K-12 template. Callers commit."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.errors import BadInput, Conflict, NotFound
from district_ppm.processes.models import Process, ProcessKind

PROCESS_CODE = re.compile(r"^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$")


@dataclass(frozen=True, slots=True)
class ProcessCreate:
    code: str
    name: str
    kind: ProcessKind
    is_key: bool = False
    parent_id: uuid.UUID | None = None
    owner: str | None = None
    customers: str | None = None


def code_sort_key(code: str) -> tuple[tuple[int, int | str], ...]:
    """ "4.10" after "4.9": numeric parts compare as numbers."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in code.split("."))


async def create_process(
    *, session: AsyncSession, district_id: uuid.UUID, data: ProcessCreate
) -> Process:
    """Create a process; codes are dotted ("4.2.1") and unique in the district."""
    code = data.code.strip()
    if not PROCESS_CODE.match(code) or len(code) > 32:
        raise BadInput("code", "a process code is dotted parts such as 4.2.1 (at most 32)")
    if not data.name.strip() or len(data.name) > 200:
        raise BadInput("name", "must be 1 to 200 characters")
    if data.owner is not None and len(data.owner) > 200:  # a String(200) column
        raise BadInput("owner", "must be at most 200 characters")
    if (
        data.parent_id is not None
        and await session.get(Process, (district_id, data.parent_id)) is None
    ):
        raise NotFound("parentId", "no such process")
    if await session.scalar(
        select(Process.id).where(Process.district_id == district_id, Process.code == code)
    ):
        raise Conflict("code", f"a process with code {code} exists in this district")
    process = Process(
        id=uuid.uuid4(),
        district_id=district_id,
        code=code,
        name=data.name.strip(),
        kind=data.kind,
        is_key=data.is_key,
        parent_id=data.parent_id,
        owner=data.owner,
        customers=data.customers,
    )
    session.add(process)
    await session.flush()
    return process


async def list_processes(*, session: AsyncSession, district_id: uuid.UUID) -> list[Process]:
    """Every process of the district in code order (a tree is small: a few hundred nodes)."""
    rows = await session.scalars(select(Process).where(Process.district_id == district_id))
    return sorted(rows, key=lambda p: code_sort_key(p.code))


async def processes_by_ids(
    *, session: AsyncSession, district_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Process]:
    rows = await session.scalars(
        select(Process).where(Process.district_id == district_id, Process.id.in_(ids))
    )
    return {p.id: p for p in rows}


async def children_of(
    *, session: AsyncSession, district_id: uuid.UUID, parent_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Process]]:
    found: dict[uuid.UUID, list[Process]] = {pid: [] for pid in parent_ids}
    rows = await session.scalars(
        select(Process).where(Process.district_id == district_id, Process.parent_id.in_(parent_ids))
    )
    for child in rows:
        found[child.parent_id].append(child)  # type: ignore[index]
    for children in found.values():
        children.sort(key=lambda p: code_sort_key(p.code))
    return found
