"""How an opportunity is ranked: its priority score and its PICK quadrant (pure functions).

``priority = impact * alignment / effort`` with each score 1-5. The quotient is a fraction with
a denominator of at most 5, so it is exact to 4 decimals except for thirds (4/3 = 1.3333...),
which are rounded half up to 4 decimals. Two different quotients differ by at least 1/20, so
the rounding never merges or reorders two of them: ranking by the rounded score ranks by the
exact one. The database computes the same figure in the stored ``priority_score`` column (see
migration 0016), which the list is ordered by.
"""

from __future__ import annotations

import enum
from decimal import ROUND_HALF_UP, Decimal

MIN_SCORE, MAX_SCORE = 1, 5
PRIORITY_PLACES = Decimal("0.0001")


class PickQuadrant(enum.StrEnum):
    IMPLEMENT = "IMPLEMENT"
    POSSIBLE = "POSSIBLE"
    CHALLENGE = "CHALLENGE"
    KILL = "KILL"


def priority_score(*, impact: int, alignment: int, effort: int) -> Decimal:
    """``impact * alignment / effort``, rounded half up to 4 decimals."""
    return (Decimal(impact * alignment) / Decimal(effort)).quantize(
        PRIORITY_PLACES, rounding=ROUND_HALF_UP
    )


def pick_quadrant(*, impact: int, effort: int) -> PickQuadrant:
    """PICK chart: high impact is 3 or more, low effort 2 or less."""
    high_impact, low_effort = impact >= 3, effort <= 2
    if low_effort:
        return PickQuadrant.IMPLEMENT if high_impact else PickQuadrant.POSSIBLE
    return PickQuadrant.CHALLENGE if high_impact else PickQuadrant.KILL
