"""School comparison and district aggregation against hand-computed numbers."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from district_ppm.analytics.aggregation import (
    Aggregation,
    SchoolValue,
    _round_half_up_by_digits,
    aggregate,
    derived,
    derived_each,
    round_half_up,
)
from district_ppm.analytics.comparison import (
    competition_ranks,
    gaps_to_best,
    per_100,
    percentile,
    standings,
)

# school: (level, value)
SCHOOLS = {"A": ("E", 90.0), "B": ("E", 80.0), "C": ("E", 80.0), "D": ("M", 70.0), "E": ("M", 60.0)}


def by_school(*, higher_is_better: bool) -> dict[str, dict[str, float]]:
    """Each school's rank, percentile, peer median and gap, by column name."""
    levels = [level for level, _ in SCHOOLS.values()]
    values = [value for _, value in SCHOOLS.values()]
    ranked = standings(values, levels, higher_is_better=higher_is_better)
    return {
        column: dict(zip(SCHOOLS, getattr(ranked, column), strict=True))
        for column in ranked._fields
    }


def test_higher_is_better_by_hand():
    columns = by_school(higher_is_better=True)
    assert columns["ranks"] == {"A": 1, "B": 2, "C": 2, "D": 4, "E": 5}
    assert columns["percentiles"] == {
        "A": 100.0,
        "B": 75.0,
        "C": 75.0,
        "D": 25.0,
        "E": 0.0,
    }
    assert columns["peer_medians"] == {
        "A": 80.0,
        "B": 80.0,
        "C": 80.0,
        "D": 65.0,
        "E": 65.0,
    }
    assert columns["gaps_to_best"] == {
        "A": 0.0,
        "B": 10.0,
        "C": 10.0,
        "D": 0.0,
        "E": 10.0,
    }


def test_lower_is_better_by_hand():
    columns = by_school(higher_is_better=False)
    assert columns["ranks"] == {"E": 1, "D": 2, "B": 3, "C": 3, "A": 5}
    assert columns["gaps_to_best"] == {
        "A": 10.0,
        "B": 0.0,
        "C": 0.0,
        "D": 10.0,
        "E": 0.0,
    }


def test_one_school_is_the_hundredth_percentile():
    ranked = standings([3.0], ["E"], higher_is_better=True)
    assert ranked == ([1], [100.0], [3.0], [0.0])


def test_per_100_students():
    assert per_100(12.0, 400) == 3.0
    assert per_100(12.0, None) is None
    assert per_100(12.0, 0) is None


@given(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=40), st.booleans())
def test_ranks_are_a_permutation_with_ties_sharing_the_best_rank(values, higher):
    ranks = competition_ranks([float(v) for v in values], higher_is_better=higher)
    # Equal values, equal ranks; the next distinct value's rank skips past the tie.
    for v, r in zip(values, ranks, strict=True):
        better = sum(1 for o in values if (o > v if higher else o < v))
        assert r == better + 1
    ordered = sorted(ranks)
    assert ordered[0] == 1
    if len(set(values)) == len(values):
        assert ordered == list(range(1, len(values) + 1))
    for i in range(1, len(ordered)):
        assert ordered[i] in (ordered[i - 1], i + 1)


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        (Aggregation.SUM, 30.0),
        (Aggregation.MEAN, 15.0),
        (Aggregation.ENROLLMENT_WEIGHTED_MEAN, (10 * 100 + 20 * 300) / 400),
        # values without numerators and denominators: their mean
        (Aggregation.RATIO, 15.0),
    ],
)
def test_aggregate(how, expected):
    values = [SchoolValue(10.0, 100), SchoolValue(20.0, 300)]
    assert aggregate(values, how) == pytest.approx(expected)


def test_weighted_mean_without_any_enrollment_falls_back_to_the_mean():
    values = [SchoolValue(10.0), SchoolValue(20.0)]
    assert aggregate(values, Aggregation.ENROLLMENT_WEIGHTED_MEAN) == 15.0
    assert aggregate([], Aggregation.SUM) is None
    assert aggregate([], Aggregation.RATIO) is None


def test_ratio_pools_numerators_and_denominators():
    # Late minutes over late runs: 25 over 3 (8.33) and 12 over 1: 37 / 4, not 10.17.
    averages = [SchoolValue(25 / 3, None, 25, 3), SchoolValue(12.0, None, 12, 1)]
    # A school with runs but no late one (0 over 0) adds nothing to either sum.
    none_late = [SchoolValue(20.0, None, 20, 1), SchoolValue(0.0, None, 0, 0)]

    assert aggregate(averages, Aggregation.RATIO) == 9.25
    assert aggregate(none_late, Aggregation.RATIO) == 20.0
    assert aggregate([SchoolValue(0.0, None, 0, 0)], Aggregation.RATIO) == 0.0


def test_a_percent_ratio_is_scaled_and_needs_every_schools_counts():
    # 183 of 200 days (91.5%) and 270 of 300 (90%): 453 of 500 = 90.6%, not 90.75%.
    both = [SchoolValue(91.5, 400, 183, 200), SchoolValue(90.0, 100, 270, 300)]
    one_without = [SchoolValue(91.5, 400, 183, 200), SchoolValue(88.0, 100)]

    assert aggregate(both, Aggregation.RATIO, ratio_scale=100) == pytest.approx(90.6)
    # Roosevelt gave only its 88%: no pooled figure can include it, so the plain mean.
    assert aggregate(one_without, Aggregation.RATIO, ratio_scale=100) == 89.75


