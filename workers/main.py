"""`district-ppm worker`: Dramatiq consumers, the outbox relay and the scheduler, one process."""

from __future__ import annotations

import asyncio
import logging
import signal

import dramatiq

from district_ppm.config import Settings
from district_ppm.db.engine import create_app_engine, create_jobs_engine, make_sessionmaker

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    from workers.actors import check_actors
    from workers.broker import broker
    from workers.relay import run_relay
    from workers.scheduler import run_scheduler

    check_actors()
    worker = dramatiq.Worker(broker, worker_threads=settings.worker_threads)
    worker.start()
    log.info("worker started: queues %s", sorted(broker.get_declared_queues()))

    async def background() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # The relay and the scheduler's cross-district calls run as the job runner's role;
        # the scheduler queues each district's jobs as the app role with that district set.
        jobs_engine = create_jobs_engine(settings)
        app_engine = create_app_engine(settings, pool_size=2)
        jobs, tenants = make_sessionmaker(jobs_engine), make_sessionmaker(app_engine)
        try:
            await asyncio.gather(
                run_relay(jobs, broker, stop, settings.outbox_poll_seconds),
                run_scheduler(
                    jobs,
                    tenants,
                    stop,
                    settings.nightly_recompute_hour_utc,
                    settings.job_history_days,
                ),
            )
        finally:
            await jobs_engine.dispose()
            await app_engine.dispose()

    try:
        asyncio.run(background())
    finally:
        worker.stop()
        log.info("worker stopped")
