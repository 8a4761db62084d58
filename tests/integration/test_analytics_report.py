"""`vori analytics report` over analytics rows in the session's PostgreSQL: one HTML file."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.conftest import subprocess_env
from tests.helpers.analytics_rows import board_rows
from vori.db.engine import create_db_engine
from vori.db.tables import Board, Meeting, User
from vori.settings import Settings

EVIL_TITLE = "<script>alert(1)</script>"
EVIL_BOARD = "Ops & <b>Platform</b>"
CHARTS = (
    "talk-share",
    "meeting-shares",
    "pace",
    "participation",
    "meeting-time",
    "efficiency",
    "action-flow",
    "time-to-done",
    "topics",
    "keyword-trends",
)


def _insert(settings: Settings, unique: str, now: datetime) -> tuple[str, str]:
    """A board with 12 meetings over 6 weeks (the first titled EVIL_TITLE), another board."""
    board, other = f"brd_{unique}", f"brd_o_{unique}"
    rows = board_rows(board, now, meetings=12, weeks=6, prefix=f"mtg_{unique}_")
    rows.titles[f"mtg_{unique}_0"] = EVIL_TITLE
    other_rows = board_rows(other, now, meetings=2, weeks=1, prefix=f"mtg_o_{unique}_")
    other_rows.titles = {m: f"Other board meeting {unique}" for m in other_rows.titles}
    engine = create_db_engine(settings)
    try:
        with Session(engine) as session, session.begin():
            owner = f"usr_{unique}"
            session.add(
                User(id=owner, email=f"{owner}@example.test", display_name="O", password_hash="x")
            )
            session.flush()
            session.add_all(
                [
                    Board(id=board, name=EVIL_BOARD, owner_id=owner),
                    Board(id=other, name="Other", owner_id=owner),
                ]
            )
            for data in (rows, other_rows):
                session.add_all(
                    Meeting(
                        id=m.meeting_id,
                        title=data.titles[m.meeting_id],
                        language="en",
                        owner_id=owner,
                        board_id=data.board_id,
                        created_at=m.started_at,
                    )
                    for m in data.meetings
                )
            session.flush()
            session.add_all([*rows.all_rows(), *other_rows.all_rows()])
    finally:
        engine.dispose()
    return board, other


def _report(settings: Settings, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vori", "analytics", "report", "--out", str(out), *args],
        env=subprocess_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_board_report_is_one_offline_file_with_every_chart_and_titles_escaped(
    settings: Settings, unique: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    board, _ = _insert(settings, unique, now)
    out = tmp_path / "nested" / "report.html"
    done = _report(settings, out, "--board", board)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    page = out.read_text(encoding="utf-8")
    # One self-contained file: nothing fetched from anywhere when it opens.
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", page, re.I)
    assert "Plotly.newPlot" in page
    assert len(page) > 3_000_000  # plotly.js itself is inside
    for chart in CHARTS:
        assert f'id="chart-{chart}"' in page, chart
    # User text shows as text: the title and the board name never become tags.
    assert EVIL_TITLE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Platform</b>" not in page
    assert "Ops &amp; &lt;b&gt;Platform&lt;/b&gt;" in page
    assert "Sprint planning" in page
    assert f"Other board meeting {unique}" not in page  # another board's meeting


def test_since_leaves_older_meetings_out(settings: Settings, unique: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    board, _ = _insert(settings, unique, now)
    recent = tmp_path / "recent.html"
    done = _report(settings, recent, "--board", board, "--since", "10d")
    assert done.returncode == 0, done.stderr
    page = recent.read_text(encoding="utf-8")
    assert EVIL_TITLE not in page
    assert "alert(1)" not in page  # the oldest meeting, six weeks ago, is out of scope
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d) ", page)
    assert rows
    assert min(rows) >= (now - timedelta(days=10)).date().isoformat()


def test_a_board_without_results_says_so_and_an_unknown_board_is_refused(
    settings: Settings, unique: str, tmp_path: Path
) -> None:
    board, _ = _insert(settings, unique, datetime.now(UTC))
    out = tmp_path / "empty.html"
    done = _report(settings, out, "--board", board, "--since", "2999-01-01")
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "Nothing in this scope" in page
    assert "vori analytics run" in page
    assert "Plotly" not in page

    missing = _report(settings, tmp_path / "missing.html", "--board", f"nope_{unique}")
    assert missing.returncode != 0
    assert f"nope_{unique}" in missing.stderr
    assert not (tmp_path / "missing.html").exists()


@pytest.mark.parametrize("since", ["yesterday", "30"])
def test_a_bad_since_is_refused_with_the_accepted_forms(
    settings: Settings, tmp_path: Path, since: str
) -> None:
    done = _report(settings, tmp_path / "r.html", "--since", since)
    assert done.returncode == 2
    assert "30d" in done.stderr
