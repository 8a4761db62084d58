"""analytics: speaker keys wide enough for a room voice's id

A room microphone's voices are speakers of their own in the analytics tables, keyed by
their speaker_id (vori.events.room_speaker_id: the stream id, up to 200 characters, plus
"#room-<n>"): wider than a participant id, and than a stream id.

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table: width before this revision
WIDENED = {"analytics_speakers": 40, "analytics_live_speakers": 200}
SPEAKER_KEY_LENGTH = 240


def upgrade() -> None:
    for table, width in WIDENED.items():
        op.alter_column(
            table,
            "participant_id",
            existing_type=sa.String(width),
            type_=sa.String(SPEAKER_KEY_LENGTH),
            existing_nullable=False,
        )


def downgrade() -> None:
    for table, width in WIDENED.items():
        # Derived rows (the Spark jobs compute them again): the ones too long to keep go.
        op.execute(sa.text(f"DELETE FROM {table} WHERE length(participant_id) > {width}"))
        op.alter_column(
            table,
            "participant_id",
            existing_type=sa.String(SPEAKER_KEY_LENGTH),
            type_=sa.String(width),
            existing_nullable=False,
        )
