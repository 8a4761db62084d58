"""gateway: latest meeting summaries, task cards, stream starts

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_summaries",
        sa.Column("meeting_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("overview", sa.Text(), nullable=False),
        sa.Column("key_points", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("open_questions", sa.JSON(), nullable=False),
        sa.Column("action_items", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "stored_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id"),
    )
    op.create_table(
        "meeting_task_cards",
        sa.Column("task_key", sa.String(length=64), nullable=False),
        sa.Column("meeting_id", sa.String(length=40), nullable=True),
        sa.Column("card_id", sa.String(length=40), nullable=False),
        sa.Column("board_id", sa.String(length=40), nullable=False),
        sa.Column("column_name", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("due_date", sa.String(length=10), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("task_key"),
    )
    op.create_index(
        "ix_meeting_task_cards_meeting", "meeting_task_cards", ["meeting_id"], unique=False
    )
    op.create_table(
        "meeting_streams",
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("meeting_id", sa.String(length=40), nullable=False),
        sa.Column("participant_id", sa.String(length=40), nullable=True),
        sa.Column("participant_name", sa.String(length=200), nullable=True),
        sa.Column("first_joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("stream_id"),
    )
    op.create_index("ix_meeting_streams_meeting", "meeting_streams", ["meeting_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_meeting_streams_meeting", table_name="meeting_streams")
    op.drop_table("meeting_streams")
    op.drop_index("ix_meeting_task_cards_meeting", table_name="meeting_task_cards")
    op.drop_table("meeting_task_cards")
    op.drop_table("meeting_summaries")
