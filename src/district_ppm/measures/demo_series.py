"""How the demo's measurements are drawn: each series is a level (by school level, or per 600
students), a school's own bias, a season, a yearly drift, the story's changes (``Effect``) and
noise, seeded by measure code and school, clamped to the profile's stated range."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from district_ppm.analytics.xmr import baseline_limits
from district_ppm.demo import DemoStory, enrollment_of
from district_ppm.measures.demo_profiles import (
    COUNSELOR_HIRES,
    COUNSELORS,
    PROFILES,
    SEASONS,
    Profile,
)
from district_ppm.measures.models import Frequency, Measure, MeasureLevel
from district_ppm.measures.recording import MeasurementValue
from district_ppm.schools.models import School


@dataclass(frozen=True, slots=True)
class Effect:
    """A change in a series from ``start`` on: ``delta`` in the value's units, or a fraction
    of it for a ``per_600`` profile; at the named schools (None: all) with a chart note."""

    start: date
    delta: float
    note: str
    schools: frozenset[str] | None = None


def effects_of(story: DemoStory) -> dict[str, list[Effect]]:
    """The story's changes, by measure code."""
    adopters = {"Lincoln Elementary": story.outreach_pilot, **story.outreach_spread}
    outreach = [
        Effect(day, 0, f"Attendance outreach team starts at {name}", frozenset({name}))
        for name, day in adopters.items()
    ]

    def per_school(delta: float) -> list[Effect]:
        return [Effect(e.start, delta, e.note, e.schools) for e in outreach]

    return {
        "SS-CHRONIC-ABS": per_school(-4.0),
        "SS-ADA": per_school(0.6),
        "SS-OUTREACH": per_school(1.4),
        "NUT-ADP-LUNCH": [Effect(story.lunch_menu, 4.5, "Scratch-cooked lunch menu")],
        "NUT-WASTE": [Effect(story.share_tables, -5.0, "Share tables in every cafeteria")],
        "NUT-ADP-BREAKFAST": [
            Effect(story.breakfast_drop, -6.5, "Breakfast service closes at the first bell")
        ],
        "SS-MENTOR-HOURS": [
            Effect(
                story.tutoring_start,
                0.8,
                "After-school tutoring at the middle schools, paid from bus savings",
                frozenset({"Jefferson Middle", "Madison Middle"}),
            )
        ],
    }


def periods_of(measure: Measure, profile: Profile, story: DemoStory) -> list[date]:
    """Three complete school years and this one's complete months (school months only,
    unless the profile reports all year); one July 1st per complete year for yearly ones."""
    if measure.frequency is Frequency.SCHOOL_YEAR:
        return [date(year - 1, 7, 1) for year in range(story.school_year - 3, story.school_year)]
    periods, month = [], story.data_start
    while month < story.today.replace(day=1):
        if month.month in profile.months:
            periods.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return periods


def _applies(effect: Effect, school: School | None, period: date) -> bool:
    at_school = effect.schools is None or (school is not None and school.name in effect.schools)
    return at_school and period >= effect.start.replace(day=1)


def series_of(
    measure: Measure,
    profile: Profile,
    story: DemoStory,
    school: School | None,
    effects: Sequence[Effect],
) -> list[MeasurementValue]:
    """One school's (or the district's) values: level, bias, season, drift, effects, noise."""
    rng = random.Random(f"{measure.code}/{school.name if school else 'district'}")
    scale = enrollment_of(school) / 600 if school and profile.per_600 else 1.0
    level = profile.level_of(school.level if school else None)
    if profile.per_600:
        level, low, high = level * scale, profile.low * scale, profile.high * scale
        bias = rng.gauss(0, 0.06)
    else:
        low, high, bias = profile.low, profile.high, rng.gauss(0, 1.2 * profile.noise)
    values = []
    for period in periods_of(measure, profile, story):
        years = (period - story.data_start).days / 365.25
        shape = SEASONS[profile.season].get(period.month, 0.0)
        change = sum(e.delta for e in effects if _applies(e, school, period))
        noise = rng.gauss(0, profile.noise)
        if profile.per_600:
            value = level * (1 + bias) * (1 + profile.amplitude * shape)
            value *= (1 + profile.drift * years) * (1 + change) * (1 + noise)
        else:
            value = level + bias + profile.amplitude * shape + profile.drift * years + change
            value += noise
        value = round(min(max(value, low), high), profile.decimals)
        values.append(MeasurementValue(period, value, school.id if school else None))
    return values


def counselor_ratios(
    measure: Measure, profile: Profile, story: DemoStory, school: School
) -> list[MeasurementValue]:
    """Students per counselor: the month's enrollment over counselor FTE, with both parts so
    the district's figure is all students over all counselors."""
    rng = random.Random(f"{measure.code}/{school.name}")
    hired = date(story.school_year - 1, 8, 1)
    values = []
    for period in periods_of(measure, profile, story):
        # A school the demo did not create has a counselor per 340 students.
        fte = COUNSELORS.get(school.name) or max(1.0, round(enrollment_of(school) / 170) / 2)
        if period >= hired:
            fte = COUNSELOR_HIRES.get(school.name, fte)
        students = round(enrollment_of(school) * (1 + rng.gauss(0, 0.006)))
        ratio = min(max(round(students / fte, 1), profile.low), profile.high)
        values.append(MeasurementValue(period, ratio, school.id, students, fte))
    return values


def with_counts(values: list[MeasurementValue], school: School) -> list[MeasurementValue]:
    """Chronic absence as counts of students: the district's rate pools the schools'."""
    enrolled = enrollment_of(school)
    low, high = PROFILES["SS-CHRONIC-ABS"].low, PROFILES["SS-CHRONIC-ABS"].high
    counted = []
    for v in values:
        students = round(enrolled * v.value / 100)
        # Whole students may round the rate just out of range: one more (or fewer) keeps it in.
        while round(100 * students / enrolled, 1) < low:
            students += 1
        while round(100 * students / enrolled, 1) > high:
            students -= 1
        counted.append(
            MeasurementValue(
                v.period_start, round(100 * students / enrolled, 1), v.school_id, students, enrolled
            )
        )
    return counted


def with_price_jump(values: list[MeasurementValue]) -> list[MeasurementValue]:
    """The latest month's food cost jumps beyond the chart's upper limit (a new contract)."""
    limits = baseline_limits([v.value for v in values])
    if limits is None:
        return values
    jumped = round(limits.center + 4.5 * limits.sigma + 0.005, 2)
    last = values[-1]
    return [*values[:-1], MeasurementValue(last.period_start, jumped, last.school_id)]


def values_of(
    measure: Measure,
    profile: Profile,
    story: DemoStory,
    schools: list[School],
    effects: list[Effect],
) -> list[MeasurementValue]:
    if measure.level is MeasureLevel.DISTRICT:
        values = series_of(measure, profile, story, None, effects)
        return with_price_jump(values) if measure.code == "NUT-FOOD-COST" else values
    values = []
    for school in schools:
        if profile.levels is not None and school.level not in profile.levels:
            continue
        if measure.code == "SS-COUNSELOR-RATIO":
            values += counselor_ratios(measure, profile, story, school)
        elif measure.code == "SS-CHRONIC-ABS":
            values += with_counts(series_of(measure, profile, story, school, effects), school)
        else:
            values += series_of(measure, profile, story, school, effects)
    return values
