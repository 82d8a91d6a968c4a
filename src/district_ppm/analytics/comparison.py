"""School comparison: rank, percentile, peer median and gap (DOMAIN.md "Comparison")."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    key: Hashable
    group: Hashable  # the peer group (school level)
    value: float


@dataclass(frozen=True, slots=True)
class Ranked:
    key: Hashable
    value: float
    rank: int
    percentile: float
    peer_median: float
    gap_to_best: float


def competition_ranks(values: Sequence[float], *, higher_is_better: bool) -> list[int]:
    """1 = best; ties share the best rank and the next rank skips (1, 1, 3)."""
    return [
        1 + sum(1 for other in values if (other > v if higher_is_better else other < v))
        for v in values
    ]


def percentile(rank: int, n: int) -> float:
    return 100.0 if n == 1 else 100.0 * (n - rank) / (n - 1)


def compare(entries: Sequence[Entry], *, higher_is_better: bool) -> list[Ranked]:
    """Rank every entry district-wide; median and gap within its group. Input order kept."""
    values = [e.value for e in entries]
    ranks = competition_ranks(values, higher_is_better=higher_is_better)
    by_group: dict[Hashable, list[float]] = defaultdict(list)
    for entry in entries:
        by_group[entry.group].append(entry.value)
    best = {g: (max(vs) if higher_is_better else min(vs)) for g, vs in by_group.items()}
    return [
        Ranked(
            key=entry.key,
            value=entry.value,
            rank=rank,
            percentile=percentile(rank, len(entries)),
            peer_median=statistics.median(by_group[entry.group]),
            gap_to_best=abs(best[entry.group] - entry.value),
        )
        for entry, rank in zip(entries, ranks, strict=True)
    ]


def per_100(value: float, enrollment: int | None) -> float | None:
    return None if not enrollment else value * 100.0 / enrollment
