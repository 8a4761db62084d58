"""one owner per table when a meeting is deleted

The live analytics totals go with their meeting (a foreign key, ON DELETE CASCADE; totals
of meetings already gone are dropped first), and the summarizer remembers the meetings
deleted so that a late segment does not bring one back.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002"  # meetings

FOREIGN_KEY = "analytics_live_speakers_meeting_id_fkey"


def upgrade() -> None:
    op.execute(
        "DELETE FROM analytics_live_speakers a "
        "WHERE NOT EXISTS (SELECT 1 FROM meetings m WHERE m.id = a.meeting_id)"
    )
    op.create_foreign_key(
        FOREIGN_KEY,
        "analytics_live_speakers",
        "meetings",
        ["meeting_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_table(
        "summarizer_deleted_meetings",
        sa.Column("meeting_id", sa.String(length=40), primary_key=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("summarizer_deleted_meetings")
    op.drop_constraint(FOREIGN_KEY, "analytics_live_speakers", type_="foreignkey")
