"""Fixtures for the kanban tests: people, meetings, proposals, the API and the consumer,
all against the session's real PostgreSQL and Kafka."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Message, TopicPartition
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kanban.app import create_app
from kanban.consumer import ProposalHandler, proposal_loop
from kanban.outbox import OutboxRelay
from kanban.proposals import ProposalApplier
from vori.auth import Principal, hash_password, issue_token, new_id
from vori.db.engine import create_db_engine, session_factory
from vori.db.tables import (
    Card,
    CardHistoryRow,
    Meeting,
    MeetingMember,
    ProcessedProposal,
    User,
)
from vori.events import KANBAN_CHANGES, ActionItem, Evidence, KanbanChange, TaskProposal, decode
from vori.kafka import EventProducer
from vori.settings import Settings


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return hash_password("correct horse battery staple")


@lru_cache(maxsize=4)
def _sessions(url: str) -> sessionmaker[Session]:
    return session_factory(create_db_engine(Settings(database_url=url), pool_size=2))


def sessions(settings: Settings) -> sessionmaker[Session]:
    """A session factory on the test database (one engine per URL)."""
    return _sessions(settings.sqlalchemy_url)


def make_person(settings: Settings, name: str) -> Person:
    user_id = new_id("usr")
    with sessions(settings).begin() as session:
        session.add(
            User(
                id=user_id,
                email=f"{user_id}@example.test",
                display_name=name,
                password_hash=_password_hash(),
            )
        )
    token = issue_token(settings.gateway, Principal(user_id, f"{user_id}@example.test", name))
    return Person(user_id, name, token)


def make_meeting(
    settings: Settings,
    owner: Person,
    members: Sequence[Person] = (),
    *,
    board_id: str | None = None,
    language: str = "en",
) -> str:
    meeting_id = new_id("mtg")
    with sessions(settings).begin() as session:
        session.add(
            Meeting(
                id=meeting_id,
                title=f"Weekly sync {meeting_id[-4:]}",
                language=language,
                owner_id=owner.user_id,
                board_id=board_id,
                time_zone="UTC",
            )
        )
        session.flush()
        for person, role in [(owner, "owner"), *((m, "member") for m in members)]:
            session.add(MeetingMember(meeting_id=meeting_id, user_id=person.user_id, role=role))
    return meeting_id


def item(
    task_key: str,
    title: str = "Send the customer survey",
    *,
    assignee: str | None = "Bob",
    due_date: str | None = "2026-03-06",
    status: Literal["open", "cancelled"] = "open",
    segment: str = "seg_a",
    quote: str = "Bob, can you send the survey by Friday?",
) -> ActionItem:
    return ActionItem(
        task_key=task_key,
        title=title,
        assignee=assignee,
        due_date=due_date,
        status=status,
        evidence=[Evidence(segment_id=segment, quote=quote, at=42.0)],
    )


def publish(settings: Settings, *proposals: TaskProposal) -> None:
    producer = EventProducer(settings.kafka)
    for proposal in proposals:
        producer.publish(proposal)
    assert producer.flush(30) == 0


def wait_until(predicate: Callable[[], Any], timeout_s: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def processed_count(settings: Settings, meeting_id: str) -> int:
    with sessions(settings)() as session:
        count = session.scalar(
            select(func.count()).where(ProcessedProposal.meeting_id == meeting_id)
        )
    return int(count or 0)


def wait_processed(settings: Settings, meeting_id: str, count: int, timeout_s: float = 60) -> None:
    wait_until(
        lambda: processed_count(settings, meeting_id) >= count,
        timeout_s,
        f"{count} proposals of {meeting_id} to be applied",
    )


def cards_of_meeting(settings: Settings, meeting_id: str) -> list[Card]:
    with sessions(settings)() as session:
        return list(
            session.scalars(select(Card).where(Card.meeting_id == meeting_id).order_by(Card.id))
        )


def history_of(settings: Settings, card_id: str) -> list[CardHistoryRow]:
    with sessions(settings)() as session:
        return list(
            session.scalars(
                select(CardHistoryRow)
                .where(CardHistoryRow.card_id == card_id)
                .order_by(CardHistoryRow.id)
            )
        )


def board_of_meeting(settings: Settings, meeting_id: str) -> str | None:
    with sessions(settings)() as session:
        board_id: str | None = session.scalar(
            select(Meeting.board_id).where(Meeting.id == meeting_id)
        )
    return board_id


def read_matching(
    settings: Settings,
    topic: str,
    keep: Callable[[Message], bool],
    expected: int,
    timeout_s: float = 30,
) -> list[Message]:
    """Messages of a topic that `keep` accepts, from the beginning; returns as soon as
    `expected` were found and the whole topic was read, or when time runs out."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.kafka.bootstrap_servers,
            "group.id": f"kanban-test-reader-{time.monotonic_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
    found: list[Message] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is None:
                if len(found) >= expected and len(at_end) == len(partitions):
                    break
                continue
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    at_end.add(message.partition() or 0)
                continue
            at_end.discard(message.partition() or 0)
            if keep(message):
                found.append(message)
    finally:
        consumer.close()
    return found


def changes_for_board(
    settings: Settings, board_id: str, expected: int, timeout_s: float = 30
) -> list[KanbanChange]:
    """`kanban.changes` events of one board, waiting until `expected` arrived (or time ran out)."""
    messages = read_matching(
        settings, KANBAN_CHANGES, lambda m: m.key() == board_id.encode(), expected, timeout_s
    )
    events = [decode(KANBAN_CHANGES, m.value()) for m in messages]
    return [e for e in events if isinstance(e, KanbanChange)]


@contextmanager
def kanban_api(settings: Settings) -> Iterator[TestClient]:
    """The kanban app in-process (REST, relay), without the proposal consumer."""
    with TestClient(create_app(settings, run_consumer=False)) as client:
        yield client


@contextmanager
def proposal_consumer(settings: Settings, group: str) -> Iterator[None]:
    """The kanban proposal consumer and outbox relay on threads, with a group of its own."""
    factory = sessions(settings)
    relay = OutboxRelay(factory, EventProducer(settings.kafka), interval_s=0.5)
    relay.start()
    handler = ProposalHandler(ProposalApplier(factory), relay)
    loop = proposal_loop(
        settings.model_copy(
            update={"kanban": settings.kanban.model_copy(update={"consumer_group": group})}
        ),
        handler,
    )
    thread = threading.Thread(target=loop.run, kwargs={"install_signal_handlers": False})
    thread.start()
    try:
        yield
    finally:
        loop.stop()
        thread.join(30)
        relay.stop()
