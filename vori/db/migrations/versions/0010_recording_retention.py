"""recordings: a meeting's own retention of its archived audio

NULL keeps the global VORI_RECORDINGS__RETENTION_DAYS; 0 keeps the audio until the
meeting is deleted (docs/recordings.md).

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("meetings", sa.Column("recording_retention_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("meetings", "recording_retention_days")
