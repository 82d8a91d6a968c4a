"""merge the measures and transportation branches into one line of history

Revision ID: 0006
Revises: 0004, 0005

The measures (0002, 0004) and transportation (0003, 0005) revisions were written in
parallel from 0001. They touch disjoint tables, so they merge without changes; from here on
the history is a single line and new revisions revise 0006.
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | Sequence[str] | None = ("0004", "0005")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade(app_role: str) -> None:
    pass


def downgrade(app_role: str) -> None:
    pass
