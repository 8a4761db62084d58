"""analytics: tables the Spark jobs write (per meeting, per speaker, per week, topics, live)

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "analytics_meetings",
        sa.Column(
            "meeting_id",
            sa.String(40),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("board_id", sa.String(40), nullable=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("speech_s", sa.Float(), nullable=False),
        sa.Column("silence_share", sa.Float(), nullable=False),
        sa.Column("overlap_s", sa.Float(), nullable=False),
        sa.Column("interruptions", sa.Integer(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
        sa.Column("decisions", sa.Integer(), nullable=False),
        sa.Column("action_items", sa.Integer(), nullable=False),
        sa.Column("speakers", sa.Integer(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("gini", sa.Float(), nullable=False),
        sa.Column("efficiency", sa.Float(), nullable=False),
        sa.Column("input_fingerprint", sa.String(64), nullable=False),
        sa.Column("computed_at", TZ, nullable=False),
    )
    op.create_index(
        "ix_analytics_meetings_board_started", "analytics_meetings", ["board_id", "started_at"]
    )
    op.create_table(
        "analytics_speakers",
        sa.Column(
            "meeting_id",
            sa.String(40),
            sa.ForeignKey("meetings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("participant_id", sa.String(40), primary_key=True),
        sa.Column("speaker", sa.String(200), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=True),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("talk_share", sa.Float(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("wpm", sa.Float(), nullable=False),
        sa.Column("turns", sa.Integer(), nullable=False),
        sa.Column("longest_monologue_s", sa.Float(), nullable=False),
        sa.Column("interruptions_made", sa.Integer(), nullable=False),
        sa.Column("interrupted", sa.Integer(), nullable=False),
        sa.Column("overlap_s", sa.Float(), nullable=False),
        sa.Column("questions", sa.Integer(), nullable=False),
    )
    op.create_table(
        "analytics_board_weeks",
        sa.Column("board_id", sa.String(40), primary_key=True),
        sa.Column("week", sa.Date(), primary_key=True),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("meeting_hours", sa.Float(), nullable=False),
        sa.Column("items_created", sa.Integer(), nullable=False),
        sa.Column("items_completed", sa.Integer(), nullable=False),
        sa.Column("items_overdue", sa.Integer(), nullable=False),
        sa.Column("median_time_to_done_h", sa.Float(), nullable=True),
        sa.Column("computed_at", TZ, nullable=False),
    )
    op.create_table(
        "analytics_person_weeks",
        sa.Column("board_id", sa.String(40), primary_key=True),
        sa.Column("person", sa.String(200), primary_key=True),
        sa.Column("week", sa.Date(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("talk_share", sa.Float(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("wpm", sa.Float(), nullable=False),
        sa.Column("computed_at", TZ, nullable=False),
    )
    op.create_table(
        "analytics_topics",
        sa.Column("board_id", sa.String(40), primary_key=True),
        sa.Column("topic", sa.Integer(), primary_key=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("computed_at", TZ, nullable=False),
    )
    op.create_table(
        "analytics_keyword_weeks",
        sa.Column("board_id", sa.String(40), primary_key=True),
        sa.Column("week", sa.Date(), primary_key=True),
        sa.Column("term", sa.String(100), primary_key=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("computed_at", TZ, nullable=False),
    )
    op.create_table(
        "analytics_runs",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("board_id", sa.String(40), nullable=True),
        sa.Column("since", TZ, nullable=True),
        sa.Column("master", sa.String(200), nullable=False),
        sa.Column("watermark", sa.JSON(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_table(
        "analytics_live_speakers",
        sa.Column("meeting_id", sa.String(40), primary_key=True),
        # The participant, or the stream of a segment without one (meeting:participant:mic).
        sa.Column("participant_id", sa.String(200), primary_key=True),
        sa.Column("speaker", sa.String(200), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=False),
        sa.Column("talk_s", sa.Float(), nullable=False),
        sa.Column("words", sa.Integer(), nullable=False),
        sa.Column("wpm", sa.Float(), nullable=False),
        sa.Column("last_end_s", sa.Float(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "analytics_live_speakers",
        "analytics_runs",
        "analytics_keyword_weeks",
        "analytics_topics",
        "analytics_person_weeks",
        "analytics_board_weeks",
        "analytics_speakers",
    ):
        op.drop_table(table)
    op.drop_index("ix_analytics_meetings_board_started", table_name="analytics_meetings")
    op.drop_table("analytics_meetings")
