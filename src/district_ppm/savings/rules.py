"""What a savings entry may say, checked before anything is written. Pure: no session.

- Amounts are exact decimals with at most two places, more than zero (a negative amount is
  only ever written by a reversal) and at most ``MAX_AMOUNT``: no single saving of a school
  district reaches a billion dollars or hours, so a larger figure is a typing error.
- Units follow the category: HARD and COST_AVOIDANCE are money (USD); INSTRUCTIONAL_TIME is
  student instructional time (HOURS); SOFT (capacity freed) may be either, staff hours or
  their value.
- Fiscal years are named by the calendar year they end in, within ``FISCAL_YEARS``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from district_ppm.errors import BadInput
from district_ppm.savings.models import SavingsCategory, SavingsUnit

MAX_AMOUNT = Decimal("999999999.99")
CENT = Decimal("0.01")
FISCAL_YEARS = range(2000, 2101)  # the database checks the same range
MAX_TEXT = 2_000

UNITS_BY_CATEGORY: dict[SavingsCategory, frozenset[SavingsUnit]] = {
    SavingsCategory.HARD: frozenset({SavingsUnit.USD}),
    SavingsCategory.COST_AVOIDANCE: frozenset({SavingsUnit.USD}),
    SavingsCategory.SOFT: frozenset({SavingsUnit.USD, SavingsUnit.HOURS}),
    SavingsCategory.INSTRUCTIONAL_TIME: frozenset({SavingsUnit.HOURS}),
}


def checked_amount(amount: Decimal, field: str) -> Decimal:
    """``amount`` as stored (two places), or BAD_INPUT naming ``field``."""
    if not amount.is_finite():
        raise BadInput(field, "must be a finite number")
    if amount <= 0:
        raise BadInput(field, "must be more than 0 (a correction is a reversal)")
    if amount > MAX_AMOUNT:
        raise BadInput(field, f"must be at most {MAX_AMOUNT}")
    try:
        stored = amount.quantize(CENT)
    except InvalidOperation:  # more digits than the context holds
        raise BadInput(field, "must have at most 2 decimal places") from None
    if stored != amount:
        raise BadInput(field, "must have at most 2 decimal places")
    return stored


def check_unit(category: SavingsCategory, unit: SavingsUnit, field: str) -> None:
    allowed = UNITS_BY_CATEGORY[category]
    if unit not in allowed:
        names = " or ".join(sorted(u.value for u in allowed))
        raise BadInput(field, f"{category.value} savings are counted in {names}, not {unit.value}")


def check_fiscal_year(fiscal_year: int, field: str) -> None:
    if fiscal_year not in FISCAL_YEARS:
        raise BadInput(
            field,
            f"must be a fiscal year from {FISCAL_YEARS.start} to {FISCAL_YEARS.stop - 1}, "
            "named by the calendar year it ends in",
        )


def check_month(month: int | None, field: str) -> None:
    if month is not None and not 1 <= month <= 12:
        raise BadInput(field, "must be a calendar month from 1 to 12")


def optional_text(value: str | None, field: str) -> str | None:
    """Trimmed text, None when blank; BAD_INPUT when longer than ``MAX_TEXT``."""
    if value is None or not value.strip():
        return None
    if len(value) > MAX_TEXT:
        raise BadInput(field, f"must be at most {MAX_TEXT} characters")
    return value.strip()


def required_text(value: str, field: str) -> str:
    text = optional_text(value, field)
    if text is None:
        raise BadInput(field, "must not be empty")
    return text
