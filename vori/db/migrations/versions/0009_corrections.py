"""corrections: members' fixes of transcript lines and speaker labels

`transcript_corrections` keeps every version of a corrected segment's text (the newest
wins); `speaker_labels` a meeting's own name for a stream's speaker. Both are written by
the gateway only; the segments stay as transcribed. The summarizer notes corrections it
has applied to its own copy of the segments until its next summary uses them.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002"  # transcript_segments; 0005 is below


def upgrade() -> None:
    op.create_table(
        "transcript_corrections",
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("edited_by", sa.String(length=40), nullable=True),
        sa.Column(
            "edited_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(["segment_id"], ["transcript_segments.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["edited_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("segment_id", "version"),
    )
    op.create_index("ix_transcript_corrections_meeting", "transcript_corrections", ["meeting_id"])
    op.create_table(
        "speaker_labels",
        sa.Column("meeting_id", sa.String(length=40), nullable=False),
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("edited_by", sa.String(length=40), nullable=True),
        sa.Column(
            "edited_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["edited_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("meeting_id", "stream_id"),
    )
    op.add_column(
        "summarizer_meetings",
        sa.Column("pending_corrections", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("summarizer_meetings", "pending_corrections")
    op.drop_table("speaker_labels")
    op.drop_index("ix_transcript_corrections_meeting", table_name="transcript_corrections")
    op.drop_table("transcript_corrections")
