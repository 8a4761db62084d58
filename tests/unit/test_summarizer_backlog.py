"""The summarizer's check for due meetings waits while segments are still unread."""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import datetime
from typing import Any, cast

import pytest
from sqlalchemy.orm import Session, sessionmaker

from summarizer import worker as worker_module
from summarizer.engine import Summarizer
from summarizer.worker import SummarizerWorker
from vori.kafka import EventProducer
from vori.settings import Settings


def _worker(checked: list[datetime], monkeypatch: pytest.MonkeyPatch) -> SummarizerWorker:
    def due_meetings(_session: Session, now: datetime, *_args: Any) -> list[str]:
        checked.append(now)
        return []

    monkeypatch.setattr(worker_module, "due_meetings", due_meetings)
    sessions = cast(sessionmaker[Session], lambda: nullcontext(None))
    worker = SummarizerWorker(
        Settings().summarizer,
        sessions,
        cast(EventProducer, None),
        Summarizer(None),
        check_every_s=0.0,
    )
    return worker


def test_no_meeting_is_summarised_while_segments_are_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checked: list[datetime] = []
    worker = _worker(checked, monkeypatch)
    caught_up = False
    worker.segments_caught_up = lambda: caught_up
    worker.tick()
    worker.tick()
    assert checked == [], "summaries ran over half a backlog"
    caught_up = True
    worker.tick()
    assert len(checked) == 1


def test_a_backlog_that_never_drains_holds_summaries_back_only_so_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_module, "MAX_BACKLOG_WAIT_S", 0.2)
    checked: list[datetime] = []
    worker = _worker(checked, monkeypatch)
    worker.segments_caught_up = lambda: False
    worker.tick()
    assert checked == []
    time.sleep(0.25)
    worker.tick()
    assert len(checked) == 1, "past the longest wait, the check runs"
    worker.tick()
    assert len(checked) == 1, "and the next one waits again"
    time.sleep(0.25)
    worker.tick()
    assert len(checked) == 2


def test_without_a_loop_to_ask_summaries_do_not_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[datetime] = []
    worker = _worker(checked, monkeypatch)
    worker.tick()
    assert len(checked) == 1
