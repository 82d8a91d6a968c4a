"""KPI status of a value against its target (DOMAIN.md "KPI status")."""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"
    NO_TARGET = "NO_TARGET"
    NO_DATA = "NO_DATA"


def kpi_status(
    value: float | None,
    target: float | None,
    red_threshold: float | None,
    *,
    higher_is_better: bool,
) -> Status:
    """GREEN at or past the target, RED past the red threshold on the bad side, else AMBER.

    With no value the status is NO_DATA (whether or not a target exists); with a value but no
    target it is NO_TARGET.
    """
    if value is None:
        return Status.NO_DATA
    if target is None or red_threshold is None:
        return Status.NO_TARGET
    if not higher_is_better:
        # Mirror: lower is better is higher-is-better on the negated scale.
        value, target, red_threshold = -value, -target, -red_threshold
    if value >= target:
        return Status.GREEN
    if value < red_threshold:
        return Status.RED
    return Status.AMBER
