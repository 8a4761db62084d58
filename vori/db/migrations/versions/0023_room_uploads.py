"""recording uploads: whether an upload is a room recording (room)

An uploaded recording of an in-person meeting has several people on one microphone; the
uploader marks it so, and the batch transcriber tells its voices apart ("Room n").
Existing uploads were transcribed as the uploader's, so they are not room recordings.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "recording_uploads",
        sa.Column("room", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("recording_uploads", "room")
