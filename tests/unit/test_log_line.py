"""The access log's request id and time stamp read as uuid4 and structlog's TimeStamper."""

from __future__ import annotations

import datetime
import time
import types
import uuid

import pytest
import structlog

from district_ppm import app as app_module


def test_a_request_id_is_a_version_4_uuid_in_hex() -> None:
    ids = {app_module.new_request_id() for _ in range(1000)}

    assert len(ids) == 1000
    for each in ids:
        parsed = uuid.UUID(hex=each)
        assert len(each) == 32 and parsed.hex == each
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


@pytest.mark.parametrize(
    "now_ns",
    [
        1_700_000_000_123_456_789,
        1_700_000_000_000_000_000,  # no microseconds: isoformat leaves them out
        1_700_000_001_000_999_000,
        86_399_999_999_999,
    ],
)
def test_the_time_stamp_reads_as_structlogs(monkeypatch: pytest.MonkeyPatch, now_ns: int) -> None:
    seconds, micros = divmod(now_ns // 1000, 1_000_000)

    class Fixed(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:  # type: ignore[override]
            return datetime.datetime.fromtimestamp(seconds, tz).replace(microsecond=micros)

    fake = types.SimpleNamespace(datetime=Fixed, timezone=datetime.timezone)
    monkeypatch.setattr(structlog.processors, "datetime", fake)
    monkeypatch.setattr(time, "time_ns", lambda: now_ns)
    expected = structlog.processors.TimeStamper(fmt="iso")(None, "info", {})

    assert app_module.iso_timestamp(None, "info", {}) == expected
    assert app_module.iso_timestamp(None, "info", {}) == expected  # the second's text kept


def test_only_the_time_stamper_is_replaced() -> None:
    processors = app_module.log_processors()

    assert app_module.iso_timestamp in processors
    assert not any(isinstance(p, structlog.processors.TimeStamper) for p in processors)
    assert len(processors) == 5
