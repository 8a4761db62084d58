"""A real gateway for tests: uvicorn on a free loopback port, plus helpers to drive it.

A test module makes its own fixture: `yield from serve_gateway(settings)`.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import uvicorn
from confluent_kafka import TopicPartition

from gateway.app import create_app
from gateway.consumers import TOPICS as PERSISTED_TOPICS
from gateway.main import MAX_WS_MESSAGE_BYTES
from tests.helpers.kafka import commit_offsets, end_offsets
from tests.helpers.ports import free_port
from vori.events import MeetingEvent, TranscriptSegment, Word, segment_id_for
from vori.kafka.producer import EventProducer
from vori.settings import Settings
from vori.ws_server import WebSocketProtocol

# Where new test gateways' persistence groups start instead of the topics' beginning, once
# a test has produced more than later ones should have to store (start_later_gateways_here).
_history_floor: list[TopicPartition] = []


def start_later_gateways_here(settings: Settings) -> None:
    """Start the persistence group of every gateway made after this call at the topics'
    current end. Like production's, a new group reads from the earliest offset, so after a
    test that produced thousands of finals each later test's gateway would store all of
    them before its own (minutes, over a session). What it skips is earlier tests' data
    only: every test makes its own meetings and produces after its gateway's settings."""
    _history_floor[:] = end_offsets(settings.kafka, PERSISTED_TOPICS)


def settings_for_gateway(settings: Settings, **gateway: Any) -> Settings:
    """The session's settings with consumer groups of their own and gateway overrides
    (a fresh persistence group starts at the floor of start_later_gateways_here, if set)."""
    suffix = uuid.uuid4().hex[:8]
    updates = {
        "persist_group": f"test-gateway-persist-{suffix}",
        "live_group_prefix": f"test-gateway-live-{suffix}",
        "webhook_group": f"test-gateway-webhooks-{suffix}",
        "kanban_url": f"http://127.0.0.1:{free_port()}",  # nothing listens: kanban is down
        # No model and no embedder thread unless a test is about semantic search.
        "semantic_search": False,
        **gateway,
    }
    if _history_floor and "persist_group" not in gateway:
        commit_offsets(settings.kafka, updates["persist_group"], list(_history_floor))
    port = free_port()
    return settings.model_copy(
        update={"gateway": settings.gateway.model_copy(update={"port": port, **updates})}
    )


class GatewayServer:
    """The gateway app served by uvicorn in a background thread."""

    def __init__(self, settings: Settings, *, send_buffer: int | None = None) -> None:
        """`send_buffer` caps the kernel send buffer of client sockets (a constrained link)."""
        self.settings = settings
        self.port = settings.gateway.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.app = create_app(settings)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws=WebSocketProtocol,
            ws_max_size=MAX_WS_MESSAGE_BYTES,  # as `vori gateway` serves it
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        # Accepted sockets inherit the listening socket's buffer sizes.
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if send_buffer is not None:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
        listener.bind(("127.0.0.1", self.port))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [listener]}, name="test-gateway", daemon=True
        )

    def start(self, timeout_s: float = 60.0) -> None:
        """Start and wait until /readyz says Kafka, PostgreSQL and the consumers are ready."""
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        last: object = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(self.url + "/readyz", timeout=2)
                if answer.status_code == 200:
                    return
                last = answer.json()
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.1)
        raise RuntimeError(f"gateway not ready within {timeout_s} s: {last}")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    @property
    def hub_clients(self) -> int:
        return int(self.app.state.gateway.hub.subscriber_count())


