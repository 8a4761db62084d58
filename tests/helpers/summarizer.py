"""Annotated meetings for the summarizer's tests and benchmark: loading and scoring.

Matching rule: a proposed item matches an expected one when its title contains every
keyword of the expected item (case-insensitive); each expected item is matched at most
once, in file order. An open expected item that is matched is a true positive; an open
proposed item that matches no open expected item is a false positive (proposing a
cancelled item as open counts as one too). Owner and due-date accuracy are over the
true positives.
"""

from __future__ import annotations

import json as _json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, TopicPartition

from summarizer.facts import MeetingFacts, Member, Utterance
from summarizer.main import build_loop, build_worker
from summarizer.worker import SummarizerWorker
from tests.helpers.kafka import commit_end_offsets
from tests.helpers.ports import free_port
from vori.events import (
    MEETING_EVENTS,
    MEETING_SUMMARIES,
    TASKS_PROPOSED,
    TRANSCRIPT_SEGMENTS,
    ActionItem,
    Event,
    MeetingEvent,
    MeetingSummary,
    TaskProposal,
    TranscriptSegment,
    decode,
    segment_id_for,
)
from vori.kafka import EventProducer, MessageContext
from vori.settings import Settings

MEETINGS_DIR = Path(__file__).resolve().parents[1] / "data" / "meetings"


@dataclass(frozen=True)
class Expected:
    keywords: tuple[str, ...]
    owner: str | None
    due: str | None
    status: str


@dataclass(frozen=True)
class AnnotatedMeeting:
    id: str
    facts: MeetingFacts
    utterances: tuple[Utterance, ...]
    expected: tuple[Expected, ...]


def member_id(name: str) -> str:
    return "u_" + "".join(ch for ch in name.casefold() if ch.isalnum())


def load_meeting(path: Path, meeting_id: str | None = None) -> AnnotatedMeeting:
    """An annotated meeting; `meeting_id` renames it (tests keep meetings apart)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    mid = meeting_id or data["id"]
    members = tuple(Member(member_id(name), name) for name in data["members"])
    facts = MeetingFacts(
        meeting_id=mid,
        language=data["language"],
        date=data["date"] if isinstance(data["date"], date) else date.fromisoformat(data["date"]),
        time_zone=data["time_zone"],
        members=members,
    )
    utterances = tuple(
        Utterance(
            segment_id=segment_id_for(f"{mid}:{member_id(s['speaker'])}:mic", int(s["at"] * 16000)),
            speaker=s["speaker"],
            participant_id=member_id(s["speaker"]),
            at=float(s["at"]),
            text=s["text"],
        )
        for s in data["segments"]
    )
    expected = tuple(
        Expected(
            tuple(e["keywords"]),
            e.get("owner"),
            str(e["due"]) if e.get("due") else None,
            e.get("status", "open"),
        )
        for e in data["expected"]
    )
    return AnnotatedMeeting(mid, facts, utterances, expected)


def all_meetings() -> list[AnnotatedMeeting]:
    return [load_meeting(path) for path in sorted(MEETINGS_DIR.glob("*.yaml"))]


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    expected_open: int = 0
    owner_right: int = 0
    due_right: int = 0
    cancelled_kept_open: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        for name in ("true_positives", "false_positives", "expected_open", "owner_right"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.due_right += other.due_right
        self.cancelled_kept_open += other.cancelled_kept_open
        self.misses += other.misses
        self.extras += other.extras

    @property
    def precision(self) -> float:
        proposed = self.true_positives + self.false_positives
        return self.true_positives / proposed if proposed else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected_open if self.expected_open else 1.0

    @property
    def owner_accuracy(self) -> float:
        return self.owner_right / self.true_positives if self.true_positives else 0.0

    @property
    def due_accuracy(self) -> float:
        return self.due_right / self.true_positives if self.true_positives else 0.0


def _matches(item: ActionItem, expected: Expected) -> bool:
    title = item.title.casefold()
    return all(k.casefold() in title for k in expected.keywords)


def score(items: list[ActionItem], expected: tuple[Expected, ...]) -> Score:
    """Score proposed items (their final state) against the annotation."""
    result = Score(expected_open=sum(1 for e in expected if e.status == "open"))
    used: set[int] = set()
    for item in (i for i in items if i.status == "open"):
        index = next(
            (n for n, e in enumerate(expected) if n not in used and _matches(item, e)), None
        )
        if index is None or expected[index].status != "open":
            result.false_positives += 1
            result.extras.append(f"{item.title} ({item.assignee}, {item.due_date})")
            if index is not None:
                result.cancelled_kept_open += 1
                used.add(index)
            continue
        used.add(index)
        wanted = expected[index]
        result.true_positives += 1
        result.owner_right += item.assignee == wanted.owner
        result.due_right += item.due_date == wanted.due
        if item.assignee != wanted.owner or item.due_date != wanted.due:
            result.misses.append(
                f"{item.title}: owner {item.assignee} vs {wanted.owner}, "
                f"due {item.due_date} vs {wanted.due}"
            )
    for n, e in enumerate(expected):
        if e.status == "open" and n not in used:
            result.misses.append(f"missing {' '.join(e.keywords)} ({e.owner}, {e.due})")
    return result


# -- running the real worker against the session's Kafka and PostgreSQL -------------------


def segments_of(meeting: AnnotatedMeeting) -> list[TranscriptSegment]:
    """The meeting's lines as final transcript segments, one stream per speaker."""
    return [
        TranscriptSegment(
            id=u.segment_id,
            meeting_id=meeting.id,
            stream_id=f"{meeting.id}:{u.participant_id}:mic",
            participant_id=u.participant_id,
            speaker=u.speaker,
            final=True,
            start=u.at,
            end=u.at + 2.0,
            start_sample=int(u.at * 16000),
            end_sample=int((u.at + 2.0) * 16000),
            text=u.text,
            language=meeting.facts.language,
        )
        for u in meeting.utterances
    ]


