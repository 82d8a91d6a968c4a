"""XmR limits and Western Electric rules, against hand-computed numbers and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from district_ppm.analytics.xmr import (
    RULES,
    Assurance,
    ChartStatus,
    Limits,
    assurance,
    baseline_limits,
    signals_at,
    xmr_chart,
)

# Twelve alternating points: CL = 10 and every moving range is 1.128, so sigma-hat = 1 exactly.
BASELINE = [9.436, 10.564] * 6
AFTER = [13.5, 12.5, 11.5, 11.5, 10.5, 10.5, 10.5]


def test_limits_by_hand():
    limits = baseline_limits([10, 12, 11, 13, 12, 14])
    # CL = 72 / 6 = 12; moving ranges 2, 1, 2, 1, 2 -> MR-bar 1.6; sigma-hat = 1.6 / 1.128
    assert limits is not None
    assert limits.center == pytest.approx(12.0)
    assert limits.sigma == pytest.approx(1.6 / 1.128)
    assert limits.upper == pytest.approx(12 + 3 * 1.6 / 1.128)
    assert limits.lower == pytest.approx(12 - 3 * 1.6 / 1.128)


def test_fewer_than_six_points_is_not_enough_data():
    chart = xmr_chart([1.0, 2.0, 3.0, 4.0, 5.0], higher_is_better=True)
    assert chart.status is ChartStatus.NOT_ENOUGH_DATA
    assert chart.limits is None
    assert [p.signals for p in chart.points] == [()] * 5


def test_baseline_is_the_first_twelve_points_only():
    limits = baseline_limits([*BASELINE, 100.0, -100.0])
    assert limits is not None
    assert limits.center == pytest.approx(10.0)
    assert limits.sigma == pytest.approx(1.0)


def test_each_rule_fires_where_computed_by_hand():
    chart = xmr_chart(BASELINE + AFTER, higher_is_better=True)

    signals = {i: p.signals for i, p in enumerate(chart.points) if p.signals}
    # 12: 13.5 is 3.5 sigma out (rule 1). 13: 13.5 and 12.5 beyond 2 sigma (rule 2).
    # 15: 12.5, 11.5, 11.5 and 13.5 beyond 1 sigma in the last five (rule 3).
    # 18: eight above CL from index 11 (10.564) to 18 (rule 4).
    assert signals == {12: (1,), 13: (2,), 15: (3,), 18: (4,)}
    assert not any(p.unfavorable for p in chart.points)


def test_signals_on_the_bad_side_are_unfavorable():
    chart = xmr_chart(BASELINE + AFTER, higher_is_better=False)
    assert [i for i, p in enumerate(chart.points) if p.unfavorable] == [12, 13, 15, 18]


def test_a_point_inside_the_zone_does_not_carry_the_rule_of_its_window():
    # Index 14 (11.5): two of the last three are beyond 2 sigma, but not the point itself.
    chart = xmr_chart(BASELINE + AFTER[:3], higher_is_better=True)
    assert chart.points[14].signals == ()


def test_low_side_rule_one_and_point_on_the_centre_line_breaks_rule_four():
    center = baseline_limits(BASELINE).center  # type: ignore[union-attr]
    below = [9.0] * 6 + [center] + [9.0]  # 6.5 and six 9s make seven; then one on the line
    chart = xmr_chart([*BASELINE, 6.5, *below], higher_is_better=True)
    assert chart.points[12].signals == (1,) and chart.points[12].unfavorable
    assert all(4 not in p.signals for p in chart.points)


def test_rule_four_continues_while_the_run_lasts():
    chart = xmr_chart([*BASELINE, *([10.5] * 10)], higher_is_better=True)
    # Index 11 (10.564) starts the run, so indices 18..21 close eight-point windows above CL.
    assert [i for i, p in enumerate(chart.points) if 4 in p.signals] == [18, 19, 20, 21]


@pytest.mark.parametrize(
    ("target", "higher_is_better", "expected"),
    [
        (5.0, True, Assurance.WILL_PASS),
        (15.0, True, Assurance.WILL_FAIL),
        (5.0, False, Assurance.WILL_FAIL),
        (15.0, False, Assurance.WILL_PASS),
        (11.0, True, Assurance.SOMETIMES),
        (13.0, False, Assurance.SOMETIMES),
    ],
)
def test_assurance_reading(target, higher_is_better, expected):
    limits = Limits(center=10.0, sigma=1.0)  # 7 .. 13
    assert assurance(target, limits, higher_is_better=higher_is_better) is expected


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(st.lists(finite, min_size=12, max_size=30), finite)
def test_limits_do_not_move_when_a_point_is_added_after_the_baseline(values, extra):
    assert baseline_limits([*values, extra]) == baseline_limits(values)


@given(
    st.lists(finite, min_size=12, max_size=12),
    st.lists(st.floats(min_value=1e-3, max_value=1e6), min_size=8, max_size=8),
    st.booleans(),
)
def test_a_shifted_run_of_eight_always_carries_rule_four(baseline, offsets, upward):
    limits = baseline_limits(baseline)
    assert limits is not None
    sign = 1 if upward else -1
    shifted = [limits.center + sign * (abs(limits.center) * 1e-9 + o) for o in offsets]
    chart = xmr_chart(baseline + shifted, higher_is_better=True)
    assert 4 in chart.points[-1].signals
    assert chart.points[-1].unfavorable is (not upward)


def rules_by_definition(values: list[float], index: int, limits: Limits) -> tuple[int, ...]:
    """The rules the point carries, read straight from the definition: the point beyond the
    rule's zone on one side, and at least ``needed`` points of its window beyond it there."""
    carried = []
    for rule, (window, needed, zone) in RULES.items():
        if index + 1 < window:
            continue
        edge = zone * limits.sigma

        def side(value: float, edge: float = edge) -> int:
            return (value - limits.center > edge) - (value - limits.center < -edge)

        run = values[index + 1 - window : index + 1]
        here = side(values[index])
        if here and sum(1 for v in run if side(v) == here) >= needed:
            carried.append(rule)
    return tuple(carried)


@given(
    st.lists(
        # few distinct values: points on the centre line and on the zones' edges are common
        st.one_of(finite, st.sampled_from([9.436, 10.0, 10.564, 11.0, 12.0, 13.0, 7.0])),
        min_size=6,
        max_size=40,
    ),
    st.integers(min_value=0, max_value=40),
)
def test_every_point_carries_the_rules_of_the_definition(values, start):
    limits = baseline_limits(values)
    assert limits is not None
    start = min(start, len(values))
    expected = [rules_by_definition(values, i, limits) for i in range(start, len(values))]
    assert [signals_at(values, i, limits) for i in range(start, len(values))] == expected
    assert [p.signals for p in xmr_chart(values, higher_is_better=True).points] == [
        rules_by_definition(values, i, limits) for i in range(len(values))
    ]
