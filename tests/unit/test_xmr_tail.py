"""The end of an XmR chart read three shorter ways, each against the whole chart: the chart of
the periods ``tail_periods`` keeps ends on the same points with the same signals;
``chart_tail`` judges the last points as ``xmr_chart`` does; ``latest_point`` is the latest
point of ``draw_chart``."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from district_ppm.analytics.xmr import xmr_chart
from district_ppm.analytics.xmr_tail import (
    chart_tail,
    latest_point,
    tail_periods,
    unfavorable_tails,
)
from district_ppm.measures.charts import draw_chart
from district_ppm.sustainability.periods import add_months

FIRST = date(2022, 7, 1)
Series = list[tuple[date, float]]


@st.composite
def charts(draw: st.DrawFn) -> tuple[Series, date | None, set[date], bool, int]:
    length = draw(st.integers(0, 48))
    # Gaps between months, values from a few levels with runs and jumps, so that every rule
    # fires somewhere and ties with the centre line occur.
    months = sorted(draw(st.sets(st.integers(0, 60), min_size=length, max_size=length)))
    levels = st.sampled_from([8.0, 9.5, 10.0, 10.5, 11.0, 12.0, 14.0, 30.0])
    series = [(add_months(FIRST, m), draw(levels)) for m in months]
    periods = [p for p, _ in series]
    start = draw(st.one_of(st.none(), st.sampled_from(periods) if periods else st.none()))
    excluded = draw(st.sets(st.sampled_from(periods), max_size=6)) if periods else set()
    return series, start, excluded, draw(st.booleans()), draw(st.sampled_from([1, 6]))


def chart_end(
    series: Series, start: date | None, excluded: set[date], higher: bool, points: int
) -> tuple[object, ...]:
    """The chart's status and limits, its last charted point, and its last ``points`` kept
    points with their signals."""
    _, chart, charted = draw_chart(
        series,
        start_period=start,
        exclusions=dict.fromkeys(excluded, "why"),
        higher_is_better=higher,
    )
    last = (charted[-1].period_start, charted[-1].unfavorable) if charted else None
    return chart.status, chart.limits, last, chart.points[-points:]


@settings(max_examples=500, deadline=None)
@given(charts())
def test_the_kept_periods_end_the_chart_on_the_same_points(chart) -> None:  # type: ignore[no-untyped-def]
    series, start, excluded, higher, points = chart
    kept = tail_periods([p for p, _ in series], start, excluded, points)
    reduced = [(p, v) for p, v in series if p in kept]

    assert chart_end(reduced, start, excluded, higher, points) == chart_end(
        series, start, excluded, higher, points
    )


def test_a_long_history_keeps_its_baseline_and_its_last_kept_points() -> None:
    periods = [add_months(FIRST, m) for m in range(36)]
    excluded = {periods[3], periods[34]}
    kept_points = [p for p in periods[1:] if p not in excluded]  # from the rebase at month 1

    latest = tail_periods(periods, periods[1], excluded)
    last_six = tail_periods(periods, periods[1], excluded, points=6)

    # The baseline (months 1-2, 4-13), the last 8 kept (27-33, 35); then the last 13 kept.
    assert latest == {*kept_points[:12], *kept_points[-8:]}
    assert last_six == {*kept_points[:12], *kept_points[-13:]}
    assert (len(latest), len(last_six)) == (20, 25)
    assert tail_periods(periods, None, set(periods)) == {periods[-1]}  # excluded: shown only


@settings(max_examples=500, deadline=None)
@given(charts())
def test_the_tail_of_a_chart_is_judged_as_the_whole_chart_judges_it(chart) -> None:  # type: ignore[no-untyped-def]
    series, _, _, higher, points = chart
    values = [v for _, v in series]

    whole = xmr_chart(values, higher_is_better=higher)
    tail = chart_tail(values, higher_is_better=higher, points=points)

    assert (tail.status, tail.limits) == (whole.status, whole.limits)
    assert tail.points == whole.points[-points:]


@settings(max_examples=500, deadline=None)
@given(charts())
def test_the_latest_point_is_the_one_draw_chart_ends_on(chart) -> None:  # type: ignore[no-untyped-def]
    series, start, excluded, higher, _ = chart
    _, _, charted = draw_chart(
        series,
        start_period=start,
        exclusions=dict.fromkeys(excluded, "why"),
        higher_is_better=higher,
    )

    found = latest_point(series, start=start, exclusions=excluded, higher_is_better=higher)

    assert found == ((charted[-1].period_start, charted[-1].unfavorable) if charted else None)


@settings(max_examples=500, deadline=None)
@given(charts())
def test_each_prefix_is_judged_as_its_own_chart_judges_it(chart) -> None:  # type: ignore[no-untyped-def]
    series, _, _, higher, points = chart
    values = [v for _, v in series]

    flags = unfavorable_tails(values, higher_is_better=higher, points=points)

    assert flags == [
        any(p.unfavorable for p in xmr_chart(values[:n], higher_is_better=higher).points[-points:])
        for n in range(1, len(values) + 1)
    ]


def test_a_point_far_below_stays_in_the_tail_for_six_points() -> None:
    steady = [50.0, 51.0, 49.0, 50.5, 49.5, 50.0, 51.5, 48.5, 50.0, 50.2, 49.8, 50.0]
    values = [*steady, 20.0, *steady[:6]]

    flags = unfavorable_tails(values, higher_is_better=True, points=6)

    assert flags == [False] * 12 + [True] * 6 + [False]
    assert not any(unfavorable_tails(values, higher_is_better=False, points=6))
