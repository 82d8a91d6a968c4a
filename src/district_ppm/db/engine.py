"""Engines and session factories, one per event loop that needs them."""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from district_ppm.config import Settings, asyncpg_url
from district_ppm.db.data_version import advance_data_version_on_commit
from district_ppm.db.quick_pool import connect_when_awaited


def create_app_engine(settings: Settings, *, pool_size: int | None = None) -> AsyncEngine:
    """Engine for the restricted application role (RLS applies to every query).

    No pre-ping (a round trip on every checkout): every transaction opens through
    ``db.tenancy.begin_with``, whose first statement finds a dropped connection itself and
    is retried on a fresh one.
    """
    return create_async_engine(
        asyncpg_url(settings.app_url),
        pool_size=pool_size or settings.db_pool_size,
        max_overflow=5,
        # Requests take connections without a greenlet when no I/O is needed (quick_pool).
        connect_args={"async_creator_fn": connect_when_awaited(asyncpg.connect)},
    )


def create_jobs_engine(settings: Settings, *, pool_size: int = 2) -> AsyncEngine:
    """Engine for the job runner's role: the outbox relay and the scheduler only.

    That role may call the cross-district job functions (claim and mark any district's jobs,
    list the districts, purge job history) and nothing else; what runs for one district runs
    on the application engine with the tenant set.
    """
    return create_async_engine(
        asyncpg_url(settings.jobs_url), pool_size=pool_size, max_overflow=0, pool_pre_ping=True
    )


def create_admin_engine(settings: Settings) -> AsyncEngine:
    """Engine for the owner role: migrations and platform-operator commands only."""
    return create_async_engine(asyncpg_url(settings.admin_url), pool_size=2, max_overflow=0)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    # Every commit through the engine moves the data versions of the districts it wrote.
    advance_data_version_on_commit(engine)
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
