"""Test harness: a fresh PostgreSQL database and Redis namespace per run, real services only.

Every test makes its own districts (the tenant is the isolation unit), so tests need no
cleanup and never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

RUN_ID = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
BASE_URL = os.environ.get(
    "DISTRICT_PPM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_DB = f"district_ppm_test_{RUN_ID}"

# Settings are read from the environment at import time by the broker: set them first.
os.environ["DISTRICT_PPM_ENVIRONMENT"] = "test"
os.environ["DISTRICT_PPM_DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + TEST_DB
os.environ["DISTRICT_PPM_QUEUE_NAMESPACE"] = f"dppm-test-{RUN_ID}"
os.environ["DISTRICT_PPM_WORKER_HEARTBEAT_MS"] = "3000"
# Every test calls from one address at full speed: request budgets out of the way (the rate
# limit tests build apps with budgets of their own).
for budget in ("RATE_LIMIT", "IMPORT_RATE_LIMIT", "ANONYMOUS_RATE_LIMIT"):
    os.environ[f"DISTRICT_PPM_{budget}_BURST"] = "1000000"
# Every request executed, so statement counts hold (tests/api/test_response_cache.py builds apps
# with the cache on; DISTRICT_PPM_RESPONSE_CACHE=on runs the whole suite through it).
os.environ.setdefault("DISTRICT_PPM_RESPONSE_CACHE", "off")

from tests import redis_server  # noqa: E402

redis_server.start()
os.environ["DISTRICT_PPM_REDIS_URL"] = redis_server.URL

from district_ppm.config import Settings, get_settings  # noqa: E402
from district_ppm.db.bootstrap import migrate  # noqa: E402
from district_ppm.db.engine import (  # noqa: E402
    create_admin_engine,
    create_app_engine,
    create_jobs_engine,
    make_sessionmaker,
)
from tests.support.factories import DistrictFactory  # noqa: E402
from tests.support.graphql import GraphQL  # noqa: E402


@pytest.fixture(scope="session")
def settings() -> Iterator[Settings]:
    settings = get_settings()
    migrate(settings)
    yield settings
    _drop_database(settings)


def _drop_database(settings: Settings) -> None:
    async def drop() -> None:
        dsn = settings.admin_url.set(drivername="postgresql", database="postgres")
        conn = await asyncpg.connect(dsn.render_as_string(hide_password=False))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


@pytest.fixture(scope="session")
async def app_sessionmaker(settings: Settings) -> AsyncIterator[Any]:
    engine = create_app_engine(settings, pool_size=5)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
async def jobs_sessionmaker(settings: Settings) -> AsyncIterator[Any]:
    """The outbox relay and scheduler's role (claims, marks, lists districts, purges)."""
    engine = create_jobs_engine(settings)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
async def admin_sessionmaker(settings: Settings) -> AsyncIterator[Any]:
    engine = create_admin_engine(settings)
    yield make_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    from district_ppm.app import create_app

    application = create_app(settings)
    # The lifespan's task group must be entered and left by the same task.
    started, stop = asyncio.Event(), asyncio.Event()

    async def serve() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(serve())
    await started.wait()
    yield application
    stop.set()
    await task


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def factory(admin_sessionmaker: Any) -> DistrictFactory:
    return DistrictFactory(admin_sessionmaker)


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQL:
    return GraphQL(client)
