"""The request's one transaction: readers take turns on it, a reader keeps its own turn, and
after a release each reader has a short transaction of its own."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from district_ppm.api.request_transaction import RequestTransaction

BACKEND = text("SELECT pg_backend_pid()")
TENANT = text("SELECT current_setting('app.district_id', true)")


@pytest.fixture
async def transaction(app_sessionmaker: Any, factory: Any) -> Any:
    district_id, token = await factory.district()
    transaction = RequestTransaction(app_sessionmaker)
    principal = await transaction.authenticate(token)
    assert principal is not None and principal.district_id == district_id
    try:
        yield transaction
    finally:
        await transaction.close()


async def test_concurrent_readers_take_turns_on_the_one_session(transaction: Any) -> None:
    inside: list[int] = []
    order: list[str] = []

    async def reader(name: str) -> Any:
        async with transaction.reads() as session:
            inside.append(1)
            assert len(inside) == 1, "two readers held the session at once"
            order.append(f"{name} in")
            await asyncio.sleep(0)
            pid = await session.scalar(BACKEND)
            order.append(f"{name} out")
            inside.pop()
            return session, pid

    answers = await asyncio.gather(*(reader(str(i)) for i in range(3)))
    assert len({id(session) for session, _ in answers}) == 1
    assert len({pid for _, pid in answers}) == 1
    assert order == ["0 in", "0 out", "1 in", "1 out", "2 in", "2 out"]


async def test_a_reader_inside_its_turn_keeps_it(transaction: Any) -> None:
    async def sibling() -> None:
        async with transaction.reads():
            pass

    async with transaction.reads() as outer:
        waiting = asyncio.ensure_future(sibling())
        await asyncio.sleep(0)
        async with asyncio.timeout(5), transaction.reads() as inner:  # no waiting for itself
            assert inner is outer
            assert await inner.scalar(TENANT)
        assert not waiting.done()  # the sibling waits for the outer turn to end
    async with asyncio.timeout(5):
        await waiting


async def test_a_reader_that_raises_gives_the_turn_back(transaction: Any) -> None:
    with pytest.raises(ValueError, match="inside"):
        async with transaction.reads():
            raise ValueError("inside")
    async with asyncio.timeout(5), transaction.reads() as session:
        assert await session.scalar(TENANT)


async def test_after_a_release_each_reader_has_a_transaction_of_its_own(
    transaction: Any,
) -> None:
    async with transaction.reads() as request_session:
        district = await request_session.scalar(TENANT)
    await transaction.release()
    async with transaction.reads() as first:
        assert first is not request_session
        assert await first.scalar(TENANT) == district
    async with transaction.reads() as second:
        assert second is not first
        assert await second.scalar(TENANT) == district


async def test_a_reader_waiting_when_the_transaction_is_released_reads_on_its_own(
    transaction: Any,
) -> None:
    async with transaction.reads() as request_session:
        district = await request_session.scalar(TENANT)
    seen: list[Any] = []

    async def waiter() -> None:
        async with transaction.reads() as session:
            seen.append((session, await session.scalar(TENANT)))

    async with transaction.reads():
        releasing = asyncio.ensure_future(transaction.release())
        await asyncio.sleep(0)  # the release waits for the turn first, then the reader
        waiting = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)
    async with asyncio.timeout(5):
        await asyncio.gather(waiting, releasing)
    [(session, tenant)] = seen
    assert session is not request_session
    assert tenant == district


async def test_release_inside_the_callers_own_turn_keeps_the_transaction(
    transaction: Any,
) -> None:
    async with transaction.reads() as session:
        await transaction.release()
        assert await session.scalar(TENANT)
    async with transaction.reads() as again:
        assert again is session


async def test_reads_before_authentication_are_refused(app_sessionmaker: Any) -> None:
    transaction = RequestTransaction(app_sessionmaker)
    with pytest.raises(RuntimeError, match="no authenticated transaction"):
        async with transaction.reads():
            pass
