"""Gains translated across the district: per practice, where it was adopted, what its adoptions
saved and the median gain on each of its measures, from what the workers stored (the adoption
gains, and the savings roll-ups)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from district_ppm.analytics.adoption import median_gain
from district_ppm.db.plain_rows import fetch_tuples
from district_ppm.practices.models import Adoption, AdoptionGain
from district_ppm.practices.service import measure_ids_of, practice_rows
from district_ppm.savings.models import SavingsRollup


@dataclass(frozen=True, slots=True)
class MeasureSpread:
    measure_id: uuid.UUID
    median_gain: float | None  # None when no adoption has a known gain on it
    adoptions_with_gain: int


@dataclass(frozen=True, slots=True)
class PracticeSpread:
    practice_id: uuid.UUID
    title: str
    schools_adopted: int
    total_savings_usd: Decimal  # its adoptions' savingsUsd, summed
    measures: list[MeasureSpread]  # in the practice's measure order (by code)
    computed_at: datetime | None  # the oldest stored gain used; None when none is stored


async def gains_across_district(
    *, session: AsyncSession, district_id: uuid.UUID
) -> list[PracticeSpread]:
    """Every practice (by title), with its adoptions counted and its gains' medians."""
    practices = await practice_rows(session=session, district_id=district_id)
    if not practices:
        return []
    measures = await measure_ids_of(
        session=session, district_id=district_id, practice_ids=[p.id for p in practices]
    )
    of_district = {"district_id": district_id}
    adopted = dict(await fetch_tuples(session, _ADOPTIONS_PER_PRACTICE, of_district))
    savings = await practice_savings_usd(session=session, district_id=district_id)
    gains: dict[tuple[uuid.UUID, uuid.UUID], list[float | None]] = defaultdict(list)
    computed: dict[uuid.UUID, datetime] = {}
    for practice_id, measure_id, gain, computed_at in await fetch_tuples(
        session, _GAINS, of_district
    ):
        gains[(practice_id, measure_id)].append(gain)
        if practice_id not in computed or computed_at < computed[practice_id]:
            computed[practice_id] = computed_at
    return [
        PracticeSpread(
            practice_id=practice.id,
            title=practice.title,
            schools_adopted=adopted.get(practice.id, 0),
            total_savings_usd=savings.get(practice.id, NO_SAVINGS),
            measures=[
                MeasureSpread(
                    measure_id=measure_id,
                    median_gain=median_gain(gains.get((practice.id, measure_id), [])),
                    adoptions_with_gain=sum(
                        1 for g in gains.get((practice.id, measure_id), []) if g is not None
                    ),
                )
                for measure_id in measures.get(practice.id, [])
            ],
            computed_at=computed.get(practice.id),
        )
        for practice in practices
    ]


NO_SAVINGS = Decimal("0.00")


async def practice_savings_usd(
    *, session: AsyncSession, district_id: uuid.UUID
) -> dict[uuid.UUID, Decimal]:
    """Each practice's USD savings that are REALIZED or VALIDATED, reversals included, over
    every fiscal year: the savings worker's PRACTICE roll-ups, which sum the entries of the
    practice's adoptions (the same entries as its adoptions' ``savingsUsd``)."""
    rows = await fetch_tuples(session, _PRACTICE_SAVINGS, {"district_id": district_id})
    return {practice_id: total for practice_id, total in rows}


# The district's adoptions counted by practice, its stored gains with their practice, and its
# practices' savings: built once, fetched by the driver (db.plain_rows). Through the ORM
# session, each cost about 0.7 ms of CPU.
_ADOPTIONS_PER_PRACTICE = (
    select(Adoption.practice_id, func.count())
    .where(Adoption.district_id == bindparam("district_id"))
    .group_by(Adoption.practice_id)
)
_GAINS = (
    select(
        Adoption.practice_id, AdoptionGain.measure_id, AdoptionGain.gain, AdoptionGain.computed_at
    )
    .join(
        Adoption,
        (Adoption.district_id == AdoptionGain.district_id)
        & (Adoption.id == AdoptionGain.adoption_id),
    )
    .where(AdoptionGain.district_id == bindparam("district_id"))
)
_PRACTICE_SAVINGS = (
    select(SavingsRollup.group_key, func.sum(SavingsRollup.total_usd))
    .where(
        SavingsRollup.district_id == bindparam("district_id"),
        SavingsRollup.grouping == "PRACTICE",
    )
    .group_by(SavingsRollup.group_key)
)
