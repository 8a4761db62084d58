"""The kanban service SIGKILLed between its database commit and its offset commit: after a
restart the proposal is redelivered, recognised, and every task still has exactly one card."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import subprocess_env
from tests.helpers.kanban import (
    board_of_meeting,
    cards_of_meeting,
    changes_for_board,
    history_of,
    item,
    make_meeting,
    make_person,
    processed_count,
    publish,
    wait_processed,
)
from tests.helpers.ports import free_port
from vori.events import TaskProposal, task_key_for
from vori.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def _kanban(
    settings: Settings, group: str, log: Path, kill_key: str | None
) -> subprocess.Popen[bytes]:
    env = subprocess_env(settings)
    env.update(
        {
            "VORI_KANBAN__PORT": str(free_port()),
            "VORI_KANBAN__CONSUMER_GROUP": group,
            "VORI_LOG_LEVEL": "INFO",
        }
    )
    command = ["tests.helpers.kanban_dying", kill_key] if kill_key else ["vori", "kanban"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *command], cwd=REPO, env=env, stdout=out, stderr=out
        )


def test_kill_between_db_commit_and_offset_commit_leaves_one_card_per_task(
    settings: Settings, unique: str, tmp_path: Path
) -> None:
    owner = make_person(settings, "Ada")
    meeting = make_meeting(settings, owner)
    venue, food = (task_key_for(meeting, t) for t in ("book the venue", "order the food"))
    group = f"kanban-crash-{unique}"
    publish(
        settings,
        TaskProposal(
            meeting_id=meeting,
            items=[item(venue, "Book the venue"), item(food, "Order the food", assignee="Mina")],
            source="rules",
        ),
    )

    dying = _kanban(settings, group, tmp_path / "first.log", kill_key=food)
    assert dying.wait(120) == -signal.SIGKILL, (tmp_path / "first.log").read_text()[-3000:]
    assert processed_count(settings, meeting) == 1, "the database commit happened before the kill"
    assert len(cards_of_meeting(settings, meeting)) == 2

    restarted = _kanban(settings, group, tmp_path / "second.log", kill_key=None)
    try:
        publish(
            settings,
            TaskProposal(
                meeting_id=meeting,
                items=[item(venue, "Book the venue", assignee="Mina", due_date="2026-03-13")],
                source="rules",
            ),
        )
        wait_processed(settings, meeting, 2, timeout_s=120)
    finally:
        restarted.send_signal(signal.SIGTERM)
        code = restarted.wait(60)
    second_log = (tmp_path / "second.log").read_text()
    # uvicorn re-raises SIGTERM after its graceful shutdown, so -15 is a clean stop too.
    assert code in (0, -signal.SIGTERM), second_log[-3000:]
    assert "Application shutdown complete" in second_log
    assert f"of meeting {meeting}: already applied" in second_log, "the message was redelivered"

    cards = {str(c.task_key): c for c in cards_of_meeting(settings, meeting)}
    assert sorted(cards) == sorted([venue, food]), "exactly one card per task key"
    assert cards[venue].assignee == "Mina"
    assert [h.change for h in history_of(settings, cards[venue].id)] == ["created", "edited"]
    assert [h.change for h in history_of(settings, cards[food].id)] == ["created"]

    # The changes committed before the kill were still published, from the outbox.
    board = board_of_meeting(settings, meeting)
    assert board is not None
    changes = changes_for_board(settings, board, 3)
    published = {(c.card.task_key, c.change, c.card.version) for c in changes}
    assert published == {(venue, "created", 1), (food, "created", 1), (venue, "edited", 2)}
