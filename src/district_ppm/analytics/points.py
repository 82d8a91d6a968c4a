"""A series of (period, value) points kept as two lists, periods ascending."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import overload


class Points(Sequence[tuple[date, float]]):
    """A series kept as the driver's two arrays (periods ascending), its (period, value)
    pairs made as they are read: holding a pair per value (19,000 for 100 plans) cost more
    in garbage collection than the verdicts' own arithmetic. Readers that know the type
    read ``periods`` and ``values`` directly (``analytics.compliance.reported_due``)."""

    __slots__ = ("periods", "values")

    def __init__(self, periods: list[date], values: list[float]) -> None:
        if len(periods) != len(values):
            raise ValueError("a period per value")
        self.periods, self.values = periods, values

    def __len__(self) -> int:
        return len(self.periods)

    @overload
    def __getitem__(self, index: int) -> tuple[date, float]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[date, float]]: ...
    def __getitem__(self, index: int | slice) -> tuple[date, float] | list[tuple[date, float]]:
        if isinstance(index, slice):
            return list(zip(self.periods[index], self.values[index], strict=True))
        return self.periods[index], self.values[index]

    def __iter__(self) -> Iterator[tuple[date, float]]:
        return zip(self.periods, self.values, strict=True)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]