def joined_events(meeting: AnnotatedMeeting) -> list[MeetingEvent]:
    return [
        MeetingEvent(
            type="participant_joined",
            meeting_id=meeting.id,
            participant_id=m.user_id,
            participant_name=m.name,
            language=meeting.facts.language,
        )
        for m in meeting.facts.members
    ]


def publish(settings: Settings, events: Sequence[Event]) -> None:
    producer = EventProducer(settings.kafka)
    for event in events:
        producer.publish(event)
    assert producer.flush(30) == 0


def read_topic(settings: Settings, topic: str, meeting_id: str) -> list[Event]:
    """Every event of a meeting on a topic, up to the current end of the topic."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "group.id": f"test-read-{time.monotonic_ns()}",
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        ends: dict[int, int] = {}
        assignment = []
        for partition in metadata.partitions:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
            if high > low:
                ends[partition] = high
                assignment.append(TopicPartition(topic, partition, low))
        consumer.assign(assignment)
        found: list[Event] = []
        deadline = time.monotonic() + 30
        while ends and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error() is not None:
                continue
            partition, offset = message.partition() or 0, message.offset() or 0
            if offset + 1 >= ends.get(partition, 0):
                ends.pop(partition, None)
            if (message.key() or b"").decode() == meeting_id:
                found.append(decode(topic, message.value()))
        return found
    finally:
        consumer.close()


def summaries(settings: Settings, meeting_id: str) -> list[MeetingSummary]:
    return [
        e
        for e in read_topic(settings, MEETING_SUMMARIES, meeting_id)
        if isinstance(e, MeetingSummary)
    ]


def proposals(settings: Settings, meeting_id: str) -> list[TaskProposal]:
    return [
        e for e in read_topic(settings, TASKS_PROPOSED, meeting_id) if isinstance(e, TaskProposal)
    ]


def fresh_group(settings: Settings, name: str) -> str:
    """A consumer group that starts at the current end of the summarizer's topics, so it
    reads what the test publishes from now on and not the backlog of earlier tests (which
    grows with the suite: a group reading it all can miss a test's time limit)."""
    commit_end_offsets(settings.kafka, name, (TRANSCRIPT_SEGMENTS, MEETING_EVENTS))
    return name


def run_worker_until(
    settings: Settings,
    group: str,
    done: Callable[[SummarizerWorker], bool],
    timeout_s: float = 90,
) -> SummarizerWorker:
    """Run the real summarizer worker in a consumer loop until `done(worker)` or time out."""
    worker = build_worker(settings)
    worker.check_every_s = 0.2
    loop = build_loop(settings, worker, group)
    thread = threading.Thread(target=loop.run, kwargs={"install_signal_handlers": False})
    thread.start()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if done(worker):
                return worker
            time.sleep(0.3)
        raise AssertionError(f"summarizer worker did not finish within {timeout_s} s")
    finally:
        loop.stop()
        thread.join(30)


@contextmanager
def running_worker(
    settings: Settings, group: str, handled: list[Event]
) -> Iterator[SummarizerWorker]:
    """The real summarizer worker in a consumer loop on a thread while the block runs;
    `handled` gets each event once the worker's handler has returned. The group starts at
    the current end of the topics (see `fresh_group`)."""
    fresh_group(settings, group)
    worker = build_worker(settings)
    worker.check_every_s = 0.2

    def handle(event: Event, context: MessageContext) -> None:
        worker.handle(event, context)
        handled.append(event)

    loop = build_loop(settings, worker, group, handle)
    thread = threading.Thread(target=loop.run, kwargs={"install_signal_handlers": False})
    thread.start()
    try:
        yield worker
    finally:
        loop.stop()
        thread.join(30)


def final_published(
    settings: Settings, meeting_id: str, segments: int
) -> Callable[[SummarizerWorker], bool]:
    """A `done` condition: the meeting's final summary has been published and saved, and it
    covers all `segments` published. Counting matters: each stream is its own partition,
    so a summary can be up to date with what arrived while a stream's last segment is
    still on its way (a later summary then adds it)."""
    from vori.db.tables import SummarizerMeeting

    def check(worker: SummarizerWorker) -> bool:
        with worker.sessions() as session:
            state = session.get(SummarizerMeeting, meeting_id)
            return bool(
                state
                and state.final_published
                and state.segments_total == segments
                and state.segments_summarized == segments
            )

    return check


# -- a chat-completions server for the LLM path's tests ---------------------------------

Behaviour = Callable[[dict[str, object]], tuple[int, str, float]]


class ChatServer:
    """A real HTTP server on 127.0.0.1 speaking POST /v1/chat/completions from a script.

    Each request takes the next behaviour: it gets the request body and returns
    (status, message content or raw body, seconds to wait first). The last behaviour
    repeats. Requests are recorded.
    """

    def __init__(self, behaviours: list[Behaviour]) -> None:
        self.behaviours = behaviours
        self.requests: list[dict[str, object]] = []
        self.port = free_port()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = _json.loads(self.rfile.read(int(self.headers["content-length"])))
                server.requests.append(body)
                index = min(len(server.requests), len(server.behaviours)) - 1
                status, content, delay = server.behaviours[index](body)
                time.sleep(delay)
                if status == 200:
                    payload = _json.dumps(
                        {
                            "id": "chatcmpl-test",
                            "object": "chat.completion",
                            "created": 0,
                            "model": str(body.get("model")),
                            "choices": [
                                {
                                    "index": 0,
                                    "message": {"role": "assistant", "content": content},
                                    "finish_reason": "stop",
                                }
                            ],
                        }
                    ).encode()
                else:
                    payload = content.encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @contextmanager
    def running(self) -> Iterator[ChatServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()


def answer(**fields: object) -> Behaviour:
    """A behaviour: a valid chat answer whose content is this JSON object."""
    body: dict[str, object] = {
        "overview": "",
        "key_points": [],
        "decisions": [],
        "open_questions": [],
        "tasks": [],
    }
    body.update(fields)
    return lambda _request: (200, _json.dumps(body, ensure_ascii=False), 0.0)


def raw(content: str, status: int = 200, delay: float = 0.0) -> Behaviour:
    return lambda _request: (status, content, delay)


def create_meeting_rows(settings: Settings, meeting: AnnotatedMeeting) -> None:
    """The meeting, its members and their accounts in PostgreSQL, as the gateway makes them."""
    from datetime import datetime as _datetime
    from zoneinfo import ZoneInfo

    from sqlalchemy.dialects.postgresql import insert

    from vori.db.engine import create_db_engine
    from vori.db.tables import Meeting, MeetingMember, User

    facts = meeting.facts
    engine = create_db_engine(settings, pool_size=1, max_overflow=0)
    created = _datetime(
        facts.date.year, facts.date.month, facts.date.day, 10, 0, tzinfo=ZoneInfo(facts.time_zone)
    )
    try:
        with engine.begin() as connection:
            for member in facts.members:
                connection.execute(
                    insert(User)
                    .values(
                        id=member.user_id,
                        email=f"{member.user_id}@example.test",
                        display_name=member.name,
                        password_hash="not-used",
                    )
                    .on_conflict_do_nothing()
                )
            owner = facts.members[0].user_id
            connection.execute(
                insert(Meeting).values(
                    id=meeting.id,
                    title=meeting.id,
                    language=facts.language,
                    owner_id=owner,
                    time_zone=facts.time_zone,
                    created_at=created,
                    tasks=facts.tasks,
                )
            )
            for member in facts.members:
                connection.execute(
                    insert(MeetingMember).values(meeting_id=meeting.id, user_id=member.user_id)
                )
    finally:
        engine.dispose()


def caught_up(meeting_id: str, segments: int) -> Callable[[SummarizerWorker], bool]:
    """A `done` condition: `segments` segments stored and every one of them summarised."""
    from vori.db.tables import SummarizerMeeting

    def check(worker: SummarizerWorker) -> bool:
        with worker.sessions() as session:
            state = session.get(SummarizerMeeting, meeting_id)
            return bool(
                state and state.segments_total == segments and state.segments_summarized == segments
            )

    return check


def load_real_slice(
    corpus: str, name: str, first: int, last: int, meeting_id: str
) -> tuple[AnnotatedMeeting, list[int]]:
    """Turns `first`..`last` of a real meeting in ../shared/data/meetings as an annotated
    meeting without expectations (tests assert on it), and the turn number of each line.
    Members are the meeting's speakers (AMI: its four roles); lines are 3 s apart where
    the corpus has no timings; empty turns (unintelligible speech) are left out."""
    from tests.helpers.speech_data import find_meetings_dir

    root = find_meetings_dir()
    assert root is not None, "the shared meetings data is needed: set VORI_MEETINGS_DIR"
    data = _json.loads((root / corpus / f"{name}.json").read_text(encoding="utf-8"))
    members = tuple(Member(member_id(s), s) for s in data["speakers"])
    facts = MeetingFacts(meeting_id, "en", date(2026, 11, 2), "UTC", members)
    turns = [
        (n, t) for n, t in enumerate(data["transcript"]) if first <= n <= last and t["text"].strip()
    ]
    utterances = tuple(
        Utterance(
            segment_id=segment_id_for(f"{meeting_id}:{member_id(t['speaker'])}:mic", n * 48000),
            speaker=t["speaker"],
            participant_id=member_id(t["speaker"]),
            at=float(t.get("start", n * 3.0)),
            text=t["text"],
        )
        for n, t in turns
    )
    return AnnotatedMeeting(meeting_id, facts, utterances, ()), [n for n, _t in turns]
