"""Improvement and management at district scale: the worker's full recompute of savings roll-ups,
sustainability compliance and adoption gains, and the areas' reads over HTTP.

    python tests/benchmarks/bench_improvement.py           # 300 projects, 20,000 entries, 100 plans
    python tests/benchmarks/bench_improvement.py --small   # a quick smoke run
    ... --keep                  # build into a database of a fixed name and keep it
    ... --reuse [--only agenda] [--single] [--profile DIR]   # time reads on it again (no seeding)
    ... --baseline DIR          # also serve another checkout, and time both on every read

Builds its own database (and drops it, unless --keep): one district with 300 DMAIC projects,
20,000 savings entries (every category, PROJECTED / REALIZED / VALIDATED, USD and HOURS, five
fiscal years, schools and practice adoptions, 1,000 of them reversals), 100 sustainability plans
of three monthly control measures with 36 months of data each (district-wide, or at each of the
district's 20 schools for the plans of projects that name schools), their reviews and targets,
and a few practices adopted at several schools; for the management reads, key processes over
the projects' processes, the measures' status rows (the status worker's full refresh), a forum
reviewing every key process, overdue decisions, and a member accountable for key process 1.
Reference rows (schools, processes, measures, forums, decisions, people) go through the
services; the volume is copied in with COPY as the owner, every row as the services would have
written it. The seeding is not timed.

Prints (1) each improvement job of the registry (the savings, sustainability and practices
areas) run by ``run_job`` in its own transaction, three times, and the median and total, beside
the bare SELECT that reads what it reads; (2) every read (savingsSummary,
sustainabilityCompliance stored and on a past date, practices, gainsAcrossDistrict, a forum's
agenda on a meeting's date and on today, processMatrix, metricsHygiene, forumHygiene, a person's
responsibilities, dataEntryReminders) over HTTP against ``district-ppm serve`` on a loopback
port with the response cache off (every request executed): one client (p50/p95, the server's
CPU ms per request, the ratio to ``me { role }``, a request's fixed cost, on the same server),
then eight at once (req/s, and its ratio to ``me``). With --baseline, both servers take turns on
every read and the last column compares them. Numbers, not pass/fail; the goals (recompute
under 2 s, p95 under 50 ms) are printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time as clock
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = os.environ.get(
    "DISTRICT_PPM_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
# --keep builds into (and --reuse reads) a database of a fixed name that is not dropped; the
# name must be known before the settings are read, at import, hence argv here.
KEPT = "--keep" in sys.argv or "--reuse" in sys.argv
BENCH_DB = (
    f"district_ppm_bench_improvement_kept{'_small' if '--small' in sys.argv else ''}"
    if KEPT
    else f"district_ppm_bench_improvement_{os.getpid()}"
)
os.environ["DISTRICT_PPM_DATABASE_URL"] = BASE_URL.rsplit("/", 1)[0] + "/" + BENCH_DB
os.environ["DISTRICT_PPM_QUEUE_NAMESPACE"] = f"dppm-bench-{os.getpid()}"
os.environ.setdefault("DISTRICT_PPM_ENVIRONMENT", "test")
sys.path.insert(0, str(ROOT / "src"))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from improvement_reads import (  # noqa: E402
    AGENDA,
    COMPLIANCE,
    FORUM_HYGIENE,
    GAINS,
    HYGIENE,
    MATRIX,
    ME,
    PRACTICES,
    REMINDERS,
    RESPONSIBILITIES,
    SAVINGS_SUMMARY,
)
from sqlalchemy import select  # noqa: E402

from district_ppm.config import get_settings  # noqa: E402
from district_ppm.db.bootstrap import migrate  # noqa: E402
from district_ppm.db.engine import (  # noqa: E402
    create_admin_engine,
    create_app_engine,
    make_sessionmaker,
)
from district_ppm.db.tenancy import tenant_transaction  # noqa: E402
from district_ppm.governance.accountability import assign_responsibility  # noqa: E402
from district_ppm.governance.decisions import DecisionRecord, record_decision  # noqa: E402
from district_ppm.governance.forums import ForumData, create_forum  # noqa: E402
from district_ppm.governance.models_people import Responsibility  # noqa: E402
from district_ppm.improvement.models import PHASE_ORDER, Phase, Project  # noqa: E402
from district_ppm.jobs.registry import Job, all_jobs  # noqa: E402
from district_ppm.jobs.service import run_job  # noqa: E402
from district_ppm.measures.models import (  # noqa: E402
    Direction,
    Frequency,
    Measure,
    MeasureLevel,
    Stage,
    Unit,
)
from district_ppm.measures.service import MeasureCreate, create_measure  # noqa: E402
from district_ppm.processes.models import Process, ProcessKind  # noqa: E402
from district_ppm.processes.service import ProcessCreate, create_process  # noqa: E402
from district_ppm.school_calendar import school_year_of  # noqa: E402
from district_ppm.schools.models import SchoolLevel  # noqa: E402
from district_ppm.schools.service import SchoolCreate, create_school  # noqa: E402
from district_ppm.sustainability.periods import add_months, due_windows  # noqa: E402
from district_ppm.tenancy import service as tenancy  # noqa: E402
from district_ppm.tenancy.calendar import district_today, get_district_calendar  # noqa: E402
from district_ppm.tenancy.models import Role  # noqa: E402

AREAS = ("savings", "sustainability", "practices")  # the improvement areas' jobs are timed
FISCAL_YEAR_START_MONTH = 7
CONCURRENT_CLIENTS = 8

# The same stored figures as the two queries, each read by one SELECT (the floor of a read).
SUMMARY_FLOOR_SQL = """
SELECT 'ROW' AS grouping, NULL::uuid AS key, NULL AS title, category, status, unit,
       amount, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric
FROM savings_category_rollups WHERE district_id = $1 AND fiscal_year = $2
UNION ALL
SELECT r.grouping, r.group_key, p.title, NULL, NULL, NULL, r.hard_validated, r.total_usd,
       r.validated_usd, r.total_hours, r.validated_hours
FROM savings_rollups r
LEFT JOIN projects p ON r.grouping = 'PROJECT' AND p.district_id = r.district_id
     AND p.id = r.group_key
WHERE r.district_id = $1 AND r.fiscal_year = $2 AND r.grouping <> 'ADOPTION'
"""
COMPLIANCE_FLOOR_SQL = """
SELECT p.id, p.project_id, p.start_date, p.duration_months, c.status, c.failed_checks,
       c.as_of, c.computed_at
