"""gateway: re-transcription jobs of past meetings (issue 14, item 5)

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retranscriptions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "meeting_id",
            sa.String(40),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("streams", sa.JSON(), nullable=False, server_default="[]"),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("progress", sa.Float(), nullable=False, server_default="0"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("replaced_segments", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index("ix_retranscriptions_meeting_id", "retranscriptions", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_retranscriptions_meeting_id", table_name="retranscriptions")
    op.drop_table("retranscriptions")
