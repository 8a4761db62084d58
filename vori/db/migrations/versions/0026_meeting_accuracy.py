"""meetings: which model decodes the meeting's English (accuracy: standard or high; NULL:
the transcriber's VORI_TRANSCRIBER__ACCURACY)

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("meetings", sa.Column("accuracy", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("meetings", "accuracy")
