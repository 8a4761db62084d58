"""summarizer: the streams of a meeting not yet transcribed to their end (open_streams)

A meeting's final summary waits for the live transcriber's `stream_transcribed` of each
stream that joined it (at most `final_wait_s`), so that the last words said before the
end are in it. Meetings stored before know no streams: they wait as before.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "summarizer_meetings",
        sa.Column("open_streams", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("summarizer_meetings", "open_streams")
