"""kanban: a column's WIP limit and a board's archived flag

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0004"  # boards and board_columns


def upgrade() -> None:
    op.add_column("board_columns", sa.Column("wip_limit", sa.Integer(), nullable=True))
    op.add_column(
        "boards",
        sa.Column("archived", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("boards", "archived")
    op.drop_column("board_columns", "wip_limit")