FROM sustainability_plans p
JOIN plan_compliance c ON c.district_id = p.district_id AND c.plan_id = p.id
WHERE p.district_id = $1 ORDER BY p.created_at, p.id
"""
# What a committed write to one of a verdict's inputs does to the district's verdict history.
STALE_HISTORY_SQL = (
    "UPDATE district_data_versions SET inputs_version = inputs_version + 1 WHERE district_id = $1"
)
# What each job reads, by one SELECT that writes nothing: the floor of its recompute.
JOB_FLOOR_SQL = {
    "rollup_savings": """
        SELECT e.fiscal_year, g.grouping, g.group_key, e.category, e.status, e.unit,
               sum(e.amount), count(*)
        FROM savings_entries e
        JOIN projects p ON p.district_id = e.district_id AND p.id = e.project_id
        LEFT JOIN adoptions a ON a.district_id = e.district_id AND a.id = e.adoption_id
        CROSS JOIN LATERAL (VALUES ('PROJECT', e.project_id), ('PROCESS', p.process_id),
            ('SCHOOL', e.school_id), ('PRACTICE', a.practice_id), ('ADOPTION', e.adoption_id)
        ) AS g(grouping, group_key)
        WHERE e.district_id = $1 AND g.group_key IS NOT NULL
        GROUP BY e.fiscal_year, g.grouping, g.group_key, e.category, e.status, e.unit""",
    "check_sustainability": """
        SELECT m.measure_id, m.school_id, m.period_start, m.value
        FROM sustainability_plans p
        JOIN sustainability_plan_measures pm ON pm.district_id = p.district_id
             AND pm.plan_id = p.id
        JOIN measurements m ON m.district_id = p.district_id AND m.measure_id = pm.measure_id
        WHERE p.district_id = $1 AND (m.school_id IS NULL OR m.school_id IN (
            SELECT s.school_id FROM project_schools s
            WHERE s.district_id = p.district_id AND s.project_id = p.project_id))
        ORDER BY m.period_start""",
    "compute_adoption_gains": """
        SELECT a.id, m.measure_id, m.period_start, m.value
        FROM adoptions a
        JOIN practice_measures pm ON pm.district_id = a.district_id
             AND pm.practice_id = a.practice_id
        JOIN measurements m ON m.district_id = a.district_id AND m.measure_id = pm.measure_id
             AND m.school_id = a.school_id
        WHERE a.district_id = $1 ORDER BY a.id, m.measure_id, m.period_start""",
}


@dataclass(frozen=True, slots=True)
class Size:
    schools: int
    processes: int
    projects: int
    entries: int  # reversals included
    reversals: int
    district_plans: int  # plans whose control measures are DISTRICT-level
    school_plans: int  # plans of projects naming schools, with SCHOOL-level control measures
    months: int
    practices: int
    adoptions_per_practice: int
    decisions: int  # OPEN decisions, all overdue
    requests: int  # per query, one client
    requests_per_client: int  # per query, each of the concurrent clients

    @property
    def plans(self) -> int:
        return self.district_plans + self.school_plans


FULL = Size(20, 12, 300, 20_000, 1_000, 60, 40, 36, 5, 6, 40, 200, 50)
SMALL = Size(6, 4, 30, 2_000, 100, 6, 4, 36, 2, 3, 6, 30, 5)


# Seeding ----------------------------------------------------------------------------------


def month_starts(last: date, count: int) -> list[date]:
    """``count`` month starts ending with the month of ``last``, oldest first."""
    return [add_months(last.replace(day=1), k - count + 1) for k in range(count)]


class Seed:
    """The district's rows, generated (seeded random) and copied in."""

    def __init__(self, size: Size, district_id: uuid.UUID, today: date) -> None:
        self.size = size
        self.district_id = district_id
        self.today = today
        self.rng = random.Random(9)
        self.now = datetime.now(UTC)
        # 36 complete months, the newest the one before this one.
        self.periods = month_starts(add_months(today.replace(day=1), -1), size.months)
        self.rows: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
        self.current_fiscal_year = today.year + (today.month >= FISCAL_YEAR_START_MONTH)

    def add(self, table: str, columns: list[str], row: tuple[Any, ...]) -> None:
        self.rows.setdefault(table, (columns, []))[1].append(row)

    def tenant_row(self, *values: Any) -> tuple[Any, ...]:
        return (self.district_id, uuid.uuid4(), self.now, *values)


