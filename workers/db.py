"""Engines belong to an event loop: the worker makes its own on the loop that uses it."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import async_sessionmaker

from district_ppm.config import get_settings
from district_ppm.db.engine import create_app_engine, make_sessionmaker

_sessionmakers: dict[asyncio.AbstractEventLoop, async_sessionmaker] = {}


def worker_sessionmaker() -> async_sessionmaker:
    loop = asyncio.get_running_loop()
    if loop not in _sessionmakers:
        _sessionmakers[loop] = make_sessionmaker(create_app_engine(get_settings(), pool_size=4))
    return _sessionmakers[loop]
