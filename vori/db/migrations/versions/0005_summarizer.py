"""summarizer: consumed segments and per-meeting state

Revision ID: 0005
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "summarizer_segments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("meeting_id", sa.String(length=40), nullable=False),
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("participant_id", sa.String(length=40), nullable=True),
        sa.Column("speaker", sa.String(length=200), nullable=True),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_summarizer_segments_meeting_start", "summarizer_segments", ["meeting_id", "start"]
    )
    op.create_table(
        "summarizer_meetings",
        sa.Column("meeting_id", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("segments_total", sa.Integer(), nullable=False),
        sa.Column("words_total", sa.Integer(), nullable=False),
        sa.Column("segments_summarized", sa.Integer(), nullable=False),
        sa.Column("words_summarized", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("summarized_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_speech_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("final_published", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("meeting_id"),
    )


def downgrade() -> None:
    op.drop_table("summarizer_meetings")
    op.drop_index("ix_summarizer_segments_meeting_start", table_name="summarizer_segments")
    op.drop_table("summarizer_segments")
