"""How each KPI of the demo district behaves: the range it stays in, its level, its noise, its
season and its drift. Ranges are what a district of this size reports (chronic absence 8-25%,
lunch participation 60-75%, meals per labor hour 12-18, graduation 80-92%, 250-450 students per
counselor, plate waste 20-40% ...); the tests hold every seeded value to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from district_ppm.schools.models import SchoolLevel

SCHOOL_MONTHS = frozenset({8, 9, 10, 11, 12, 1, 2, 3, 4, 5})  # no school data in June and July
ALL_MONTHS = frozenset(range(1, 13))
E, M, H = SchoolLevel.ELEMENTARY, SchoolLevel.MIDDLE, SchoolLevel.HIGH

# Seasonal shapes, month -> offset in units of a profile's amplitude.
SEASONS: dict[str, dict[int, float]] = {
    "flat": {},
    # Attendance dips with winter illness and before breaks.
    "winter_dip": {8: 0.4, 9: 0.5, 10: 0.3, 11: 0.0, 12: -0.6, 1: -0.5, 2: -1.0, 3: -0.3, 5: -0.2},
    # Chronic absence counts the year so far: low in the first weeks, building through winter.
    "build_up": {8: -1.0, 9: -0.6, 10: -0.2, 11: 0.1, 12: 0.4, 1: 0.6, 2: 0.9, 3: 0.8, 4: 0.7},
    # Start-of-year rush: vacancies, help-desk load, work orders.
    "school_start": {8: 1.0, 9: 0.5, 10: 0.1, 12: -0.3, 5: -0.2, 6: -0.4, 7: 0.3},
    # Cooling in a Texas summer, a little heating in January.
    "summer_peak": {6: 0.7, 7: 1.0, 8: 1.0, 9: 0.6, 5: 0.3, 10: 0.2, 1: 0.15, 12: 0.1, 11: -0.1},
    # Professional learning: pre-service week in August, PD days in October and January.
    "pd_days": {8: 1.5, 10: 0.3, 1: 0.4, 2: 0.2, 12: -0.4, 5: -0.3},
    # Discipline incidents climb through spring.
    "spring_rise": {8: -0.6, 9: -0.2, 11: 0.1, 12: -0.2, 1: 0.2, 2: 0.4, 3: 0.5, 4: 0.6, 5: 0.3},
    # Participation is lower in the first weeks and before the winter break.
    "meal_weeks": {8: -0.8, 9: 0.2, 10: 0.4, 11: 0.2, 12: -0.5, 1: 0.0, 2: 0.3, 3: 0.2, 5: -0.4},
}


@dataclass(frozen=True, slots=True)
class Profile:
    """One KPI's behaviour. ``level`` is one figure, or (elementary, middle, high). Counts and
    hours that grow with a school's size are ``per_600``: level and range are for a school of
    600 students, noise, season and drift are fractions. Otherwise noise, season and drift
    are in the value's own units; drift is the change per school year."""

    low: float
    high: float
    level: float | tuple[float, float, float]
    noise: float
    decimals: int = 1
    season: str = "flat"
    amplitude: float = 0.0
    drift: float = 0.0
    per_600: bool = False
    months: frozenset[int] = SCHOOL_MONTHS
    levels: frozenset[SchoolLevel] | None = None  # only these schools report (None: all)
    # Targets are the year before's district-wide mean moved by ``step`` in the better
    # direction; the red threshold is that mean moved by ``red`` in the worse one. Defaults:
    # 5% and 15% of the range; for district sums, 3% and 10% of the mean (as fractions).
    step: float | None = None
    red: float | None = None
    computed: bool = False  # the transportation worker writes its values from bus runs

    def level_of(self, level: SchoolLevel | None) -> float:
        if isinstance(self.level, tuple):
            return self.level[{E: 0, M: 1, H: 2}.get(level or H, 2)]
        return self.level


