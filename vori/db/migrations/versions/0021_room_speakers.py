"""transcript and summarizer segments: the room voice a segment is (speaker_id)

A room microphone's segments name one voice the transcriber told apart
(vori.events.room_speaker_id: the stream id, up to 200 characters, and "#room-<n>");
speaker labels are keyed by it instead of the stream, so their key grows to fit.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("transcript_segments", sa.Column("speaker_id", sa.String(240), nullable=True))
    op.add_column("summarizer_segments", sa.Column("speaker_id", sa.String(240), nullable=True))
    op.alter_column(
        "speaker_labels", "stream_id", type_=sa.String(240), existing_type=sa.String(200)
    )


def downgrade() -> None:
    op.alter_column(
        "speaker_labels", "stream_id", type_=sa.String(200), existing_type=sa.String(240)
    )
    op.drop_column("summarizer_segments", "speaker_id")
    op.drop_column("transcript_segments", "speaker_id")
