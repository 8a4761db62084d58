"""meetings: which commitments become cards (tasks: selective or thorough; NULL: the
deployment's VORI_SUMMARIZER__TASKS)

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("meetings", sa.Column("tasks", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("meetings", "tasks")
