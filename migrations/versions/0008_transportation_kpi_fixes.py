"""measures: existing districts' transportation KPIs as the template now defines them

Revision ID: 0008
Revises: 0007

Districts created before the RATIO aggregation have TRN-AVG-LATE-MIN aggregated by MEAN
(the default for MINUTES), so their district-wide average late minutes stay a mean of the
schools' averages: no mutation changes a measure's aggregation, and applying the template
again leaves existing measures as they are. Their measure now pools late minutes over late
runs, as instructionalTimeLost does; one whose district chose SUM or a weighted mean keeps
it. TRN-AVG-LATE-MIN and TRN-INSTR-HOURS-LOST created from the template had no definition;
they get the template's (one a district wrote is kept). Status rows follow at the nightly
full refresh, or at the measure's next write.

Downgrade changes nothing: MEAN was the defect, and revision 0007's code reads RATIO.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the template words them at this revision (a migration keeps its own copy).
DEFINITIONS = {
    "TRN-AVG-LATE-MIN": (
        "The minutes late of the period's late runs, summed, divided by the number of late "
        "runs; 0 when no run was late. A run's minutes late are the whole minutes from its "
        "scheduled to its actual arrival (none when early; seconds ignored), and it is a "
        "late run when they exceed the district's grace minutes. District-wide: all "
        "schools' late minutes over all their late runs."
    ),
    "TRN-INSTR-HOURS-LOST": (
        "Whole minutes each run arrived after the first bell of the school it serves (0 when "
        "it arrived by the bell; seconds ignored), summed over all the period's runs, late "
        "or not, and divided by 60. Rounded to two decimals only after summing; "
        "district-wide, after summing the schools."
    ),
}


def upgrade(app_role: str) -> None:
    op.execute(
        "UPDATE measures SET aggregation = 'RATIO' "
        "WHERE code = 'TRN-AVG-LATE-MIN' AND aggregation = 'MEAN'"
    )
    for code, definition in DEFINITIONS.items():
        op.execute(
            sa.text(
                "UPDATE measures SET definition = :definition "
                "WHERE code = :code AND definition IS NULL"
            ).bindparams(code=code, definition=definition)
        )


def downgrade(app_role: str) -> None:
    pass
