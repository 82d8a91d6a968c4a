"""improvement: opportunities keep their priority score, so the list pages by it

Revision ID: 0016
Revises: 0015

``priority_score`` is ``impact * alignment / effort`` rounded to 4 decimals, computed by
PostgreSQL from the scores (a generated column: it can never disagree with them). The
``opportunities`` list is ordered by it, highest first, ties by creation; the index serves that
order within a district.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str) -> None:
    op.add_column(
        "opportunities",
        sa.Column(
            "priority_score",
            sa.Numeric(precision=8, scale=4),
            sa.Computed("round((impact * alignment)::numeric / effort, 4)", persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_opportunities_priority",
        "opportunities",
        ["district_id", sa.text("priority_score DESC"), "created_at", "id"],
        unique=False,
    )


def downgrade(app_role: str) -> None:
    op.drop_index("ix_opportunities_priority", table_name="opportunities")
    op.drop_column("opportunities", "priority_score")
