"""The job registry: every job declared once in its area, an actor for each, no typo survives."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from district_ppm.db.tenancy import tenant_transaction
from district_ppm.jobs.registry import UnknownJob, all_jobs, get_job, job
from district_ppm.jobs.service import enqueue_job

WORKERS = Path(__file__).parents[2] / "workers"


def test_every_declared_job_has_its_actor_and_no_actor_lacks_a_job():
    from workers.actors import ACTORS, check_actors

    check_actors()
    assert sorted(ACTORS) == [j.name for j in all_jobs()]
    assert {"recount_schools", "recompute_time_loss", "refresh_measure_status"} <= set(ACTORS)


def test_an_unknown_job_name_is_an_error_naming_the_known_ones():
    with pytest.raises(UnknownJob, match="recount_schools"):
        get_job("recount_school")


async def test_queueing_an_unknown_job_fails_in_the_callers_transaction(factory, app_sessionmaker):
    district_id, _ = await factory.district()
    async with tenant_transaction(app_sessionmaker, district_id) as session:
        with pytest.raises(UnknownJob):
            await enqueue_job(session=session, district_id=district_id, actor_name="typo_job")


def test_a_name_declared_twice_is_refused():
    async def other(session, district_id):  # pragma: no cover - never run
        return None

    with pytest.raises(ValueError, match="declared twice"):
        job("recount_schools")(other)
    assert get_job("recount_schools").handler is not other


def test_workers_modules_import_no_sibling_that_imports_them_back():
    """No import cycle inside workers/: the graph of workers.* imports is acyclic."""
    graph: dict[str, set[str]] = {}
    for path in WORKERS.glob("*.py"):
        module = f"workers.{path.stem}"
        tree = ast.parse(path.read_text())
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module == "workers":
                    targets |= {f"workers.{alias.name}" for alias in node.names}
                elif node.module.startswith("workers."):
                    targets.add(node.module)
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("workers.")}
        graph[module] = targets - {module}

    visiting: set[str] = set()
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        assert module not in visiting, f"import cycle: {' -> '.join([*path, module])}"
        if module in done:
            return
        visiting.add(module)
        for target in graph.get(module, ()):
            visit(target, [*path, module])
        visiting.discard(module)
        done.add(module)

    for module in graph:
        visit(module, [])
    assert "workers.actors" in graph


async def test_a_job_declared_after_another_is_queued_when_that_one_succeeds(
    factory, app_sessionmaker
):
    from sqlalchemy import select

    from district_ppm.jobs import registry
    from district_ppm.jobs.models import OutboxMessage
    from district_ppm.jobs.service import run_job

    async def follow(session, district_id):  # pragma: no cover - queued, not run here
        return None

    follower = job("test_follows_recount", after="recount_schools")(follow)
    try:
        district_id, _ = await factory.district()
        await run_job(
            sessionmaker=app_sessionmaker,
            district_id=district_id,
            actor_name="recount_schools",
            message_id="m1",
            body=get_job("recount_schools").handler,
        )
        async with tenant_transaction(app_sessionmaker, district_id) as session:
            queued = list(
                await session.scalars(
                    select(OutboxMessage.actor_name).where(
                        OutboxMessage.dispatched_at.is_(None),
                        OutboxMessage.dedupe_key == "after:recount_schools",
                    )
                )
            )
        assert queued == [follower.name]
    finally:
        registry._jobs.pop(follower.name)


async def test_a_payload_key_the_handler_does_not_take_is_dropped_not_fatal(
    factory, app_sessionmaker
):
    from sqlalchemy import select

    from district_ppm.jobs.models import DistrictStats, JobRun
    from workers.actors import ACTORS

    district_id, _ = await factory.district()

    # The actor's function, as a worker runs it, with a key no handler of this build takes.
    perform = ACTORS["recount_schools"].fn.__wrapped__  # the coroutine under Dramatiq's sync shim
    await perform(str(district_id), full=True, from_a_newer_build=1)

    async with tenant_transaction(app_sessionmaker, district_id) as session:
        runs = list(await session.scalars(select(JobRun.status)))
        counted = list(await session.scalars(select(DistrictStats.school_count)))
    assert (runs, counted) == (["succeeded"], [0])