P = Profile
PROFILES: dict[str, Profile] = {
    # Teaching and learning
    "TL-PD-HOURS": P(40, 160, 70, 0.08, 0, "pd_days", 0.5, 0.03, per_600=True),
    "TL-WALKTHROUGHS": P(10, 60, 32, 0.12, 0, "school_start", -0.3, 0.05, per_600=True),
    "TL-PLC-MEETINGS": P(8, 30, 16, 0.1, 0, "flat", 0, 0.04, per_600=True),
    "TL-ASSESS-DONE": P(85, 99, (95.0, 92.5, 90.0), 1.0, drift=0.4),
    "TL-ELA-PROF": P(35, 70, (58.0, 51.0, 48.0), 1.2, drift=1.3, months=frozenset({7})),
    "TL-MATH-PROF": P(30, 65, (52.0, 43.0, 40.0), 1.2, drift=1.0, months=frozenset({7})),
    "TL-ON-TRACK-9": P(75, 92, 82.0, 0.8, 1, "winter_dip", 1.0, 1.0, levels=frozenset({H})),
    "TL-GRAD-RATE": P(80, 92, 84.6, 0.4, drift=0.9, months=frozenset({7})),
    # Student support
    "SS-ADA": P(91, 97, (95.1, 94.2, 92.6), 0.3, 1, "winter_dip", 0.8, 0.1),
    "SS-CHRONIC-ABS": P(8, 25, (14.8, 18.6, 21.4), 0.45, 1, "build_up", 1.2, -0.2, step=1.0),
    "SS-OUTREACH": P(15, 160, 36, 0.1, 0, "flat", 0, 0.0, per_600=True),
    "SS-COUNSELOR-RATIO": P(250, 450, 340.0, 0.0),  # enrollment over counselor FTE, below
    "SS-SUSPENSIONS": P(0, 20, (2.3, 6.3, 4.2), 0.25, 0, "spring_rise", 0.4, -0.04, True),
    "SS-MENTOR-HOURS": P(20, 140, 45, 0.1, 0, "flat", 0, 0.02, per_600=True),
    # Nutrition
    "NUT-MPLH": P(12, 18, (15.6, 14.6, 13.6), 0.35, 1, "meal_weeks", 0.4, 0.15),
    "NUT-ADP-LUNCH": P(60, 75, (67.0, 64.0, 61.8), 0.6, 1, "meal_weeks", 1.0, 0.2),
    "NUT-ADP-BREAKFAST": P(20, 45, (41.0, 35.0, 31.0), 0.6, 1, "meal_weeks", 0.8, -0.3),
    "NUT-FOOD-COST": P(1.45, 2.2, 1.68, 0.015, 2, "flat", 0, 0.03, step=0.04, red=0.09),
    "NUT-WASTE": P(20, 40, (33.0, 29.5, 27.0), 0.8, 1, "meal_weeks", -0.6, -0.2),
    # Transportation: the four time-loss KPIs and the on-time rate come from the bus runs.
    "TRN-ON-TIME": P(85, 97, 88.0, 0, computed=True, step=1.2, red=2.4),
    "TRN-LATE-INSTANCES": P(0, 80, 40.0, 0, 0, computed=True),
    "TRN-AVG-LATE-MIN": P(3, 30, 15.0, 0, 2, computed=True),
    "TRN-INSTR-HOURS-LOST": P(0, 40, 5.0, 0, 2, computed=True),
    "TRN-STUDENT-INSTR-HOURS-LOST": P(0, 1500, 100.0, 0, 2, computed=True),
    "TRN-COST-PER-RIDER": P(80, 120, 98.0, 1.8, 2, "school_start", 3.0, 1.5, months=ALL_MONTHS),
    # Facilities, technology, finance, people, governance
    "FAC-WO-CLOSED-ON-TIME": P(70, 92, 81.0, 1.8, drift=1.0, months=ALL_MONTHS),
    "FAC-WO-BACKLOG": P(8, 60, 24, 0.12, 0, "school_start", 0.3, -0.04, True, ALL_MONTHS),
    "FAC-ENERGY-SQFT": P(0.1, 0.26, 0.15, 0.006, 3, "summer_peak", 0.06, 0.004, months=ALL_MONTHS),
    "TEC-TICKET-RESOLVE": P(70, 90, 79.0, 1.5, 1, "school_start", -4.0, 1.2, months=ALL_MONTHS),
    "TEC-DEVICE-UPTIME": P(90, 99, 95.5, 0.6, 1, "school_start", -1.0, 0.3),
    "FIN-INVOICES-ON-TIME": P(88, 99, 93.5, 1.0, drift=0.6, months=ALL_MONTHS),
    "FIN-BUDGET-VARIANCE": P(0.5, 4, 1.9, 0.3, drift=-0.1, months=ALL_MONTHS, step=0.2, red=0.5),
    "HR-TIME-TO-FILL": P(25, 60, 41, 3.0, 0, "school_start", -6.0, -1.0, months=ALL_MONTHS),
    "HR-VACANCIES": P(0, 8, 2.2, 0.25, 0, "school_start", 0.8, -0.05, True, ALL_MONTHS),
    "HR-TEACHER-RETENTION": P(80, 92, (88.0, 85.0, 84.0), 1.0, drift=0.5, months=frozenset({7})),
    "GOV-DECISIONS-ON-TIME": P(70, 95, 81.0, 2.5, drift=2.0),
    "GOV-FAMILY-SATISFACTION": P(75, 92, (86.0, 81.0, 78.5), 1.0, drift=0.7, months=frozenset({7})),
    # The demo's own outcomes
    "OUT-KINDER-READY": P(
        55, 80, 63.0, 1.5, drift=1.5, months=frozenset({7}), levels=frozenset({E})
    ),
    "OUT-COLLEGE-ENROLL": P(50, 68, 56.5, 0.8, drift=0.8, months=frozenset({7})),
    "OUT-CAREER-CERT": P(10, 28, 15.5, 0.8, drift=2.0, months=frozenset({7})),
}

# Counselor FTE per school (by name): students per counselor is enrollment over these, 250-450.
COUNSELORS = {
    "Lincoln Elementary": 1.5,
    "Washington Elementary": 1.5,
    "Roosevelt Elementary": 2.0,
    "Jefferson Middle": 2.5,
    "Madison Middle": 2.0,
    "Central High": 4.5,
}
# Madison Middle hires a third counselor this school year (the ratio falls from ~390 to ~310).
COUNSELOR_HIRES = {"Madison Middle": 2.5}