def test_round_half_up_reads_the_decimal_digits():
    assert round_half_up(2.675, 2) == 2.68  # binary round() gives 2.67
    assert round_half_up(7 / 60 + 7 / 60, 2) == 0.23
    assert round_half_up(-0.125, 2) == -0.13
    assert round_half_up(3.5, 2) == 3.5


@pytest.mark.parametrize("value", [1e26, -3.5e40, 1.7976931348623157e308])
def test_round_half_up_takes_any_finite_float(value):
    # recordMeasurements and the import accept any finite number; the default decimal context
    # (28 digits) refused to quantize these, and every read of an HOURS series failed with it.
    assert round_half_up(value, 2) == value


@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(min_value=0, max_value=6))
def test_round_half_up_agrees_with_quantizing_every_value(value, decimals):
    # The shortcut for values with few enough digits must give what the decimal route gives.
    from decimal import ROUND_HALF_UP, Context, Decimal

    exact = Context(prec=400)
    quantized = Decimal(repr(value)).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP, context=exact
    )
    assert round_half_up(value, decimals) == float(quantized)


def test_percentiles_in_integers_are_the_floats_rounding_the_quotient_gives():
    for n in range(2, 1001):
        for rank in range(1, n + 1):
            assert percentile(rank, n) == round_half_up(100.0 * (n - rank) / (n - 1), 4)


@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.integers(min_value=0, max_value=6),
)
def test_round_half_up_gives_what_the_decimal_digits_give(value, decimals):
    assert_same_rounding(value, decimals)


@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=-3, max_value=3),
)
def test_round_half_up_at_and_beside_every_half(units, decimals, steps):
    """The values a float cannot tell from a half: k + 1/2 units of the last place, and the
    floats a few steps either side of it."""
    value = (units + 0.5) / 10**decimals
    for _ in range(abs(steps)):
        value = math.nextafter(value, math.inf if steps > 0 else -math.inf)
    assert_same_rounding(value, decimals)


def assert_same_rounding(value: float, decimals: int) -> None:
    by_digits = _round_half_up_by_digits(value, decimals)
    rounded = round_half_up(value, decimals)
    assert rounded == by_digits and math.copysign(1, rounded) == math.copysign(1, by_digits)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=30))
def test_derived_each_gives_what_derived_gives(values):
    served = derived_each(values)
    assert served == [derived(value) for value in values]
    assert [math.copysign(1, a) for a in served] == [
        math.copysign(1, derived(value)) for value in values
    ]


def test_derived_each_at_the_halves():
    halves = [(units + 0.5) / 10**4 for units in range(-2000, 2000)]
    beside = [math.nextafter(h, math.inf) for h in halves] + [
        math.nextafter(h, -math.inf) for h in halves
    ]
    values = halves + beside + [0.0, -0.0, 1e-12, 1e9, 1.7976931348623157e308]
    assert derived_each(values) == [derived(value) for value in values]


def _gaps_by_derived(values, groups, best):
    return [derived(abs(best[g] - v)) for g, v in zip(groups, values, strict=True)]


RECORDED = st.decimals(
    min_value=-999_999_999, max_value=999_999_999, places=4, allow_nan=False, allow_infinity=False
).map(float)


@given(st.lists(st.tuples(st.sampled_from("EMH"), RECORDED), min_size=1, max_size=40))
def test_gaps_of_recorded_decimals_in_integers_are_what_derived_gives(schools):
    groups = [g for g, _ in schools]
    values = [v for _, v in schools]
    best = {g: max(v for gg, v in schools if gg == g) for g in groups}
    assert gaps_to_best(values, groups, best) == _gaps_by_derived(values, groups, best)


@given(
    st.lists(
        # (differences of floats beyond 1e307 may overflow, which no recorded value does)
        st.tuples(st.sampled_from("EM"), st.floats(min_value=-1e307, max_value=1e307)),
        min_size=1,
        max_size=30,
    )
)
def test_gaps_of_any_floats_are_what_derived_gives(schools):
    groups = [g for g, _ in schools]
    values = [v for _, v in schools]
    best = {g: min(v for gg, v in schools if gg == g) for g in groups}
    assert gaps_to_best(values, groups, best) == _gaps_by_derived(values, groups, best)


def test_gaps_near_the_limits_of_the_integer_path():
    # Ten-thousandths at the edge of a float's precision, the 1e9 bound on either side,
    # and noisy floats (0.1 + 0.2) beside recorded decimals, which take the float path.
    values = [999_999_999.9999, -999_999_999.9999, 0.0001, 0.1 + 0.2, 1e9, 123.4567]
    for chosen in ([0, 1, 2], [0, 2, 5], [3, 5], [4, 5], [1, 2, 5]):
        subset = [values[i] for i in chosen]
        groups = ["E"] * len(subset)
        best = {"E": max(subset)}
        assert gaps_to_best(subset, groups, best) == _gaps_by_derived(subset, groups, best)
