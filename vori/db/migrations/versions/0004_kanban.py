"""kanban: boards, members, columns, cards, card history, processed proposals, outbox

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-23 01:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "boards",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=False),
        sa.Column("personal_owner_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["personal_owner_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("personal_owner_id"),
    )
    op.create_table(
        "board_members",
        sa.Column("board_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("board_id", "user_id"),
    )
    op.create_table(
        "board_columns",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("board_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("board_id", "name", name="uq_board_columns_name"),
    )
    op.create_table(
        "cards",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("board_id", sa.String(length=40), nullable=False),
        sa.Column("column_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("task_key", sa.String(length=64), nullable=True),
        sa.Column("meeting_id", sa.String(length=40), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("human_fields", sa.JSON(), nullable=False),
        sa.Column("declined", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(["board_id"], ["boards.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["column_id"], ["board_columns.id"]),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("board_id", "task_key", name="uq_cards_board_task_key"),
    )
    op.create_index(
        "ix_cards_board_column_position", "cards", ["board_id", "column_id", "position"]
    )
    op.create_table(
        "card_history",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("card_id", sa.String(length=40), nullable=False),
        sa.Column("board_id", sa.String(length=40), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor_user_id", sa.String(length=40), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("meeting_id", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("declined", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.ForeignKeyConstraint(["card_id"], ["cards.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_card_history_card", "card_history", ["card_id", "id"])
    op.create_table(
        "kanban_processed_proposals",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("meeting_id", sa.String(length=40), nullable=False),
        sa.Column("board_id", sa.String(length=40), nullable=True),
        sa.Column(
            "processed_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "kanban_outbox",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("board_id", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("kanban_outbox")
    op.drop_table("kanban_processed_proposals")
    op.drop_index("ix_card_history_card", table_name="card_history")
    op.drop_table("card_history")
    op.drop_index("ix_cards_board_column_position", table_name="cards")
    op.drop_table("cards")
    op.drop_table("board_columns")
    op.drop_table("board_members")
    op.drop_table("boards")
