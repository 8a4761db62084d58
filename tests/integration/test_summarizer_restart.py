"""`vori summarizer` as a real process: SIGKILLed mid-meeting, restarted, nothing lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from tests.conftest import subprocess_env
from tests.helpers.summarizer import (
    MEETINGS_DIR,
    create_meeting_rows,
    fresh_group,
    joined_events,
    load_meeting,
    load_real_slice,
    proposals,
    publish,
    score,
    segments_of,
    summaries,
)
from vori.db.engine import create_db_engine
from vori.db.tables import SummarizerMeeting
from vori.events import MeetingEvent
from vori.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def _start(settings: Settings, group: str, detector: bool = False) -> subprocess.Popen[bytes]:
    env = subprocess_env(settings)
    env.update(
        {
            "VORI_SUMMARIZER__LLM": "off",
            "VORI_SUMMARIZER__GROUP_ID": group,
            "VORI_SUMMARIZER__REFRESH_WORDS": "60",
            "VORI_SUMMARIZER__FINAL_GRACE_S": "0.5",
            "VORI_SUMMARIZER__DETECTOR": "true" if detector else "false",
        }
    )
    return subprocess.Popen([sys.executable, "-m", "vori", "summarizer"], cwd=REPO, env=env)


def _wait_for_state(
    settings: Settings, meeting_id: str, condition: Callable[[SummarizerMeeting], bool]
) -> None:
    engine = create_db_engine(settings, pool_size=1, max_overflow=0)
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            with Session(engine) as session:
                state = session.get(SummarizerMeeting, meeting_id)
                if state is not None and condition(state):
                    return
            time.sleep(0.3)
    finally:
        engine.dispose()
    raise AssertionError("the summarizer did not get there in time")


def _wait_for_final(settings: Settings, meeting_id: str, segments: int) -> None:
    """Until the final summary covers every published segment. Counting them matters: the
    streams are separate partitions, so the summary can be up to date with what arrived
    while one stream's last segment is still on its way (then a later summary adds it)."""
    _wait_for_state(
        settings,
        meeting_id,
        lambda state: (
            state.final_published
            and state.segments_total == segments
            and state.segments_summarized == segments
        ),
    )


def test_killed_summarizer_restarts_and_the_final_summary_has_every_task(
    settings: Settings, unique: str
) -> None:
    meeting = load_meeting(MEETINGS_DIR / "en_marketing_planning.yaml", f"m-kill-{unique}")
    create_meeting_rows(settings, meeting)
    segments = segments_of(meeting)
    group = fresh_group(settings, f"sum-kill-{unique}")
    publish(settings, [*joined_events(meeting), *segments[:9]])
    first = _start(settings, group)
    try:
        _wait_for_state(settings, meeting.id, lambda state: state.revision >= 1)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    before = {i.task_key for p in proposals(settings, meeting.id) for i in p.items}

    publish(settings, [*segments[9:], MeetingEvent(type="ended", meeting_id=meeting.id)])
    second = _start(settings, group)
    try:
        _wait_for_final(settings, meeting.id, len(segments))
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    final = [s for s in summaries(settings, meeting.id) if s.kind == "final"][-1]
    result = score(list(final.action_items), meeting.expected)
    assert result.recall == 1.0, result.misses
    assert result.precision == 1.0, result.extras
    assert before <= {i.task_key for i in final.action_items}, "keys survive the restart"


def test_real_meeting_killed_mid_way_ends_with_the_cards_of_a_one_shot_run(
    settings: Settings, unique: str
) -> None:
    # The default path (detector on) over real AMI speech, summarised in rolling windows
    # by a process that is SIGKILLed half-way, against one summary of the whole meeting.
    killed, _turns = load_real_slice("ami", "ES2002b", 525, 620, f"m-kill-ami-{unique}")
    once, _turns = load_real_slice("ami", "ES2002b", 525, 620, f"m-once-ami-{unique}")
    for meeting in (killed, once):
        create_meeting_rows(settings, meeting)
    segments = segments_of(killed)
    half = len(segments) // 2
    group = fresh_group(settings, f"sum-kill-ami-{unique}")
    publish(settings, [*joined_events(killed), *segments[:half]])
    first = _start(settings, group, detector=True)
    try:
        _wait_for_state(settings, killed.id, lambda state: state.revision >= 1)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    publish(
        settings,
        [
            *segments[half:],
            MeetingEvent(type="ended", meeting_id=killed.id),
            *joined_events(once),
            *segments_of(once),
            MeetingEvent(type="ended", meeting_id=once.id),
        ],
    )
    second = _start(settings, group, detector=True)
    try:
        for meeting in (killed, once):
            _wait_for_final(settings, meeting.id, len(segments))
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0

    def cards(meeting_id: str) -> list[tuple[str, str | None]]:
        final = [s for s in summaries(settings, meeting_id) if s.kind == "final"][-1]
        return sorted((i.title, i.assignee) for i in final.action_items if i.status == "open")

    rolled = [s for s in summaries(settings, killed.id) if s.kind == "rolling"]
    assert rolled, "the killed run summarised before it died"
    assert cards(killed.id) == cards(once.id)
    keys = [i.task_key for p in proposals(settings, killed.id) for i in p.items]
    final_keys = {i.task_key for i in summaries(settings, killed.id)[-1].action_items}
    assert set(keys) <= final_keys, "no card proposed mid-way was lost or renamed"
    assert len(final_keys) == len(cards(killed.id)), "no card twice"