def serve_gateway(settings: Settings, **gateway: Any) -> Iterator[GatewayServer]:
    """Run a gateway for a fixture: `yield from serve_gateway(settings)`."""
    server = GatewayServer(settings_for_gateway(settings, **gateway))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Account:
    id: str
    email: str
    name: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def register(
    client: httpx.Client, name: str = "Ana", password: str = "correct horse battery"
) -> Account:
    """Register a fresh account and log in."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:10]}@example.com"
    created = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "display_name": name},
    )
    assert created.status_code == 201, created.text
    token = client.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert token.status_code == 200, token.text
    return Account(created.json()["id"], email, name, token.json()["access_token"])


def create_meeting(client: httpx.Client, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": "Weekly sync", "language": "en", **fields}
    answer = client.post("/api/v1/meetings", json=body, headers=owner.headers)
    assert answer.status_code == 201, answer.text
    meeting: dict[str, Any] = answer.json()
    return meeting


def add_member(client: httpx.Client, owner: Account, meeting_id: str, member: Account) -> None:
    answer = client.post(
        f"/api/v1/meetings/{meeting_id}/members",
        json={"email": member.email},
        headers=owner.headers,
    )
    assert answer.status_code == 201, answer.text


def segment(
    meeting_id: str,
    participant: Account,
    start: float,
    text: str,
    *,
    final: bool = True,
    revision: int = 0,
    duration: float = 2.0,
    with_words: bool = True,
) -> TranscriptSegment:
    """A segment as the transcriber produces it, words spread over its time."""
    stream_id = f"{meeting_id}:{participant.id}:mic"
    start_sample = round(start * 16000)
    words = text.split() if with_words else []
    step = duration / max(1, len(words))
    return TranscriptSegment(
        id=segment_id_for(stream_id, start_sample),
        meeting_id=meeting_id,
        stream_id=stream_id,
        participant_id=participant.id,
        speaker=participant.name,
        final=final,
        revision=revision,
        start=start,
        end=start + duration,
        start_sample=start_sample,
        end_sample=start_sample + round(duration * 16000),
        text=text,
        words=[
            Word(word=w, start=start + i * step, end=start + (i + 1) * step, probability=0.9)
            for i, w in enumerate(words)
        ],
        language="en",
        confidence=0.9,
        model="tiny.en",
    )


def joined(
    meeting_id: str,
    participant: Account,
    kind: Literal["participant_joined", "participant_left"] = "participant_joined",
) -> MeetingEvent:
    return MeetingEvent(
        type=kind,
        meeting_id=meeting_id,
        participant_id=participant.id,
        participant_name=participant.name,
        stream_id=f"{meeting_id}:{participant.id}:mic",
    )


_producers: dict[str, EventProducer] = {}


def produce(settings: Settings, *events: Any) -> None:
    """Publish events to Kafka and wait until the broker has them (one producer per broker)."""
    servers = settings.kafka.bootstrap_servers
    producer = _producers.get(servers)
    if producer is None:
        producer = _producers[servers] = EventProducer(settings.kafka)
    for event in events:
        producer.publish(event)
    assert producer.flush(30) == 0


class EventsClient:
    """An events-WebSocket client on a real socket (the `websockets` library)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def send(self, message: dict[str, Any]) -> None:
        self.connection.send(json.dumps(message))

    def receive(self, timeout: float = 10.0) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(self.connection.recv(timeout=timeout))
        return message

    def receive_until(self, predicate: Any, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Messages up to and including the first that satisfies `predicate`."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(timeout=max(0.01, deadline - time.monotonic()))
            seen.append(message)
            if predicate(message):
                return seen


def connect_events(server: GatewayServer, meeting_id: str, **kwargs: Any) -> Any:
    from websockets.sync.client import connect

    return connect(f"{server.ws_url}/api/v1/meetings/{meeting_id}/events", **kwargs)


def open_events(server: GatewayServer, meeting_id: str, who: Account, **auth: Any) -> EventsClient:
    """An events socket of the meeting, signed in as `who` and past its `ready`."""
    events = EventsClient(connect_events(server, meeting_id))
    events.send({"type": "auth", "token": who.token, **auth})
    ready = events.receive()
    assert ready["type"] == "ready", ready
    return events


def wait_for(condition: Any, timeout: float = 15.0, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message}")


class StuckClient:
    """An events client that stops reading its socket after the handshake (a stalled browser).

    Built on the websockets sans-I/O protocol over a blocking socket with a small receive
    buffer, so nothing reads on its behalf until `read_until_closed`.
    """

    def __init__(self, server: GatewayServer, meeting_id: str, token: str) -> None:
        from websockets.client import ClientProtocol
        from websockets.uri import parse_uri

        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", server.port))
        self.protocol = ClientProtocol(
            parse_uri(f"{server.ws_url}/api/v1/meetings/{meeting_id}/events"),
            max_size=None,
        )
        self.protocol.send_request(self.protocol.connect())
        self._flush()
        while self.protocol.handshake_exc is None and not self._handshake_done():
            self.protocol.receive_data(self.sock.recv(4096))
        self.protocol.send_text(json.dumps({"type": "auth", "token": token}).encode())
        self._flush()

    def _handshake_done(self) -> bool:
        from websockets.protocol import State

        return bool(self.protocol.state is State.OPEN)

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def read_until_closed(self, timeout: float = 30.0) -> tuple[int, str]:
        """Read everything sent so far and return the server's close code and reason."""
        self.sock.settimeout(timeout)
        while self.protocol.close_rcvd is None:
            data = self.sock.recv(65536)
            if not data:
                self.protocol.receive_eof()
                break
            self.protocol.receive_data(data)
            self.protocol.events_received()
        close = self.protocol.close_rcvd
        self.sock.close()
        if close is None:
            return 1006, ""
        return close.code, close.reason


def own_board(settings: Settings, owner: Account, name: str = "Team board") -> str:
    """A board the account owns (kanban creates these; meetings may feed only such boards)."""
    from sqlalchemy.orm import Session

    from vori.db.engine import create_db_engine
    from vori.db.tables import Board

    board_id = f"brd_{uuid.uuid4().hex[:16]}"
    engine = create_db_engine(settings)
    try:
        with Session(engine) as session:
            session.add(Board(id=board_id, name=name, owner_id=owner.id))
            session.commit()
    finally:
        engine.dispose()
    return board_id