async def reference_rows(
    app_sm: Any, district_id: uuid.UUID, size: Size, today: date
) -> tuple[list[uuid.UUID], list[uuid.UUID], list[list[tuple[uuid.UUID, Direction]]]]:
    """Schools, processes and each plan's control measures, through the services."""
    async with tenant_transaction(app_sm, district_id) as session:
        levels = [SchoolLevel.ELEMENTARY, SchoolLevel.MIDDLE, SchoolLevel.HIGH]
        schools = []
        for i in range(size.schools):
            school = await create_school(
                session=session,
                district_id=district_id,
                data=SchoolCreate(
                    f"School {i:03d}",
                    levels[i % 3],
                    time(7, 45),
                    f"{480000000000 + i:012d}",
                    400 + 11 * i,
                ),
                today=today,
            )
            schools.append(school.id)
        # Key processes "1", "2", ... each with four sub-processes "1.1" to "1.4": the projects
        # and measures name the sub-processes, a forum or the process matrix their parents.
        roots = []
        for r in range((size.processes + 3) // 4):
            root = await create_process(
                session=session,
                district_id=district_id,
                data=ProcessCreate(
                    code=str(1 + r), name=f"Key process {r}", kind=ProcessKind.OPERATIONAL,
                    is_key=True,
                ),
            )  # fmt: skip
            roots.append(root.id)
        processes = []
        for i in range(size.processes):
            process = await create_process(
                session=session,
                district_id=district_id,
                data=ProcessCreate(
                    code=f"{1 + i // 4}.{1 + i % 4}",
                    name=f"Process {i}",
                    kind=ProcessKind.INSTRUCTIONAL if i % 3 == 0 else ProcessKind.OPERATIONAL,
                    parent_id=roots[i // 4],
                ),
            )
            processes.append(process.id)
        controls = []
        for plan in range(size.plans):
            level = MeasureLevel.DISTRICT if plan < size.district_plans else MeasureLevel.SCHOOL
            measures = []
            for k in range(3):
                direction = (
                    Direction.HIGHER_IS_BETTER if (plan + k) % 2 else Direction.LOWER_IS_BETTER
                )
                measure = await create_measure(
                    session=session,
                    district_id=district_id,
                    data=MeasureCreate(
                        code=f"CM-{plan:03d}-{k}",
                        name=f"Control measure {k} of plan {plan}",
                        unit=Unit.PERCENT if k < 2 else Unit.COUNT,
                        direction=direction,
                        stage=Stage.OUTPUT if k else Stage.SHORT_TERM_OUTCOME,
                        frequency=Frequency.MONTHLY,
                        level=level,
                        process_id=processes[plan % size.processes],
                    ),
                )
                measures.append((measure.id, direction))
            controls.append(measures)
        await session.commit()
    return schools, processes, controls


def seed_improvement(
    seed: Seed,
    schools: list[uuid.UUID],
    processes: list[uuid.UUID],
    controls: list[list[tuple[uuid.UUID, Direction]]],
) -> dict[str, int]:
    """Projects, plans with their measurements, targets and reviews, practices, adoptions and
    the savings ledger, as rows for COPY. Returns counts to print."""
    size, rng, d = seed.size, seed.rng, seed.district_id
    project_ids = [uuid.uuid4() for _ in range(size.projects)]
    project_schools: dict[int, list[uuid.UUID]] = {}
    flat_measures = [m for plan in controls for m, _ in plan]

    # Projects: the first ``plans`` hold the plans (CONTROL, or CLOSED: closing needs a plan).
    phases = [Phase.DEFINE, Phase.MEASURE, Phase.ANALYZE, Phase.IMPROVE, Phase.CONTROL]
    for p, project_id in enumerate(project_ids):
        if p < size.plans:
            phase = Phase.CLOSED if p % 10 >= 7 else Phase.CONTROL
            primary = controls[p][0][0]
        else:
            phase = phases[p % len(phases)]
            primary = flat_measures[p % len(flat_measures)]
        past_measure = PHASE_ORDER.index(phase) > PHASE_ORDER.index(Phase.MEASURE)
        seed.add(
            "projects",
            ["district_id", "id", "created_at", "title", "problem_statement", "goal_statement",
             "scope", "process_id", "primary_measure_id", "baseline", "target",
             "baseline_school_year", "sponsor", "lead", "team", "phase", "created_by",
             "tollgate_requested_at"],
            (d, project_id, seed.now, f"Project {p:03d}", f"Problem of project {p}",
             f"Goal of project {p}", None,
             None if p % 13 == 0 else processes[p % len(processes)],
             primary if phase is not Phase.DEFINE else None,
             50.0 + p % 7 if past_measure or phase is Phase.MEASURE else None,
             60.0 + p % 7 if past_measure else None, 2024, "Sponsor", "Lead",
             ["Ana", "Ben"], phase.value, "bench",
             # Some wait at their tollgate (an agenda item of the forum reviewing them).
             seed.now if p % 11 == 0 and phase is not Phase.CLOSED else None),
        )  # fmt: skip
        # Projects of school-level plans name three schools; the others none to three.
        if size.district_plans <= p < size.plans:
            named = [schools[(p + k) % len(schools)] for k in range(3)]
        else:
            named = [schools[(p * 7 + k) % len(schools)] for k in range(p % 4)]
        project_schools[p] = named
        for school_id in named:
            seed.add(
                "project_schools",
                ["district_id", "id", "created_at", "project_id", "school_id"],
                seed.tenant_row(project_id, school_id),
            )
        approved = datetime(2023, 9, 1, tzinfo=UTC)
        for step in range(PHASE_ORDER.index(phase)):
            approved += timedelta(days=40)
            seed.add(
                "project_tollgates",
                ["district_id", "id", "created_at", "project_id", "from_phase", "to_phase",
                 "approved_at", "approved_by", "note"],
                seed.tenant_row(project_id, PHASE_ORDER[step].value,
                                PHASE_ORDER[step + 1].value, approved, "sponsor", None),
            )  # fmt: skip

    # Plans, their measures' 36 months, targets and reviews. Scenarios by plan: most hold
    # their gains (COMPLIANT); others drift the wrong way, miss a month, miss a review or
    # fall short of target, so every verdict and failed check occurs.
    measurements = 0
    for plan in range(size.plans):
        plan_id = uuid.uuid4()
        scenario = plan % 10
        start = add_months(seed.periods[12], plan % 6)
        cadence = Frequency.MONTHLY if plan % 3 == 0 else Frequency.QUARTERLY
        seed.add(
            "sustainability_plans",
            ["district_id", "id", "created_at", "project_id", "owner", "review_cadence",
             "start_date", "duration_months", "response_plan", "created_by"],
            (d, plan_id, seed.now + timedelta(microseconds=plan), project_ids[plan],
             "owner@bench", cadence.value, start, 36 if plan % 2 else None,
             "Re-train, then escalate to the process owner", "bench"),
        )  # fmt: skip
        windows = due_windows(cadence, start, seed.today, FISCAL_YEAR_START_MONTH)
        for w, (window_start, _) in enumerate(windows):
            if scenario == 8 and w == len(windows) - 2:
                continue  # a review missed
            seed.add(
                "sustainability_reviews",
                ["district_id", "id", "created_at", "plan_id", "reviewed_on", "reviewer",
                 "result", "notes"],
                seed.tenant_row(plan_id, window_start + timedelta(days=9), "owner@bench",
                                "held", None),
            )  # fmt: skip
        scopes: list[uuid.UUID | None] = [None] if plan < size.district_plans else list(schools)
        for k, (measure_id, direction) in enumerate(controls[plan]):
            seed.add(
                "sustainability_plan_measures",
                ["district_id", "id", "created_at", "plan_id", "measure_id", "position",
                 "target"],
                seed.tenant_row(plan_id, measure_id, k, None),
            )  # fmt: skip
            better = 1 if direction is Direction.HIGHER_IS_BETTER else -1
            base = rng.uniform(40, 80)
            target = base - better * (-4 if scenario == 9 else 4)
            red = target - better * 6
            for year in sorted({school_year_of(day) for day in seed.periods}):
                seed.add(
                    "measure_targets",
                    ["district_id", "id", "created_at", "measure_id", "school_id",
                     "school_year", "value", "red_threshold", "baseline"],
                    seed.tenant_row(measure_id, None, year, round(target, 1), round(red, 1),
                                    None),
                )  # fmt: skip
            for scope in scopes:
                level = base + (rng.uniform(-1, 1) if scope else 0)
                for index, period in enumerate(seed.periods):
                    if scenario == 7 and k == 0 and index == len(seed.periods) - 1:
                        continue  # the newest month not reported yet
                    shift = -better * 9 if scenario == 6 and index >= len(seed.periods) - 4 else 0
                    seed.add(
                        "measurements",
                        ["district_id", "id", "created_at", "measure_id", "school_id",
                         "period_start", "value", "source", "recorded_by", "recorded_at"],
                        seed.tenant_row(measure_id, scope, period,
                                        round(level + shift + rng.gauss(0, 1.2), 2), "IMPORT",
                                        "bench", seed.now),
                    )  # fmt: skip
                    measurements += 1

    # Practices from the projects of school-level plans, gains on two of their measures.
    adoptions: dict[int, list[tuple[uuid.UUID, uuid.UUID]]] = {}  # project -> (adoption, school)
    for k in range(size.practices):
        p = size.district_plans + k
        practice_id = uuid.uuid4()
        seed.add(
            "practices",
            ["district_id", "id", "created_at", "title", "description", "project_id",
             "created_by"],
            (d, practice_id, seed.now, f"Practice {k}", f"What project {p} proved",
             project_ids[p], "bench"),
        )  # fmt: skip
        for measure_id, _ in controls[p][:2]:
            seed.add(
                "practice_measures",
                ["district_id", "id", "created_at", "practice_id", "measure_id"],
                seed.tenant_row(practice_id, measure_id),
            )
        for a in range(size.adoptions_per_practice):
            adoption_id, school_id = uuid.uuid4(), schools[(p + 3 + a) % len(schools)]
            seed.add(
                "adoptions",
                ["district_id", "id", "created_at", "practice_id", "school_id", "adopted_on",
                 "created_by"],
                (d, adoption_id, seed.now, practice_id, school_id,
                 seed.periods[18 + a] + timedelta(days=14), "bench"),
            )  # fmt: skip
            adoptions.setdefault(p, []).append((adoption_id, school_id))

    entries = seed_savings(seed, project_ids, project_schools, schools, adoptions)
    return {"measurements": measurements, **entries}


CATEGORIES = [  # (category, unit, weight)
    ("HARD", "USD", 30),
    ("COST_AVOIDANCE", "USD", 25),
    ("SOFT", "USD", 15),
    ("SOFT", "HOURS", 10),
    ("INSTRUCTIONAL_TIME", "HOURS", 20),
]
FISCAL_YEARS_BACK, FISCAL_YEARS_AHEAD = 3, 1  # around the current fiscal year


def seed_savings(
    seed: Seed,
    project_ids: list[uuid.UUID],
    project_schools: dict[int, list[uuid.UUID]],
    schools: list[uuid.UUID],
    adoptions: dict[int, list[tuple[uuid.UUID, uuid.UUID]]],
) -> dict[str, int]:
    """The ledger as ``record_savings``, ``validate_savings`` and ``reverse_savings`` write it:
    REALIZED only once the fiscal year has begun, VALIDATED with who and when, a school's
    saving of an adoption at the adoption's school and from the practice's project, and each
    reversal a copy of its entry with the amount negated, once per entry."""
    size, rng, d = seed.size, seed.rng, seed.district_id
    current_fy = seed.current_fiscal_year
    fiscal_years = range(current_fy - FISCAL_YEARS_BACK, current_fy + FISCAL_YEARS_AHEAD + 1)
    columns = ["district_id", "id", "created_at", "project_id", "school_id", "adoption_id",
               "category", "amount", "unit", "fiscal_year", "month", "status", "reverses_id",
               "note", "reason", "recorded_by", "validated_at", "validated_by"]  # fmt: skip
    originals: list[tuple[Any, ...]] = []
    kinds = [(c, u) for c, u, w in CATEGORIES for _ in range(w)]
    for i in range(size.entries - size.reversals):
        p = rng.randrange(size.projects)
        category, unit = rng.choice(kinds)
        fiscal_year = rng.choice(fiscal_years)
        if fiscal_year > current_fy:
            status = "PROJECTED"
        else:
            status = rng.choices(["PROJECTED", "REALIZED", "VALIDATED"], [2, 3, 5])[0]
        cents = rng.randint(10_000, 5_000_000) if unit == "USD" else rng.randint(100, 50_000)
        adoption_id = school_id = None
        if p in adoptions and rng.random() < 0.6:
            adoption_id, school_id = rng.choice(adoptions[p])
        elif rng.random() < 0.4:
            school_id = rng.choice(project_schools[p] or schools)
        validated = status == "VALIDATED"
        row = (d, uuid.uuid4(), seed.now + timedelta(microseconds=i), project_ids[p], school_id,
               adoption_id, category, Decimal(cents).scaleb(-2), unit, fiscal_year,
               rng.randint(1, 12) if rng.random() < 0.7 else None, status, None,
               "from the ledger" if i % 5 == 0 else None, None, "lead@bench",
               seed.now if validated else None, "finance@bench" if validated else None)  # fmt: skip
        originals.append(row)
    reversals = []
    for j, original in enumerate(rng.sample(originals, size.reversals)):
        # What reverse_savings writes: the same entry, amount negated, by finance.
        entry = dict(zip(columns, original, strict=True))
        entry |= {
            "id": uuid.uuid4(),
            "created_at": seed.now + timedelta(seconds=1, microseconds=j),
            "amount": -entry["amount"],
            "reverses_id": entry["id"],
            "note": None,
            "reason": "entered twice",
            "recorded_by": "finance@bench",
        }
        if entry["status"] == "VALIDATED":
            entry["validated_by"] = "finance@bench"
        reversals.append(tuple(entry[column] for column in columns))
    rows = originals + reversals
    seed.rows["savings_entries"] = (columns, rows)
    status_at, adoption_at = columns.index("status"), columns.index("adoption_id")
    return {
        "validated": sum(r[status_at] == "VALIDATED" for r in rows),
        "with_adoption": sum(r[adoption_at] is not None for r in rows),
    }


async def copy_rows(dsn: str, seed: Seed) -> None:
    """Every generated row, by COPY, parents first, in one transaction."""
    order = ["projects", "project_schools", "project_tollgates", "sustainability_plans",
             "sustainability_plan_measures", "sustainability_reviews", "measure_targets",
             "measurements", "practices", "practice_measures", "adoptions",
             "savings_entries"]  # fmt: skip
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            for table in order:
                columns, rows = seed.rows[table]
                await conn.copy_records_to_table(table, records=rows, columns=columns)
        # What autovacuum does within a minute of a bulk load: the planner's statistics.
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


LEADERSHIP_FORUM = "District leadership"  # reviews every key process: the largest agenda
MEMBER_EMAIL = "process.owner@bench.example"  # ACCOUNTABLE for key process 1


async def management_rows(
    admin_sm: Any, app_sm: Any, district_id: uuid.UUID, today: date, size: Size
) -> None:
    """What the management reads read, through the services: the measures' status rows (the
    worker's full refresh), a forum reviewing every key process and one reviewing the first,
    overdue decisions on measures and projects, and a member ACCOUNTABLE for key process 1
    and RESPONSIBLE for some of its measures."""
    (refresh,) = [j for j in all_jobs() if j.name == "refresh_measure_status"]
    await run_job(
        sessionmaker=app_sm,
        district_id=district_id,
        actor_name=refresh.name,
        message_id="bench-seed-refresh",
        body=full_run(refresh),
    )
    async with admin_sm() as session, session.begin():
        await tenancy.add_member(
            session=session,
            district_id=district_id,
            email=MEMBER_EMAIL,
            display_name="Process Owner",
            role=Role.DISTRICT_ADMIN,
            school_ids=[],
            ttl=timedelta(days=1),
        )
    async with tenant_transaction(app_sm, district_id) as session:
        keys = list(
            await session.scalars(
                select(Process.id)
                .where(Process.district_id == district_id, Process.is_key.is_(True))
                .order_by(Process.code)
            )
        )
        measures = list(
            await session.scalars(
                select(Measure.id).where(Measure.district_id == district_id).order_by(Measure.code)
            )
        )
        projects = list(
            await session.scalars(
                select(Project.id).where(Project.district_id == district_id).order_by(Project.title)
            )
        )
        for name, cadence, scope in (
            (LEADERSHIP_FORUM, Frequency.MONTHLY, keys),
            ("Teaching and learning", Frequency.QUARTERLY, keys[:1]),
        ):
            await create_forum(
                session=session,
                district_id=district_id,
                data=ForumData(name=name, cadence=cadence, chair="Chair", process_ids=scope),
                created_by="bench",
            )
        for k in range(size.decisions):
            await record_decision(
                session=session,
                district_id=district_id,
                data=DecisionRecord(
                    title=f"Decision {k}",
                    owner="owner@bench",
                    due_on=today - timedelta(days=7 * (k + 1)),
                    measure_id=measures[(7 * k) % len(measures)] if k % 2 else None,
                    project_id=None if k % 2 else projects[(5 * k) % len(projects)],
                ),
                created_by="bench",
            )
        assignments = [(Responsibility.ACCOUNTABLE, keys[0], None)] + [
            (Responsibility.RESPONSIBLE, None, measure_id) for measure_id in measures[::15]
        ]
        for responsibility, process_id, measure_id in assignments:
            await assign_responsibility(
                session=session,
                district_id=district_id,
                user_id=None,
                email=MEMBER_EMAIL,
                process_id=process_id,
                measure_id=measure_id,
                responsibility=responsibility,
                assigned_by="bench",
            )
        await session.commit()


# Timing -----------------------------------------------------------------------------------


def improvement_jobs() -> list[Job]:
    """The jobs the savings, sustainability and practices areas declare."""
    return [j for j in all_jobs() if j.handler.__module__.split(".")[1] in AREAS]


def full_run(job: Job) -> Callable[[Any, uuid.UUID], Awaitable[None]]:
    async def body(session: Any, district_id: uuid.UUID) -> None:
        await job.run(session, district_id, full=True)

    return body


async def time_jobs(
    app_sm: Any, district_id: uuid.UUID, jobs: Sequence[Job], rounds: int
) -> dict[str, list[float]]:
    """Seconds of each job per round; a round runs every job once, in registry order."""
    seconds: dict[str, list[float]] = {j.name: [] for j in jobs}
    for round_ in range(rounds):
        for job in jobs:
            started = clock.perf_counter()
            await run_job(
                sessionmaker=app_sm,
                district_id=district_id,
                actor_name=job.name,
                message_id=f"bench-{round_}-{job.name}",
                body=full_run(job),
            )
            seconds[job.name].append(clock.perf_counter() - started)
    return seconds


async def floor_seconds(conn: asyncpg.Connection, sql: str, *args: Any, rounds: int = 3) -> float:
    """Median seconds of one SELECT fetched whole."""
    samples = []
    for _ in range(rounds):
        started = clock.perf_counter()
        await conn.fetch(sql, *args)
        samples.append(clock.perf_counter() - started)
    return statistics.median(samples)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in milliseconds (p95: the sample at the 95th rank, no interpolation)."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


async def post(http: httpx.AsyncClient, token: str, query: str, variables: dict[str, Any]) -> float:
    started = clock.perf_counter()
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    elapsed = clock.perf_counter() - started
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text[:500]
    return elapsed


async def one_client(
    base_url: str, token: str, query: str, variables: dict[str, Any], n: int
) -> list[float]:
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
        return [await post(http, token, query, variables) for _ in range(n)]


async def concurrent(
    base_url: str, token: str, query: str, variables: dict[str, Any], clients: int, n: int
) -> tuple[float, list[float]]:
    """Requests per second with ``clients`` clients each sending ``n`` in turn, and every
    request's latency. Each client has its own connection, as separate dashboards would."""
    https = [httpx.AsyncClient(base_url=base_url, timeout=120) for _ in range(clients)]
    try:
        for http in https:
            await post(http, token, query, variables)  # connected before the clock starts

        async def run(http: httpx.AsyncClient) -> list[float]:
            return [await post(http, token, query, variables) for _ in range(n)]

        started = clock.perf_counter()
        results = await asyncio.gather(*(run(http) for http in https))
        wall = clock.perf_counter() - started
    finally:
        for http in https:
            await http.aclose()
    return clients * n / wall, [s for samples in results for s in samples]


async def sql_latency(conn: asyncpg.Connection, sql: str, args: Sequence[Any], n: int) -> float:
    """p50 in ms of the SELECT over one open asyncpg connection."""
    samples = []
    for _ in range(n):
        started = clock.perf_counter()
        await conn.fetch(sql, *args)
        samples.append(clock.perf_counter() - started)
    return percentiles(samples)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used (Linux /proc), children excluded."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Profiler:
    """py-spy attached to the server while one read runs (``--profile DIR``): a raw
    (collapsed-stack) file per read, for flame graphs or a quick grep of where time goes."""

    def __init__(self, directory: Path | None, pid: int) -> None:
        self.directory, self.pid = directory, pid
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, label: str) -> None:
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() else "_" for c in label).strip("_")[:60]
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(self.pid),
             "--format", "raw", "--rate", "250", "--output",
             str(self.directory / f"{name}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        clock.sleep(1.0)  # attached before the first request

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(2)  # SIGINT: py-spy writes its file and exits
            self.process.wait(timeout=60)
            self.process = None


@dataclass(frozen=True, slots=True)
class Case:
    label: str
    query: str
    variables: dict[str, Any]
    floor_sql: str | None  # the same stored figures by one SELECT, when there is one
    floor_args: tuple[Any, ...]
    n: int  # requests, one client
    per_client: int  # requests per client, eight at once
    before: tuple[str, tuple[Any, ...]] | None = None  # SQL run first as the owner, its args


@dataclass(frozen=True, slots=True)
class Bench:
    district_id: uuid.UUID
    token: str  # a VIEWER's, as a dashboard holds
    today: date
    seconds: float | None  # seeding time; None when reused


async def viewer_token(admin_sm: Any, district_id: uuid.UUID) -> str:
    async with admin_sm() as session, session.begin():
        _, token = await tenancy.create_token(
            session=session,
            district_id=district_id,
            role=Role.VIEWER,
            name="bench dashboard",
            ttl=timedelta(days=1),
        )
    return token


async def build(size: Size, owner_dsn: str, admin_sm: Any, app_sm: Any) -> Bench:
    """The district and all its rows (the ANALYZE included)."""
    started = clock.perf_counter()
    async with admin_sm() as session, session.begin():
        district = await tenancy.create_district(
            session=session,
            slug="bench",
            name="Bench ISD",
            fiscal_year_start_month=FISCAL_YEAR_START_MONTH,
        )
        district_id = district.id
    async with tenant_transaction(app_sm, district_id) as session:
        calendar = await get_district_calendar(session=session, district_id=district_id)
        today = await district_today(session=session, district_id=district_id)
    assert calendar.fiscal_year_start_month == FISCAL_YEAR_START_MONTH
    schools, processes, controls = await reference_rows(app_sm, district_id, size, today)
    seed = Seed(size, district_id, today)
    seed_improvement(seed, schools, processes, controls)
    await copy_rows(owner_dsn, seed)
    await management_rows(admin_sm, app_sm, district_id, today, size)
    token = await viewer_token(admin_sm, district_id)
    return Bench(district_id, token, today, clock.perf_counter() - started)


async def reuse(admin_sm: Any, app_sm: Any) -> Bench:
    """The district a ``--keep`` run left, with a new token."""
    async with admin_sm() as session:
        district = await tenancy.get_district_by_slug(session=session, slug="bench")
    async with tenant_transaction(app_sm, district.id) as session:
        today = await district_today(session=session, district_id=district.id)
    # The verdict history as the worker leaves it (the last run's final reads made it stale).
    history = next(j for j in improvement_jobs() if j.name == "store_verdict_history")
    await run_job(
        sessionmaker=app_sm,
        district_id=district.id,
        actor_name=history.name,
        message_id="bench-reuse-history",
        body=full_run(history),
    )
    return Bench(district.id, await viewer_token(admin_sm, district.id), today, None)


COUNTS_SQL = """
SELECT (SELECT count(*) FROM schools) AS schools,
       (SELECT count(*) FROM projects) AS projects,
       (SELECT count(*) FROM savings_entries) AS entries,
       (SELECT count(*) FROM savings_entries WHERE reverses_id IS NOT NULL) AS reversals,
       (SELECT count(*) FROM savings_entries WHERE status = 'VALIDATED') AS validated,
       (SELECT count(*) FROM savings_entries WHERE adoption_id IS NOT NULL) AS with_adoption,
       (SELECT min(fiscal_year) FROM savings_entries) AS first_fy,
       (SELECT max(fiscal_year) FROM savings_entries) AS last_fy,
       (SELECT count(*) FROM sustainability_plans) AS plans,
       (SELECT count(*) FROM measurements) AS measurements,
       (SELECT count(*) FROM sustainability_reviews) AS reviews,
       (SELECT count(*) FROM practices) AS practices,
       (SELECT count(*) FROM adoptions) AS adoptions,
       (SELECT count(*) FROM measures) AS measures,
       (SELECT count(*) FROM measure_statuses) AS statuses,
       (SELECT count(*) FROM forums) AS forums,
       (SELECT count(*) FROM decisions) AS decisions
"""


async def describe(owner_dsn: str, bench: Bench, small: bool) -> None:
    conn = await asyncpg.connect(owner_dsn)
    try:
        c = await conn.fetchrow(COUNTS_SQL)
    finally:
        await conn.close()
    seeded = "reused (--reuse)" if bench.seconds is None else f"seeded in {bench.seconds:.1f} s"
    print(
        f"\nimprovement and management benchmark ({'small' if small else 'full'}, database "
        f"{BENCH_DB}): one district, {c['schools']} schools, {c['projects']} projects, "
        f"{c['entries']:,} savings entries ({c['reversals']:,} reversals, "
        f"{c['validated']:,} validated, {c['with_adoption']:,} of adoptions; "
        f"FY{c['first_fy']}-FY{c['last_fy']}),\n{c['plans']} plans x 3 monthly control "
        f"measures ({c['measures']} measures, {c['measurements']:,} measurements, "
        f"{c['statuses']:,} status rows, {c['reviews']:,} reviews), {c['practices']} practices "
        f"with {c['adoptions']} adoptions, {c['forums']} forums, {c['decisions']} overdue "
        f"decisions; {seeded} (not timed below)."
    )
    print(f"2 cores shared with other engineers; load average at start: {load_average()}")


async def print_recompute(app_sm: Any, owner_dsn: str, district_id: uuid.UUID) -> None:
    """(1) The full recompute, each job in its own run_job transaction."""
    jobs = improvement_jobs()
    seconds = await time_jobs(app_sm, district_id, jobs, rounds=3)
    conn = await asyncpg.connect(owner_dsn)
    try:
        floors = {
            j.name: await floor_seconds(conn, JOB_FLOOR_SQL[j.name], district_id)
            for j in jobs
            if j.name in JOB_FLOOR_SQL
        }
    finally:
        await conn.close()
    print(
        f"\n{'full recompute, run_job each (s)':<36}{'run 1':>8}{'run 2':>8}{'run 3':>8}"
        f"{'median':>8}{'floor':>8}{'x floor':>9}"
    )
    for job in jobs:
        runs, median = seconds[job.name], statistics.median(seconds[job.name])
        floor = floors.get(job.name)
        print(
            f"{job.name:<36}"
            + "".join(f"{s:>8.3f}" for s in runs)
            + f"{median:>8.3f}"
            + (f"{floor:>8.3f}{median / floor:>9.1f}" if floor else f"{'-':>8}{'-':>9}")
        )
    totals = [sum(seconds[j.name][r] for j in jobs) for r in range(3)]
    print(
        f"{'total (goal: under 2 s)':<36}"
        + "".join(f"{s:>8.3f}" for s in totals)
        + f"{statistics.median(totals):>8.3f}"
    )
    print(
        "floor: what the job reads, by one SELECT over asyncpg that writes nothing\n"
        "(savings: the same sums; compliance: the control measurements it checks, "
        "district-wide or at the project's schools; gains: the adopting schools' series)"
    )
    conn = await asyncpg.connect(owner_dsn)
    try:
        verdicts = await conn.fetch(
            "SELECT status, count(*) FROM plan_compliance GROUP BY status ORDER BY status"
        )
        gains = await conn.fetchrow(
            "SELECT count(*) AS all, count(gain) AS computed FROM adoption_gains"
        )
        rollups = await conn.fetchval("SELECT count(*) FROM savings_rollups")
        failed = await conn.fetch(
            "SELECT split_part(f, ':', 1) AS kind, count(DISTINCT plan_id) FROM "
            "plan_compliance, unnest(failed_checks) f GROUP BY 1 ORDER BY 1"
        )
    finally:
        await conn.close()
    print(
        "stored: verdicts "
        + ", ".join(f"{row['status']} {row['count']}" for row in verdicts)
        + " (plans failing "
        + ", ".join(f"{row['kind']} {row['count']}" for row in failed)
        + f"); {gains['computed']} of {gains['all']} adoption gains not null; "
        f"{rollups:,} savings roll-up rows"
    )


async def read_cases(owner_dsn: str, bench: Bench, size: Size, fiscal_year: int) -> list[Case]:
    """Every read timed over HTTP, ``me`` first (the peer every ratio is taken against)."""
    conn = await asyncpg.connect(owner_dsn)
    try:
        forum_id = await conn.fetchval("SELECT id FROM forums WHERE name = $1", LEADERSHIP_FORUM)
        process_id = await conn.fetchval("SELECT id FROM processes WHERE code = '1'")
    finally:
        await conn.close()
    district_id, today = bench.district_id, bench.today
    as_of = add_months(today.replace(day=1), -4)  # a past date: the worker's verdict history
    # As a write to a verdict's input does: the history stops being served until the worker
    # stores it again, and the verdicts of a past date are computed on the read.
    stale = (STALE_HISTORY_SQL, (district_id,))
    light, heavy = size.requests, max(10, size.requests // 4)
    per_client = size.requests_per_client
    few = max(3, per_client // 4)
    return [
        Case("me { role } (any request's fixed cost)", ME, {}, None, (), light, per_client),
        Case(f"savingsSummary(fiscalYear: {fiscal_year})", SAVINGS_SUMMARY,
             {"fy": fiscal_year}, SUMMARY_FLOOR_SQL, (district_id, fiscal_year), light,
             per_client),
        Case("sustainabilityCompliance (stored)", COMPLIANCE, {"asOf": None},
             COMPLIANCE_FLOOR_SQL, (district_id,), light, per_client),
        Case(f"sustainabilityCompliance(asOf: {as_of})", COMPLIANCE,
             {"asOf": as_of.isoformat()}, None, (), light, per_client),
        Case("practices (with adoptions)", PRACTICES, {}, None, (), light, per_client),
        Case("gainsAcrossDistrict", GAINS, {}, None, (), light, per_client),
        # A meeting's date: its plans' verdicts from the history, as for the asOf above.
        Case(f"agenda(leadership forum, {as_of})", AGENDA,
             {"forumId": str(forum_id), "asOf": as_of.isoformat()}, None, (), heavy, few),
        # Today: the verdicts the worker stored; the agenda's own reads.
        Case(f"agenda(leadership forum, {today})", AGENDA,
             {"forumId": str(forum_id), "asOf": today.isoformat()}, None, (), heavy, few),
        Case(f"processMatrix(key process 1, {school_year_of(today)})", MATRIX,
             {"processId": str(process_id), "schoolYear": school_year_of(today)}, None, (),
             light, per_client),
        Case("metricsHygiene", HYGIENE, {"asOf": today.isoformat()}, None, (), heavy, few),
        Case("forumHygiene", FORUM_HYGIENE, {"asOf": today.isoformat()}, None, (), light,
             per_client),
        Case("responsibilities(owner of key process 1)", RESPONSIBILITIES,
             {"email": MEMBER_EMAIL, "asOf": today.isoformat()}, None, (), heavy, few),
        Case("dataEntryReminders", REMINDERS, {"asOf": today.isoformat()}, None, (), heavy,
             few),
        # Last, the history made stale: the same two reads computing their verdicts.
        Case(f"sustainabilityCompliance(asOf: {as_of}), computed", COMPLIANCE,
             {"asOf": as_of.isoformat()}, None, (), heavy, few, stale),
        Case(f"agenda(leadership forum, {as_of}), computed", AGENDA,
             {"forumId": str(forum_id), "asOf": as_of.isoformat()}, None, (), heavy, few,
             stale),
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Server:
    name: str  # "this tree", or the baseline's name
    process: subprocess.Popen[bytes]
    base_url: str


def start_server(name: str, root: Path) -> Server:
    """``district-ppm serve`` of the source tree at ``root`` on a free loopback port."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": f"{root / 'src'}:{root}",
        "DISTRICT_PPM_LOG_LEVEL": "WARNING",
        # One token sends every request here; its budget would refuse them (200/burst).
        "DISTRICT_PPM_RATE_LIMIT_PER_MINUTE": "100000000",
        "DISTRICT_PPM_RATE_LIMIT_BURST": "100000000",
        # Every request executed: the response cache would answer repeated reads from Redis.
        "DISTRICT_PPM_RESPONSE_CACHE": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "district_ppm.cli", "serve", "--host", "127.0.0.1",
         "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return Server(name, process, f"http://127.0.0.1:{port}")


async def wait_until_up(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
        for _ in range(300):
            try:
                await http.get("/health")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)


@dataclass(slots=True)
class Single:
    p50: float
    p95: float
    cpu_ms: float
    rate: float


async def time_reads(
    cases: list[Case],
    servers: list[Server],
    token: str,
    owner_dsn: str,
    profile: Path | None,
    concurrently: bool,
) -> None:
    """(2) Every read over HTTP: one client, then eight at once; ratios against ``me`` on the
    same server. With a baseline (``--baseline``), each read is timed on both servers in turn
    (the order alternating from read to read), and the last column is this tree over the
    baseline."""
    compared = len(servers) > 1
    conn = await asyncpg.connect(owner_dsn)
    head = f"{'over HTTP (ms), district-ppm serve, 1 client':<48}"
    head += f"{'server':>10}" if compared else ""
    print(
        f"\n{head}{'n':>5}{'p50':>8}{'p95':>8}{'x me':>7}{'CPU/req':>9}{'SQL p50':>9}{'x SQL':>7}"
        + (f"{'CPU x base':>12}" if compared else "")
    )
    single: dict[tuple[str, str], Single] = {}
    try:
        for index, case in enumerate(cases):
            if case.before is not None:
                await conn.execute(*case.before[:1], *case.before[1])
            floor = None
            if case.floor_sql is not None:
                await sql_latency(conn, case.floor_sql, case.floor_args, 20)
                floor = await sql_latency(conn, case.floor_sql, case.floor_args, case.n)
            order = servers if index % 2 == 0 else servers[::-1]
            for server in order:
                url = server.base_url
                await one_client(url, token, case.query, case.variables, 10)  # warm up
                profiler = Profiler(
                    profile / server.name if profile and compared else profile, server.process.pid
                )
                profiler.start(case.label)
                cpu = cpu_seconds(server.process.pid)
                samples = await one_client(url, token, case.query, case.variables, case.n)
                cpu_ms = (cpu_seconds(server.process.pid) - cpu) * 1000 / case.n
                profiler.stop()
                single[(server.name, case.label)] = Single(
                    *percentiles(samples), cpu_ms, case.n / sum(samples)
                )
            for server in servers:
                found = single[(server.name, case.label)]
                peer = single[(server.name, cases[0].label)]
                line = f"{case.label:<48}" + (f"{server.name:>10}" if compared else "")
                line += f"{case.n:>5}{found.p50:>8.1f}{found.p95:>8.1f}{found.p50 / peer.p50:>7.1f}"
                line += f"{found.cpu_ms:>9.1f}"
                line += f"{floor:>9.2f}{found.p50 / floor:>7.0f}" if floor else f"{'-':>9}{'-':>7}"
                if compared and server is servers[0]:
                    base = single[(servers[1].name, case.label)]
                    line += f"{found.cpu_ms / base.cpu_ms:>12.2f}" if base.cpu_ms else ""
                print(line)
    finally:
        await conn.close()
    print(
        "x me: p50 over that of me { role } (token, one transaction, no read) on the same\n"
        "server in the same run; CPU/req: the server process's CPU ms per request"
        + ("; CPU x base: this tree's CPU/req over the baseline's" if compared else "")
        + ". Goal: p95 under 50 ms."
    )
    if not concurrently:
        return
    head = f"{f'{CONCURRENT_CLIENTS} clients at once':<48}"
    head += f"{'server':>10}" if compared else ""
    print(
        f"\n{head}{'n':>5}{'req/s':>8}{'p50':>8}{'p95':>8}{'x me':>7}{'1 client req/s':>16}"
        + (f"{'x base':>8}" if compared else "")
    )
    rates: dict[tuple[str, str], float] = {}
    for index, case in enumerate(cases):
        order = servers if index % 2 == 0 else servers[::-1]
        loaded: dict[str, list[float]] = {}
        for server in order:
            rate, loaded[server.name] = await concurrent(
                server.base_url,
                token,
                case.query,
                case.variables,
                CONCURRENT_CLIENTS,
                case.per_client,
            )
            rates[(server.name, case.label)] = rate
        for server in servers:
            rate = rates[(server.name, case.label)]
            p50, p95 = percentiles(loaded[server.name])
            line = f"{case.label:<48}" + (f"{server.name:>10}" if compared else "")
            line += f"{len(loaded[server.name]):>5}{rate:>8.0f}{p50:>8.1f}{p95:>8.1f}"
            line += f"{rate / rates[(server.name, cases[0].label)]:>7.2f}"
            line += f"{single[(server.name, case.label)].rate:>16.0f}"
            if compared and server is servers[0]:
                line += f"{rate / rates[(servers[1].name, case.label)]:>8.2f}"
            print(line)
    print(
        "x me: req/s over that of me { role } on the same server at the same concurrency"
        + ("; x base: this tree's req/s over the baseline's" if compared else "")
    )
    print(f"load average at end: {load_average()}")


async def main(
    small: bool,
    reused: bool,
    only: list[str],
    profile: Path | None,
    single: bool,
    baseline: Path | None,
) -> None:
    size = SMALL if small else FULL
    settings = get_settings()
    owner_dsn = settings.admin_url.set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    admin_engine, app_engine = create_admin_engine(settings), create_app_engine(settings)
    admin_sm, app_sm = make_sessionmaker(admin_engine), make_sessionmaker(app_engine)
    servers: list[Server] = []
    try:
        if reused:
            bench = await reuse(admin_sm, app_sm)
        else:
            bench = await build(size, owner_dsn, admin_sm, app_sm)
        await describe(owner_dsn, bench, small)
        if not reused:
            await print_recompute(app_sm, owner_dsn, bench.district_id)

        # (2) The reads over HTTP, against `district-ppm serve` (and the baseline's).
        servers.append(start_server("this tree", ROOT))
        if baseline is not None:
            servers.append(start_server(baseline.name, baseline))
        for server in servers:
            await wait_until_up(server)
        # The last closed year: every status, many validated entries.
        fiscal_year = bench.today.year + (bench.today.month >= FISCAL_YEAR_START_MONTH) - 1
        cases = await read_cases(owner_dsn, bench, size, fiscal_year)
        cases = [cases[0]] + [
            c for c in cases[1:] if not only or any(o.lower() in c.label.lower() for o in only)
        ]
        await time_reads(cases, servers, bench.token, owner_dsn, profile, not single)
    finally:
        for server in servers:
            server.process.terminate()
            server.process.wait(timeout=10)
        await admin_engine.dispose()
        await app_engine.dispose()
        if KEPT:
            print(f"database {BENCH_DB} kept: --reuse{' --small' if small else ''} reads it again")
        else:
            conn = await asyncpg.connect(BASE_URL)
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            finally:
                await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick smoke run")
    parser.add_argument(
        "--keep", action="store_true", help=f"build into {BENCH_DB} and keep it (for --reuse)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time the reads on the database a --keep run left (no seeding, no recompute)",
    )
    parser.add_argument(
        "--only", action="append", default=[], help="time only the reads whose label has this"
    )
    parser.add_argument(
        "--profile", type=Path, help="py-spy each read into DIR/<read>.txt (raw stacks)"
    )
    parser.add_argument(
        "--single", action="store_true", help="one client only (no eight-client section)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. a git worktree of an earlier commit): its server is timed "
        "beside this tree's on every read, in turn, against the same database",
    )
    arguments = parser.parse_args()
    if arguments.reuse and arguments.keep:
        parser.error("--keep builds the database --reuse reads: name one")
    migrate(get_settings())  # runs its own event loops, so before ours
    asyncio.run(
        main(
            arguments.small,
            arguments.reuse,
            arguments.only,
            arguments.profile,
            arguments.single,
            arguments.baseline,
        )
    )
