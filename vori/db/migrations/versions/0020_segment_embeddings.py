"""gateway: e5 vectors of final segments, for semantic search

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "segment_embeddings",
        sa.Column(
            "segment_id",
            sa.String(64),
            sa.ForeignKey("transcript_segments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "meeting_id",
            sa.String(40),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("model", sa.String(80), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index("ix_segment_embeddings_meeting_id", "segment_embeddings", ["meeting_id"])
    # The embedder thread looks for new segments without a vector by when they were stored.
    op.create_index("ix_transcript_segments_created_at", "transcript_segments", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_transcript_segments_created_at", table_name="transcript_segments")
    op.drop_table("segment_embeddings")
