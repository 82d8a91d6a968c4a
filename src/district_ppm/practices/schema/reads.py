"""Practices and adoptions as the API's types, read in bulk in the caller's transaction.

The rows first, then each detail the query selects (the practices' measures, their adoptions
with their schools, the adoptions' gains and savings) in one statement for every row: a fixed
number of statements in the request's one transaction, where a loader per detail opened a
transaction of its own. What the query does not select is not read.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.practices import service
from district_ppm.practices.rollup import NO_SAVINGS
from district_ppm.practices.schema.types import Adoption, AdoptionGain, Practice
from district_ppm.savings.rollup import adoption_savings_usd
from district_ppm.schools.schema import School


def _id(value: uuid.UUID) -> strawberry.ID:
    return strawberry.ID(str(value))


async def adoptions_as_types(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    rows: Sequence[Any],
    fields: Collection[str],
) -> list[Adoption]:
    """The adoptions of ``service.adoptions_of`` rows, with the selected ``fields``' details."""
    ids = [row.adoption_id for row in rows]
    gains: dict[uuid.UUID, list[service.StoredGain]] = {}
    savings: dict[uuid.UUID, Decimal] = {}
    if ids and {"gains", "computedAt"} & set(fields):
        gains = await service.gains_of(session=session, district_id=district_id, adoption_ids=ids)
    if ids and "savingsUsd" in fields:
        savings = await adoption_savings_usd(
            session=session, district_id=district_id, adoption_ids=ids
        )
    adoptions = []
    for row in rows:
        stored = gains.get(row.adoption_id, [])
        adoptions.append(
            Adoption(
                id=_id(row.adoption_id),
                practice_id=_id(row.practice_id),
                school=School.from_model(row),
                adopted_on=row.adopted_on,
                gains=[AdoptionGain.from_stored(gain) for gain in stored],
                computed_at=max((gain.computed_at for gain in stored), default=None),
                savings_usd=savings.get(row.adoption_id, NO_SAVINGS),
            )
        )
    return adoptions


async def practices_as_types(
    *,
    session: AsyncSession,
    district_id: uuid.UUID,
    practice_ids: Sequence[uuid.UUID] | None,
    fields: Collection[str],
    adoption_fields: Collection[str],
) -> list[Practice]:
    """The district's practices (or those of ``practice_ids``), by title, with the details of
    the selected ``fields`` and, under ``adoptions``, ``adoption_fields``."""
    rows = await service.practice_rows(
        session=session, district_id=district_id, practice_ids=practice_ids
    )
    ids = [row.id for row in rows]
    measure_ids: dict[uuid.UUID, list[uuid.UUID]] = {}
    adoptions: dict[uuid.UUID, list[Adoption]] = defaultdict(list)
    if ids and "measureIds" in fields:
        measure_ids = await service.measure_ids_of(
            session=session, district_id=district_id, practice_ids=ids
        )
    if ids and "adoptions" in fields:
        found = await service.adoptions_of(
            session=session, district_id=district_id, practice_ids=ids
        )
        listed = [row for practice_id in ids for row in found.get(practice_id, [])]
        as_types = await adoptions_as_types(
            session=session, district_id=district_id, rows=listed, fields=adoption_fields
        )
        for row, adoption in zip(listed, as_types, strict=True):
            adoptions[row.practice_id].append(adoption)
    return [
        Practice(
            id=_id(row.id),
            title=row.title,
            description=row.description,
            project_id=None if row.project_id is None else _id(row.project_id),
            measure_ids=[_id(m) for m in measure_ids.get(row.id, [])],
            adoptions=adoptions.get(row.id, []),
        )
        for row in rows
    ]
