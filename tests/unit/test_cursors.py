"""Keyset cursors read back every column type they are written from, and refuse the rest."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime, Float, Integer, Numeric, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from district_ppm.db.pagination import decode_cursor, encode_cursor
from district_ppm.errors import BadInput


class _Base(DeclarativeBase):
    pass


class Row(_Base):
    __tablename__ = "cursor_row"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    on: Mapped[date] = mapped_column(Date)
    score: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    ratio: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(20))


COLUMNS = [Row.at, Row.on, Row.score, Row.ratio, Row.count, Row.name, Row.id]


def test_every_column_type_round_trips():
    values = [
        datetime(2026, 11, 26, 3, 4, 5, 678901, tzinfo=UTC),
        date(2026, 2, 28),
        Decimal("1.3333"),
        0.1,
        42,
        "Lincoln",
        uuid.uuid4(),
    ]

    assert decode_cursor(encode_cursor(values), COLUMNS) == values


@pytest.mark.parametrize(
    "values",
    [
        ["2026-11-26T03:04:05", "2026-02-28", "1", "1", "1", "a", str(uuid.uuid4())],  # naive
        ["2026-11-26T03:04:05+00:00", "2026-02-30", "1", "1", "1", "a", str(uuid.uuid4())],
        ["2026-11-26T03:04:05+00:00", "2026-02-28", "NaN", "1", "1", "a", str(uuid.uuid4())],
        ["2026-11-26T03:04:05+00:00", "2026-02-28", "1", "inf", "1", "a", str(uuid.uuid4())],
        ["2026-11-26T03:04:05+00:00", "2026-02-28", "1", "1", "1.5", "a", "not-a-uuid"],
    ],
)
def test_a_cursor_not_made_here_is_bad_input_at_after(values):
    with pytest.raises(BadInput) as refused:
        decode_cursor(encode_cursor(values), COLUMNS)
    assert refused.value.field == "after"


@given(st.lists(st.text(), min_size=1, max_size=3))
def test_a_cursor_is_the_base64_of_the_json_of_its_values(values):
    raw = json.dumps(values, separators=(",", ":")).encode()
    assert encode_cursor(values) == base64.urlsafe_b64encode(raw).decode().rstrip("=")
