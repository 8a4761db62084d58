"""The shared consumer loop against the real broker: retries, dead letters, crash safety."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from confluent_kafka import Producer

from tests.conftest import subprocess_env
from tests.helpers.kafka import commit_end_offsets, read_all
from vori.events import MEETING_EVENTS, DeadLetter, Event, MeetingEvent, dead_letter_topic, decode
from vori.kafka import ConsumerLoop, EventProducer, MessageContext, PoisonMessageError
from vori.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def _publish(settings: Settings, *events: MeetingEvent) -> None:
    producer = EventProducer(settings.kafka)
    for event in events:
        producer.publish(event)
    assert producer.flush(30) == 0


def _run_until(loop: ConsumerLoop, done: threading.Event, timeout_s: float = 60) -> None:
    thread = threading.Thread(target=loop.run, kwargs={"install_signal_handlers": False})
    thread.start()
    finished = done.wait(timeout_s)
    loop.stop()
    thread.join(30)
    assert finished, "the loop did not handle the expected messages in time"


def _dead_letters_for(settings: Settings, group: str, key: str) -> list[DeadLetter]:
    """Dead letters this test's consumer group wrote for this test's meeting, oldest first."""
    topic = dead_letter_topic(MEETING_EVENTS)
    messages = read_all(settings.kafka, topic, expected=10**6, timeout_s=8)
    letters = [decode(topic, m.value(), m.headers()) for m in messages]
    return [
        x
        for x in letters
        if isinstance(x, DeadLetter) and x.consumer_group == group and x.message_key == key
    ]


def test_handler_that_fails_once_is_retried_and_nothing_is_lost(
    settings: Settings, unique: str
) -> None:
    meeting = f"m-retry-{unique}"
    _publish(
        settings,
        *(
            MeetingEvent(type="started", meeting_id=meeting, participant_id=str(i))
            for i in range(3)
        ),
    )
    calls: list[str] = []
    handled: list[str] = []
    done = threading.Event()

    def handle(event: Event, _ctx: MessageContext) -> None:
        assert isinstance(event, MeetingEvent)
        if event.meeting_id != meeting:
            return
        calls.append(event.participant_id or "")
        if event.participant_id == "1" and calls.count("1") == 1:
            raise ConnectionError("transient: database went away")
        handled.append(event.participant_id or "")
        if len(handled) == 3:
            done.set()

    group = f"retry-{unique}"
    _run_until(ConsumerLoop(settings.kafka, group, [MEETING_EVENTS], handle), done)
    assert handled == ["0", "1", "2"]
    assert calls.count("1") == 2
    assert _dead_letters_for(settings, group, meeting) == []


def test_poison_message_goes_to_dead_letter_topic_and_partition_keeps_flowing(
    settings: Settings, unique: str
) -> None:
    meeting = f"m-poison-{unique}"
    raw = Producer({"bootstrap.servers": settings.kafka.bootstrap_servers})
    raw.produce(MEETING_EVENTS, key=meeting.encode(), value=b'{"type": "not-a-type", "oops": ')
    raw.flush(30)
    _publish(
        settings,
        MeetingEvent(type="started", meeting_id=meeting, participant_id="declared-poison"),
        MeetingEvent(type="ended", meeting_id=meeting),
    )
    handled: list[str] = []
    done = threading.Event()

    def handle(event: Event, _ctx: MessageContext) -> None:
        assert isinstance(event, MeetingEvent)
        if event.meeting_id != meeting:
            return
        if event.participant_id == "declared-poison":
            raise PoisonMessageError("cannot ever handle this")
        handled.append(event.type)
        done.set()

    group = f"poison-{unique}"
    _run_until(ConsumerLoop(settings.kafka, group, [MEETING_EVENTS], handle), done)
    assert handled == ["ended"]
    letters = _dead_letters_for(settings, group, meeting)
    assert len(letters) == 2
    assert letters[0].error.startswith("undecodable")
    assert letters[0].message_key == meeting
    assert letters[1].error.startswith("poison")
    assert letters[0].offset < letters[1].offset


def test_handler_that_keeps_failing_is_dead_lettered_after_max_attempts(
    settings: Settings, unique: str
) -> None:
    meeting = f"m-fail-{unique}"
    _publish(
        settings,
        MeetingEvent(type="started", meeting_id=meeting),
        MeetingEvent(type="ended", meeting_id=meeting),
    )
    attempts: list[str] = []
    done = threading.Event()

    def handle(event: Event, _ctx: MessageContext) -> None:
        assert isinstance(event, MeetingEvent)
        if event.meeting_id != meeting:
            return
        if event.type == "started":
            attempts.append(event.type)
            raise RuntimeError("always broken")
        done.set()

    group = f"fail-{unique}"
    _run_until(ConsumerLoop(settings.kafka, group, [MEETING_EVENTS], handle), done)
    assert len(attempts) == settings.kafka.handler_max_attempts
    letters = _dead_letters_for(settings, group, meeting)
    assert len(letters) == 1
    assert "always broken" in letters[0].error
    assert letters[0].attempts == settings.kafka.handler_max_attempts


class _DatabaseAwayError(Exception):
    """What a handler raises while its database restarts."""


def test_handler_waiting_for_its_database_is_retried_past_max_attempts_not_dead_lettered(
    settings: Settings, unique: str
) -> None:
    meeting = f"m-transient-{unique}"
    _publish(settings, MeetingEvent(type="started", meeting_id=meeting))
    attempts: list[str] = []
    done = threading.Event()
    outage = settings.kafka.handler_max_attempts + 2  # failed attempts while it is away

    def handle(event: Event, _ctx: MessageContext) -> None:
        assert isinstance(event, MeetingEvent)
        if event.meeting_id != meeting:
            return
        attempts.append(event.type)
        if len(attempts) <= outage:
            raise _DatabaseAwayError("the database system is starting up")
        done.set()

    group = f"transient-{unique}"
    loop = ConsumerLoop(
        settings.kafka, group, [MEETING_EVENTS], handle, transient=(_DatabaseAwayError,)
    )
    _run_until(loop, done)
    assert len(attempts) == outage + 1
    assert _dead_letters_for(settings, group, meeting) == []


def _worker(
    settings: Settings, group: str, meeting: str, mode: str, out: Path
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.consumer_worker", group, meeting, mode, str(out)],
        cwd=REPO,
        env=subprocess_env(settings),
    )


def _wait_for_lines(path: Path, count: int, timeout_s: float = 90) -> list[str]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lines = path.read_text().split("\n")[:-1] if path.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.2)
    raise AssertionError(f"{path} has fewer than {count} lines after {timeout_s} s")


def test_worker_killed_before_commit_gets_the_message_again_after_restart(
    settings: Settings, unique: str, tmp_path: Path
) -> None:
    meeting = f"m-kill-{unique}"
    group = f"kill-{unique}"
    out = tmp_path / "worker.log"
    _publish(settings, MeetingEvent(type="started", meeting_id=meeting))

    dying = _worker(settings, group, meeting, "die", out)
    assert dying.wait(90) == -signal.SIGKILL
    [seen] = _wait_for_lines(out, 1)

    restarted = _worker(settings, group, meeting, "record", out)
    try:
        lines = _wait_for_lines(out, 2)
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(30) == 0, "SIGTERM must stop the loop cleanly"
    assert lines[1] == seen.replace("seen", "handled"), "the same message must be redelivered"


def test_sigterm_commits_handled_offsets_so_a_restart_does_not_repeat_them(
    settings: Settings, unique: str, tmp_path: Path
) -> None:
    meeting = f"m-term-{unique}"
    group = f"term-{unique}"
    out = tmp_path / "worker.log"
    _publish(
        settings,
        *(
            MeetingEvent(type="participant_joined", meeting_id=meeting, participant_id=str(i))
            for i in range(3)
        ),
    )
    first = _worker(settings, group, meeting, "record", out)
    _wait_for_lines(out, 3)
    first.send_signal(signal.SIGTERM)
    assert first.wait(30) == 0

    _publish(settings, MeetingEvent(type="ended", meeting_id=meeting))
    second = _worker(settings, group, meeting, "record", out)
    try:
        lines = _wait_for_lines(out, 4)
        time.sleep(1.0)  # anything redelivered by mistake would arrive now
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(30)
    lines = out.read_text().split("\n")[:-1]
    assert len(lines) == 4, lines
    assert len(set(lines)) == 4


def test_caught_up_is_false_while_a_backlog_is_read_and_true_at_its_end(
    settings: Settings, unique: str
) -> None:
    # What the summarizer's final summary waits for: every message published before it
    # read (a meeting's end travels on another topic than its segments).
    meeting = f"m-ends-{unique}"
    group = f"ends-{unique}"
    commit_end_offsets(settings.kafka, group, [MEETING_EVENTS])
    _publish(
        settings,
        *(
            MeetingEvent(type="started", meeting_id=meeting, participant_id=str(i))
            for i in range(5)
        ),
    )
    seen_while_handling: list[bool] = []
    done = threading.Event()

    def handle(event: Event, _ctx: MessageContext) -> None:
        if isinstance(event, MeetingEvent) and event.meeting_id == meeting:
            seen_while_handling.append(loop.caught_up(MEETING_EVENTS))
            time.sleep(0.05)
            if len(seen_while_handling) == 5:
                done.set()

    loop = ConsumerLoop(settings.kafka, group, [MEETING_EVENTS], handle, track_ends=True)
    assert not loop.caught_up(MEETING_EVENTS), "nothing assigned yet: nothing is known"
    thread = threading.Thread(target=loop.run, kwargs={"install_signal_handlers": False})
    thread.start()
    try:
        assert done.wait(60), "the loop did not handle the backlog in time"
        assert seen_while_handling == [False] * 5
        deadline = time.monotonic() + 15
        while not loop.caught_up(MEETING_EVENTS) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert loop.caught_up(MEETING_EVENTS), "read to the end, yet not caught up"
    finally:
        loop.stop()
        thread.join(30)
