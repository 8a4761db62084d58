"""summarizer: each consumed segment keeps its action-item score (computed once)

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("summarizer_segments", sa.Column("action_score", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("summarizer_segments", "action_score")
